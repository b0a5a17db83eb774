#!/usr/bin/env bash
# MPI: `mpirun -np P emzoo fit` gives the same result bytes (apart from "processes" and
# "seconds") as the plain run, for P = 1, 2, 4 and 1 or 2 threads, for a Gaussian mixture (CSV
# and .npy), an HMM (several sequences) and the missing-data regression, and for mixtures, HMMs
# (CSV and .npy with sequences, one long sequence) and the regression on more than 250 000 rows,
# where each rank holds only its own rows (an HMM's, Gaussian or categorical: its whole
# sequences; a C plugin's family too, as a mixture and as an HMM emission); a malformed line that only one rank reads makes every rank exit 2 with the plain
# run's one line.
#
# Installs Open MPI when missing. Uses the debug binary that scripts/test.sh builds (or
# $EMZOO). The data span 3 fixed blocks of 16384 rows, so every P splits them differently
# (with P = 4 one rank holds none).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v mpirun >/dev/null || [ ! -e /usr/lib/x86_64-linux-gnu/libmpi.so.40 ] && ! ldconfig -p | grep -q 'libmpi.so.40 '; then
  echo "emzoo: installing Open MPI (openmpi-bin, libopenmpi-dev)" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=300 openmpi-bin libopenmpi-dev >/dev/null
fi
EMZOO="${EMZOO:-$PWD/.build/debug/emzoo}"
[ -x "$EMZOO" ] || swift build --product emzoo
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
MPIRUN=(mpirun -q --oversubscribe)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ROWS=34000

# The result without "processes" and "seconds" (one member per line in emzoo's JSON).
strip() { grep -v -e '^  "seconds": ' -e '^  "processes": ' "$1"; }

