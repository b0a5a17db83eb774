#!/usr/bin/env bash
# The release binary under valgrind: it must run there (valgrind emulates a CPU without
# AVX-512, so a binary that executes AVX-512 outside the dispatched kernels dies with
# SIGILL) and give the same fits as natively (there the AVX2 kernels, natively the best the
# CPU has: CKernels/dispatch.h). Fits a Gaussian mixture, an HMM and a Bernoulli mixture (its
# bit-packed E step) both ways and compares the log-likelihoods and parameters (identical, or
# within 1e-9 relative).
# Exit 0 on agreement, 1 otherwise. VALGRIND_FLAGS adds valgrind options.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind-check: valgrind is not installed" >&2; exit 1; }
bash scripts/ensure-deps.sh
swift build -c release --product emzoo

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A stripped copy: valgrind 3.19 cannot read the DWARF that Swift emits.
cp .build/release/emzoo "$tmp/emzoo"
strip "$tmp/emzoo"

compare() {  # compare NAME NATIVE.json VALGRIND.json
  python3 - "$@" <<'EOF'
import json, math, sys
name, a_path, b_path = sys.argv[1:]
a, b = json.load(open(a_path)), json.load(open(b_path))
worst, problems = 0.0, []

def walk(x, y, path):
    global worst
    if isinstance(x, dict) and isinstance(y, dict) and x.keys() == y.keys():
        for k in x: walk(x[k], y[k], f"{path}.{k}")
    elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
        for i, (u, v) in enumerate(zip(x, y)): walk(u, v, f"{path}[{i}]")
    elif isinstance(x, (int, float)) and isinstance(y, (int, float)):
        if x == y: return
        rel = abs(x - y) / max(abs(x), abs(y)) if math.isfinite(x) and math.isfinite(y) else math.inf
        worst = max(worst, rel)
        if rel > 1e-9: problems.append(f"{path}: {x!r} vs {y!r} (relative {rel:.1e})")
    elif x != y:
        problems.append(f"{path}: {x!r} vs {y!r}")

walk(a["logLikelihood"], b["logLikelihood"], "logLikelihood")
walk(a["parameters"], b["parameters"], "parameters")
if problems:
    print(f"valgrind-check: {name}: native and valgrind fits differ:", *problems[:10], sep="\n  ")
    sys.exit(1)
print(f"valgrind-check: {name}: logLikelihood {a['logLikelihood']!r}; "
      + ("identical" if worst == 0 else f"largest relative difference {worst:.1e}"))
EOF
}

# One restart: the spec's restarts can reach the same optimum with the states (components)
# in another order, and which of them wins is then decided by the last bits of their
# log-likelihoods, which differ between the two instruction sets (and valgrind's emulation).
check() {  # check NAME SPEC
  local name=$1 spec=$2
  local fit=(fit "$spec" --data "$tmp/$name.csv" --quiet --threads 1 --restarts 1)
  "$tmp/emzoo" sample "$spec" --n 2000 --seed 3 --output "$tmp/$name.csv"
  "$tmp/emzoo" "${fit[@]}" --output "$tmp/$name-native.json"
  local status=0
  # shellcheck disable=SC2086
  valgrind --quiet ${VALGRIND_FLAGS:-} "$tmp/emzoo" "${fit[@]}" --output "$tmp/$name-valgrind.json" \
    || status=$?
  if [ "$status" -ne 0 ]; then
    local how="exit status $status"
    [ "$status" -gt 128 ] && how="signal $((status - 128))$([ "$status" -eq 132 ] && echo ' (SIGILL)')"
    echo "valgrind-check: $name: the fit under valgrind failed ($how)" >&2
    return 1
  fi
  compare "$name" "$tmp/$name-native.json" "$tmp/$name-valgrind.json"
}

failed=0
check gaussian-2d-full models/gaussian-2d-full.json || failed=1
check hmm-gaussian-3state models/hmm-gaussian-3state.json || failed=1
# 2000 rows of 0/1: the Bernoulli mixture's packed E step (kernels/bernoulli.h).
check bernoulli-20d models/bernoulli-20d.json || failed=1
exit $failed
