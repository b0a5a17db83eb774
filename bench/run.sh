#!/usr/bin/env bash
# Wrapper for bench/run.py: installs the Python peers if missing, builds emzoo
# in release mode if its binary is missing, then runs the benchmark.
#   bench/run.sh [--small] [--workloads a,b] [--iterations 20] [--threads 2] [--emzoo PATH] ...
# Set EMZOO_NO_BUILD=1 to never build (emzoo columns become n/a if the binary is absent).
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$BENCH_DIR")"
PYTHON="${PYTHON:-python3}"

if ! "$PYTHON" -c "import numpy, scipy, sklearn, hmmlearn, threadpoolctl" 2>/dev/null; then
    echo "installing Python peers (numpy scipy scikit-learn hmmlearn threadpoolctl) ..."
    "$PYTHON" -m pip install --quiet numpy scipy scikit-learn hmmlearn threadpoolctl
fi

# Build emzoo unless a binary was given with --emzoo or already exists.
custom_binary=0
for arg in "$@"; do
    case "$arg" in --emzoo|--emzoo=*) custom_binary=1 ;; esac
done
if [[ $custom_binary == 0 && ! -x "$REPO_DIR/.build/release/emzoo" && "${EMZOO_NO_BUILD:-0}" != 1 ]]; then
    echo "building emzoo (swift build -c release --product emzoo) ..."
    (cd "$REPO_DIR" && swift build -c release --product emzoo) ||
        echo "warning: emzoo build failed; emzoo columns will be n/a" >&2
fi

exec "$PYTHON" "$BENCH_DIR/run.py" "$@"