check_model() {  # name spec data [extra fit flags...]
  local name=$1 spec=$2 data=$3
  shift 3
  local extra=("$@")
  "$EMZOO" fit "$spec" --data "$data" --threads 1 --quiet --output "$work/$name-plain.json" "${extra[@]}"
  strip "$work/$name-plain.json" >"$work/$name-reference"
  if grep -q '"processes"' "$work/$name-plain.json"; then
    echo "FAIL $name: a plain run records processes" >&2; exit 1
  fi
  local runs=("plain 2" "1 1" "2 1" "2 2" "4 1" "4 2")
  if [ -n "${RUNS:-}" ]; then read -r -a runs <<<"$RUNS"; runs=("${runs[@]/_/ }"); fi
  for run in "${runs[@]}"; do
    local p=${run% *} t=${run#* }
    local out="$work/$name-$p-$t.json"
    if [ "$p" = plain ]; then
      "$EMZOO" fit "$spec" --data "$data" --threads "$t" --quiet --output "$out" "${extra[@]}"
    else
      "${MPIRUN[@]}" -np "$p" "$EMZOO" fit "$spec" --data "$data" --threads "$t" --quiet --output "$out" "${extra[@]}"
      grep -q "^  \"processes\": $p,\$" "$out" || { echo "FAIL $name P=$p: no \"processes\": $p" >&2; exit 1; }
    fi
    if ! cmp -s <(strip "$out") "$work/$name-reference"; then
      echo "FAIL $name P=$p threads=$t: result differs from the plain run" >&2
      diff <(strip "$out") "$work/$name-reference" | head -20 >&2
      exit 1
    fi
  done
  local said=() run
  for run in "${runs[@]}"; do said+=("${run% *}/${run#* }"); done
  echo "ok   $name: identical bytes for (processes/threads) ${said[*]}"
}

# A bad data file: the plain run exits 2, and with -np 2 and 4 every rank exits 2 with exactly
# the plain run's line on stderr and writes nothing.
check_same_failure() {  # what spec data
  local what=$1 spec=$2 data=$3 status=0 p
  "$EMZOO" fit "$spec" --data "$data" --output "$work/bad.json" 2>"$work/plain-stderr" || status=$?
  [ "$status" = 2 ] || { echo "FAIL $what: the plain run exits $status" >&2; exit 1; }
  for p in 2 4; do
    status=0
    "${MPIRUN[@]}" -np $p "$EMZOO" fit "$spec" --data "$data" --output "$work/bad.json" \
      2>"$work/stderr" >"$work/stdout" || status=$?
    if [ "$status" != 2 ] || ! cmp -s "$work/stderr" "$work/plain-stderr" || [ -e "$work/bad.json" ]; then
      echo "FAIL $what, P=$p: status $status, stderr:" >&2
      cat "$work/stderr" >&2
      exit 1
    fi
  done
}

cat >"$work/gm.json" <<'JSON'
{"name": "mpi-gm", "model": "gaussian-mixture", "options": {"components": 3},
 "parameters": {"weights": [0.3, 0.3, 0.4], "means": [[0, 0], [4, 0], [0, 4]],
   "covariances": [[[1, 0], [0, 1]], [[1, 0.5], [0.5, 1]], [[2, 0], [0, 0.5]]]},
 "fit": {"restarts": 1, "maxIterations": 6, "standardErrors": true}}
JSON
"$EMZOO" sample "$work/gm.json" --n $ROWS --seed 3 --output "$work/gm.csv"
check_model gaussian-mixture "$work/gm.json" "$work/gm.csv"
"$EMZOO" sample "$work/gm.json" --n $ROWS --seed 3 --output "$work/gm.npy"
check_model gaussian-mixture-npy "$work/gm.json" "$work/gm.npy"

# More than 250 000 rows: each rank reads and holds only the rows of its blocks (row windows),
# initialises from the gathered subsample, and sums the ICL by block.
cat >"$work/big.json" <<'JSON'
{"name": "mpi-big", "model": "gaussian-mixture", "options": {"components": 3},
 "parameters": {"weights": [0.3, 0.3, 0.4], "means": [[0, 0], [4, 0], [0, 4]],
   "covariances": [[[1, 0], [0, 1]], [[1, 0.5], [0.5, 1]], [[2, 0], [0, 0.5]]]},
 "fit": {"restarts": 1, "maxIterations": 3, "init": "kmeans++", "standardErrors": false}}
JSON
BIG=270000
"$EMZOO" sample "$work/big.json" --n $BIG --seed 9 --output "$work/big.csv"
"$EMZOO" sample "$work/big.json" --n $BIG --seed 9 --output "$work/big.npy"
RUNS="plain_1 1_1 2_1 2_2 4_1" check_model windowed-mixture "$work/big.json" "$work/big.csv"
RUNS="plain_1 2_1 4_1" check_model windowed-mixture-npy "$work/big.json" "$work/big.npy"
# A Poisson mixture: its reference rates and Σ log x! are summed by block on row windows too.
cat >"$work/bigpois.json" <<'JSON'
{"name": "mpi-big-poisson", "model": "poisson-mixture", "options": {"components": 2},
 "parameters": {"weights": [0.4, 0.6], "rates": [[2, 7], [9, 1]]},
 "fit": {"restarts": 1, "maxIterations": 3, "init": "kmeans++", "standardErrors": false}}
JSON
"$EMZOO" sample "$work/bigpois.json" --n $BIG --seed 13 --output "$work/bigpois.npy"
RUNS="plain_1 2_1 4_1" check_model windowed-poisson-npy "$work/bigpois.json" "$work/bigpois.npy"

cat >"$work/hmm.json" <<'JSON'
{"name": "mpi-hmm", "model": "hmm",
 "options": {"states": 2, "emission": "gaussian", "length": 700},
 "parameters": {"initial": [0.5, 0.5], "transition": [[0.9, 0.1], [0.2, 0.8]],
   "means": [[0], [3]], "covariances": [[[1]], [[1.5]]]},
 "fit": {"restarts": 1, "maxIterations": 8, "standardErrors": false}}
JSON
"$EMZOO" sample "$work/hmm.json" --n $ROWS --seed 5 --output "$work/hmm.csv"
check_model hmm "$work/hmm.json" "$work/hmm.csv"

# HMMs on more than 250 000 rows: each rank holds only the rows of its chunks of whole
# sequences. Sequences of uneven lengths (some longer than a block of 16384 rows, so they
# straddle the ranks' byte ranges and blocks) with a few rows entirely missing, as CSV and as
# .npy with the ids in column c0; and one long sequence (no sequence column), which rank 0 holds.
cat >"$work/bighmm.json" <<'JSON'
{"name": "mpi-big-hmm", "model": "hmm", "options": {"states": 2, "emission": "gaussian"},
 "parameters": {"initial": [0.5, 0.5], "transition": [[0.9, 0.1], [0.2, 0.8]],
   "means": [[0], [3]], "covariances": [[[1]], [[1.5]]]},
 "fit": {"restarts": 1, "maxIterations": 3, "init": "kmeans++", "standardErrors": false}}
JSON
sed -e 's/"model": "hmm",/"model": "hmm", "sequence": "c0",/' "$work/bighmm.json" >"$work/bighmm-npy.json"
"$EMZOO" sample "$work/bighmm.json" --n $BIG --seed 15 --output "$work/bighmm1.csv"
python3 - "$work/bighmm1.csv" "$work/bighmm.csv" "$work/bighmm.npy" <<'PY'
import array, sys
values = [float(line) for line in open(sys.argv[1]).read().split()[1:]]
cycle = [1, 700, 5000, 3, 40000, 1200, 2047, 2049, 9000, 16384, 17, 30001]
ids, k = [], 0
while len(ids) < len(values):
    ids += [k] * cycle[k % len(cycle)]
    k += 1
ids = ids[:len(values)]
missing = set(range(17, len(values), 997))
with open(sys.argv[2], "w") as f:
    f.write("sequence,x1\n")
    for i, x in enumerate(values):
        f.write("s%d,%s\n" % (ids[i], "" if i in missing else repr(x)))
flat = array.array("d")
for i, x in enumerate(values):
    flat.extend([float(ids[i]), float("nan") if i in missing else x])
header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, 2), }" % len(values)
header += " " * (63 - (10 + len(header)) % 64) + "\n"
with open(sys.argv[3], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())
    f.write(flat.tobytes())
