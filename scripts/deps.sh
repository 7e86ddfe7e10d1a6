#!/usr/bin/env bash
# Installs the Debian 12 packages Switchboard needs to build and test.
# Idempotent: when everything is present it only runs dpkg-query and exits.
set -euo pipefail

packages=(
  cmake ninja-build g++ ccache pkg-config
  libcaf-dev librocksdb-dev libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libcereal-dev catch2 libssl-dev libtomlplusplus-dev libedit-dev libjemalloc-dev
  # Push providers (push/): libcurl with HTTP/2 (nghttp2), as APNs requires.
  libcurl4-openssl-dev
  # The tests' fake APNs: an HTTP/2 server over TLS (nghttp2's server side).
  libnghttp2-dev
  chromium
  # The fuzz targets (fuzz/): clang, and the libFuzzer and sanitizer
  # runtimes, only recommended by clang's packages (not installed here).
  clang libclang-rt-14-dev
  # etcd 3.4 (/usr/bin/etcd) for the cluster layer's tests, which start
  # their own on free loopback ports. Its postinst asks invoke-rc.d to start
  # a system etcd on 2379; where no init runs (containers, CI) or
  # policy-rc.d forbids it, none starts, and the tests never use 2379.
  etcd-server
  # The replication fault tests cut a node's cluster port on loopback (they
  # run as root; without iptables they say they were skipped).
  iptables
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js runs the OpenAPI linter and the JavaScript client's tests; a
# machine that has a node (Debian's or another) keeps it. Chromium (above)
# is the browser of the page's end-to-end tests.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

root="$(cd "$(dirname "$0")/.." && pwd)"

# The OpenAPI linter, pinned by tools/openapi/package-lock.json.
tools="$root/tools/openapi"
if [ ! -x "$tools/node_modules/.bin/redocly" ]; then
  echo "deps: installing the OpenAPI linter (npm ci)" >&2
  npm ci --prefix "$tools" --no-audit --no-fund --loglevel=error >/dev/null
fi

# ws and playwright-core for tests/web, pinned by its package-lock.json.
# playwright-core drives Debian's chromium; it downloads no browser.
web_tests="$root/tests/web"
if [ ! -d "$web_tests/node_modules/playwright-core" ] ||
  [ ! -d "$web_tests/node_modules/ws" ]; then
  echo "deps: installing the web tests' packages (npm ci)" >&2
  npm ci --prefix "$web_tests" --no-audit --no-fund --loglevel=error >/dev/null
fi
