#!/usr/bin/env bash
# Installs what is missing, builds, and starts a node on the embedded
# default: data in ./data, clients on 127.0.0.1:7070. Extra arguments go to
# `switchboard serve` (see `build/app/switchboard serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -G Ninja >/dev/null
ninja -C build switchboard
exec build/app/switchboard serve "$@"
