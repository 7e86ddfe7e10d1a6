#!/usr/bin/env bash
# Installs what is missing, builds, and starts a node on the embedded
# default: data in ./data, clients and the browser page on 127.0.0.1:7070,
# with --dev-login so that the page signs in by user name alone (loopback
# only; pass --dev-login=false to turn it off). Extra arguments go to
# `switchboard serve` (see `build/app/switchboard serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -G Ninja >/dev/null
ninja -C build switchboard
exec build/app/switchboard serve --dev-login "$@"
