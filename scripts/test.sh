#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite.
# The same command a new developer runs and CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
werror=OFF
if [ "${CI:-}" = "true" ]; then werror=ON; fi
cmake -S . -B build -G Ninja -DSWITCHBOARD_WERROR="$werror" >/dev/null
ninja -C build
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 600