PY
RUNS="plain_1 2_1 3_2 4_1" check_model windowed-hmm "$work/bighmm.json" "$work/bighmm.csv"
RUNS="plain_1 2_1 4_1" check_model windowed-hmm-npy "$work/bighmm-npy.json" "$work/bighmm.npy"
RUNS="plain_1 2_1 4_1" check_model windowed-hmm-one-sequence "$work/bighmm.json" "$work/bighmm1.csv"
# A categorical HMM: its start counts the symbols of every row, by block over the ranks.
cat >"$work/bigcat.json" <<'JSON'
{"name": "mpi-big-categorical-hmm", "model": "hmm",
 "options": {"states": 2, "emission": "categorical", "symbols": 6, "length": 5000},
 "parameters": {"initial": [0.5, 0.5], "transition": [[0.95, 0.05], [0.1, 0.9]],
   "probabilities": [[0.2, 0.2, 0.2, 0.2, 0.1, 0.1], [0.1, 0.1, 0.1, 0.1, 0.1, 0.5]]},
 "fit": {"restarts": 1, "maxIterations": 3, "init": "random", "standardErrors": false}}
JSON
"$EMZOO" sample "$work/bigcat.json" --n $BIG --seed 17 --output "$work/bigcat.csv"
RUNS="plain_1 2_1 4_1" check_model windowed-categorical-hmm "$work/bigcat.json" "$work/bigcat.csv"

sed -e 's/"name": "regression-mar"/"name": "mpi-regression"/' models/regression-mar.json >"$work/reg.json"
"$EMZOO" sample "$work/reg.json" --n $ROWS --seed 7 --output "$work/reg.csv"
check_model missing-data-regression "$work/reg.json" "$work/reg.csv" --max-iterations 10
"$EMZOO" sample "$work/reg.json" --n $BIG --seed 11 --output "$work/bigreg.csv"
RUNS="plain_1 2_1 4_1" check_model windowed-regression "$work/reg.json" "$work/bigreg.csv" --max-iterations 3

