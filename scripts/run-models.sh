#!/usr/bin/env bash
# The main job: a release build, then `emzoo run` on every bundled spec (or the folder given).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
swift build -c release --product emzoo
.build/release/emzoo run "${1:-models}"
