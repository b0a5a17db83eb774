#!/bin/bash
# SQUAREM vs plain EM on every bundled spec (bench/SQUAREM.md):
#   bash bench/squarem_evidence.sh [INIT]        (INIT: kmeans++ (default), short-em, random ...)
# Samples each spec (n = 10000, seed 7), fits it with --accelerate none and squarem, 3 restarts,
# tolerance 1e-8, fit.init = INIT (kmeans++: both fits continue the same 3 starts; under
# short-em the short runs themselves differ, so the two may keep different starts).
# E = E steps summed over the restarts, it = iterations summed, ll = best log-likelihood.
cd "$(dirname "$0")/.." || exit 1
INIT=${1:-kmeans++}
W=$(mktemp -d)
B=.build/release/emzoo
printf "%-26s %10s %10s %8s %8s %18s %18s\n" spec "E(none)" "E(sqm)" "it(none)" "it(sqm)" "ll(none)" "ll(sqm)"
for s in models/*.json; do
  name=$(basename "$s" .json)
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); s.setdefault("fit",{})["init"]=sys.argv[2]; s["fit"]["restarts"]=3; json.dump(s,open(sys.argv[3],"w"))' "$s" "$INIT" "$W/$name.json"
  $B sample "$s" --n 10000 --seed 7 --output "$W/$name.csv" >/dev/null 2>&1 || { echo "$name sample failed"; continue; }
  for a in none squarem; do
    $B fit "$W/$name.json" --data "$W/$name.csv" --tolerance 1e-8 --accelerate $a --quiet --output "$W/$name.$a.json" 2>"$W/$name.$a.err" || echo "$name $a fit failed: $(cat "$W/$name.$a.err")"
  done
  python3 - "$W" "$name" <<'PY'
import json,sys
w,n=sys.argv[1:3]
r={a:json.load(open(f"{w}/{n}.{a}.json")) for a in ["none","squarem"]}
E={a:sum(x.get("evaluations",0) for x in r[a]["restarts"]) for a in r}
I={a:sum(x["iterations"] for x in r[a]["restarts"]) for a in r}
print(f"{n:26s} {E['none']:10d} {E['squarem']:10d} {I['none']:8d} {I['squarem']:8d} {r['none']['logLikelihood']:18.6f} {r['squarem']['logLikelihood']:18.6f}")
PY
done
rm -rf "$W"