# A Bernoulli mixture with 5 % of the entries missing: its E step runs on bit-packed rows.
python3 - models/bernoulli-20d.json "$work/bern.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec.update(name="mpi-bernoulli", fit={"restarts": 1, "maxIterations": 8, "standardErrors": False})
spec["options"]["missing"] = {"rate": 0.05}
json.dump(spec, open(sys.argv[2], "w"))
PY
"$EMZOO" sample "$work/bern.json" --n $ROWS --seed 9 --output "$work/bern.csv"
check_model bernoulli-mixture "$work/bern.json" "$work/bern.csv"

# A malformed line in the last block (the last rank's part): every rank exits 2, and stderr
# holds one line naming the file and line.
python3 - "$work/gm.csv" "$work/bad.csv" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
lines[33000] = "1.5,abc"
open(sys.argv[2], "w").write("\n".join(lines))
PY
for p in 1 2 4; do
  status=0
  "${MPIRUN[@]}" -np $p "$EMZOO" fit "$work/gm.json" --data "$work/bad.csv" --output "$work/bad.json" \
    2>"$work/stderr" >"$work/stdout" || status=$?
  lines=$(wc -l <"$work/stderr")
  if [ "$status" != 2 ] || [ "$lines" != 1 ] || ! grep -q "bad.csv: line 33001" "$work/stderr" || [ -e "$work/bad.json" ]; then
    echo "FAIL bad data, P=$p: status $status, $lines lines on stderr:" >&2
    cat "$work/stderr" >&2
    exit 1
  fi
done
echo "ok   a malformed line: every rank exits 2 with one line ($(cat "$work/stderr"))"

# The same in a large file, in the last rank's window, and in the first half of the file:
# every rank exits 2 with exactly the plain run's line.
python3 - "$work/big.csv" "$work/bigbad.csv" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
lines[265000] = "1.5,abc"
open(sys.argv[2], "w").write("\n".join(lines))
PY
check_same_failure "bad large data" "$work/big.json" "$work/bigbad.csv"
echo "ok   a malformed line in a rank's window: every rank exits 2 with the plain run's line ($(cat "$work/stderr"))"

# A C plugin's family (Examples/c-plugin/geometric.c) on row windows too: each rank checks
# and holds only its own rows; a bad value in the last rank's window stops every rank with the
# plain run's line.
cc -shared -fPIC -O2 -I Sources/EMZooPluginABI/include Examples/c-plugin/geometric.c -o "$work/libgeometric.so" -lm
python3 - Examples/c-plugin/geometric-mixture.json "$work/geo.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec.pop("columns")
spec.update(name="mpi-geometric", fit={"restarts": 1, "maxIterations": 3, "init": "kmeans++", "standardErrors": False})
json.dump(spec, open(sys.argv[2], "w"))
PY
export EMZOO_PLUGINS="$work/libgeometric.so"
"$EMZOO" sample "$work/geo.json" --n $BIG --seed 17 --output "$work/geo.npy"
RUNS="plain_1 2_1 4_1" check_model windowed-plugin-npy "$work/geo.json" "$work/geo.npy"
"$EMZOO" sample "$work/geo.json" --n $BIG --seed 17 --output "$work/geo.csv"
python3 - "$work/geo.csv" "$work/geobad.csv" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
lines[265000] = "-1," + lines[265000].split(",", 1)[1]
open(sys.argv[2], "w").write("\n".join(lines))
PY
check_same_failure "bad plugin data" "$work/geo.json" "$work/geobad.csv"
echo "ok   a plugin value out of its support in a rank's window: every rank exits 2 with the plain run's line ($(cat "$work/stderr"))"

# The plugin family as an HMM emission: ranks hold their own whole sequences.
python3 - Examples/c-plugin/geometric-hmm.json "$work/geohmm.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["options"]["length"] = 1000
spec.update(name="mpi-geometric-hmm", fit={"restarts": 1, "maxIterations": 3, "standardErrors": False})
json.dump(spec, open(sys.argv[2], "w"))
PY
"$EMZOO" sample "$work/geohmm.json" --n $BIG --seed 19 --output "$work/geohmm.csv"
RUNS="plain_1 2_1 4_1" check_model windowed-plugin-hmm "$work/geohmm.json" "$work/geohmm.csv"
unset EMZOO_PLUGINS
