#!/usr/bin/env bash
# Builds the libFuzzer targets (Swift's -sanitize=fuzzer,address; each keeps SwiftPM's main and
# calls LLVMFuzzerRunDriver) and runs each for a bounded
# time (FUZZ_SECONDS, default 600). Crashing inputs are written to fuzz/crashes/; copy each
# into fuzz/regressions/<target>/ once fixed — `bash fuzz/run.sh --regressions` replays them.
set -euo pipefail
cd "$(dirname "$0")"
bash ../scripts/ensure-deps.sh
seconds="${FUZZ_SECONDS:-600}"
swift build -c debug --scratch-path ../.build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld \
  -Xcc -fsanitize=fuzzer-no-link,address
bin=$(swift build -c debug --scratch-path ../.build-fuzz --show-bin-path)
mkdir -p crashes
for target in FuzzSpec FuzzCSV; do
  seeds="corpus/$(echo "$target" | sed 's/Fuzz//' | tr 'A-Z' 'a-z')"
  corpus=".work/$target"  # the growing corpus stays out of git; the seeds are committed
  mkdir -p "$corpus" "regressions/$target"
  cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true
  if [ "${1:-}" = "--regressions" ]; then
    if [ -n "$(ls -A "regressions/$target")" ]; then "$bin/$target" "regressions/$target"/*; fi
  else
    echo "== $target for $seconds s"
    "$bin/$target" "$corpus" -max_total_time="$seconds" -artifact_prefix="crashes/$target-" -print_final_stats=1
  fi
done
