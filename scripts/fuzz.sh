#!/usr/bin/env bash
# Runs the libFuzzer targets of fuzz/ (docs/fuzzing.md), one after the other,
# each on a copy of its committed corpus, so that a run never grows
# fuzz/corpus. Builds them first if needed (clang++). Prints executions and
# coverage per target; exits non-zero when any target crashed, leaked, hit
# undefined behaviour or broke an invariant.
#
#   scripts/fuzz.sh [--seconds N] [--runs N] [target...] [-- libFuzzer flags]
#
# --seconds N: stop each target after N seconds (default 60).
# --runs N: stop each target after N executions (no time limit unless
#           --seconds is given too).
# Each run's corpus, log and findings: build/fuzz-runs/<time>/<target>/.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
all_targets=(frame jwt http_request message_record records keys etcd_json)
seconds=""
runs=""
targets=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ -z "$seconds" ] && [ -z "$runs" ]; then seconds=60; fi
if [ ${#targets[@]} -eq 0 ]; then targets=("${all_targets[@]}"); fi

build="$root/build/fuzz"
if [ ! -f "$build/build.ninja" ]; then
  launcher=""
  if command -v ccache >/dev/null 2>&1; then launcher="$(command -v ccache)"; fi
  cmake -S "$root/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher" >/dev/null
fi
cmake --build "$build" >/dev/null

runs_dir="$root/build/fuzz-runs/$(date -u +%Y%m%dT%H%M%SZ)"
limits=()
if [ -n "$seconds" ]; then limits+=("-max_total_time=$seconds"); fi
if [ -n "$runs" ]; then limits+=("-runs=$runs"); fi

failed=()
printf '%-15s %-6s %12s %8s %9s %6s %7s\n' \
  target result executions seconds exec/s cov ft
for t in "${targets[@]}"; do
  bin="$build/${t}_fuzz"
  if [ ! -x "$bin" ]; then echo "fuzz.sh: no target $t" >&2; exit 2; fi
  out="$runs_dir/$t"
  mkdir -p "$out/findings"
  cp -r "$root/fuzz/corpus/$t" "$out/corpus"
  start=$(date +%s)
  rc=0
  "$bin" "${limits[@]}" -print_final_stats=1 -artifact_prefix="$out/findings/" \
    "${extra[@]}" "$out/corpus" >"$out/log" 2>&1 || rc=$?
  elapsed=$(($(date +%s) - start))
  # A run that crashed prints no final stats and maybe no coverage line.
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/log")
  cov=$( (grep -o 'cov: [0-9]*' "$out/log" || true) | tail -1 | cut -d' ' -f2)
  ft=$( (grep -o 'ft: [0-9]*' "$out/log" || true) | tail -1 | cut -d' ' -f2)
  result=ok
  if [ "$rc" -ne 0 ]; then result=FAILED; failed+=("$t"); fi
  printf '%-15s %-6s %12s %8s %9s %6s %7s\n' "$t" "$result" "${execs:-?}" \
    "$elapsed" "${rate:-?}" "${cov:-?}" "${ft:-?}"
  if [ "$rc" -ne 0 ]; then
    grep -m1 -E '^SUMMARY|invariant broken|ERROR: libFuzzer' "$out/log" | sed 's/^/    /' || true
    for f in "$out"/findings/*; do [ -e "$f" ] && echo "    input: $f"; done
    echo "    log: $out/log"
  fi
done
echo "runs: $runs_dir"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in: ${failed[*]}" >&2
  exit 1
fi
