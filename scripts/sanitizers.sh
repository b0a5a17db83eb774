#!/usr/bin/env bash
# The whole test suite under AddressSanitizer and ThreadSanitizer (the parallel E step
# included: the CLI tests run the sanitized `emzoo` with several threads).
# Slow (two extra builds), so it is not part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
for sanitizer in ${SANITIZERS:-address thread}; do
  echo "== swift test --sanitize=$sanitizer"
  swift build --build-tests --sanitize="$sanitizer" --scratch-path ".build-$sanitizer"
  swift test --skip-build --sanitize="$sanitizer" --scratch-path ".build-$sanitizer" --disable-xctest
done
