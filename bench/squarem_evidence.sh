#!/bin/bash
# For every bundled spec: sample n rows (check block's n/seed), fit with squarem and none.
cd /work/h-squarem
B=.build/release/emzoo
printf "%-26s %10s %10s %8s %8s %18s %18s\n" spec "E(none)" "E(sqm)" "it(none)" "it(sqm)" "ll(none)" "ll(sqm)"
for s in models/*.json; do
  name=$(basename $s .json)
  $B sample $s --n 10000 --seed 7 --output /tmp/hsq/$name.csv >/dev/null 2>&1 || { echo "$name sample failed"; continue; }
  for a in none squarem; do
    $B fit $s --data /tmp/hsq/$name.csv --accelerate $a --quiet --output /tmp/hsq/$name.$a.json 2>/tmp/hsq/$name.$a.err || echo "$name $a fit failed: $(cat /tmp/hsq/$name.$a.err)"
  done
  python3 - "$name" <<'PY'
import json,sys
n=sys.argv[1]
r={a:json.load(open(f"/tmp/hsq/{n}.{a}.json")) for a in ["none","squarem"]}
E={a:sum(x.get("evaluations",0) for x in r[a]["restarts"]) for a in r}
I={a:sum(x["iterations"] for x in r[a]["restarts"]) for a in r}
print(f"{n:26s} {E['none']:10d} {E['squarem']:10d} {I['none']:8d} {I['squarem']:8d} {r['none']['logLikelihood']:18.6f} {r['squarem']['logLikelihood']:18.6f}")
PY
done
