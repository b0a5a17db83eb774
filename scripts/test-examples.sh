#!/usr/bin/env bash
# Proves the plugin door from a clean state: Examples/ExponentialMixture, a separate SwiftPM
# package, depends on emzoo *by version* (`from: "0.1.0"`), adds an exponential family and
# runs every emzoo command with it.
#
# It tests the committed HEAD: the repository is cloned into a temporary folder and tagged
# 0.1.0 there, and the example is copied from that clone. Uncommitted changes are not tested
# (the script says so when there are some).
#
#   bash scripts/test-examples.sh          # about 2 minutes on 2 cores (a debug build of emzoo)
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
passed=0
failed=0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/emzoo-examples.XXXXXX")
# SwiftPM also leaves empty lock files named after the package path in /tmp.
trap 'rm -rf "$tmp"; rm -f /tmp/"$(printf %s "$tmp" | tr / _)"_*.lock' EXIT

pass() { passed=$((passed + 1)); echo "ok    $1"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL  $1"
  [ -s "$tmp/stderr" ] && sed 's/^/      /' "$tmp/stderr" | tail -n 20
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "note: the working tree has uncommitted changes; this tests HEAD ($(git rev-parse --short HEAD)) only"
fi

# (a) A clean clone of HEAD, tagged 0.1.0 so that `from: "0.1.0"` resolves to it.
if ! git clone -q "$repo" "$tmp/emzoo" 2>"$tmp/stderr" \
  || ! git -C "$tmp/emzoo" -c user.name=ci -c user.email=ci@localhost tag 0.1.0 2>>"$tmp/stderr"; then
  fail "clone HEAD and tag it 0.1.0"
  finish
fi

# (b) The example as an outside package, built against that clone.
if ! cp -R "$tmp/emzoo/Examples/ExponentialMixture" "$tmp/ExponentialMixture" 2>"$tmp/stderr"; then
  fail "copy Examples/ExponentialMixture (is it committed?)"
  finish
fi
example="$tmp/ExponentialMixture"
if EMZOO_URL="file://$tmp/emzoo" swift build --package-path "$example" >"$tmp/build.log" 2>"$tmp/stderr"; then
  pass "build Examples/ExponentialMixture against emzoo 0.1.0 (a clone of HEAD)"
else
  cat "$tmp/build.log" >>"$tmp/stderr"
  fail "build Examples/ExponentialMixture against emzoo 0.1.0 (a clone of HEAD)"
  finish
fi
bin="$example/.build/debug/emzoo-exponential"
spec="$example/models/exponential-mixture.json"
hmm="$example/models/exponential-hmm.json"

# Runs a command with stdout in $tmp/stdout and stderr in $tmp/stderr; returns its status.
run() { "$@" >"$tmp/stdout" 2>"$tmp/stderr"; }

# (c) Every command with the plugin's kind.
if run "$bin" list && grep -q '^exponential-mixture ' "$tmp/stdout"; then
  pass "list shows exponential-mixture"
else
  fail "list shows exponential-mixture"
fi

if run "$bin" sample "$spec" --n 5000 --seed 3 --output "$tmp/sample.csv" \
  && [ "$(head -n 1 "$tmp/sample.csv")" = "reply,resolution" ] \
  && [ "$(wc -l <"$tmp/sample.csv")" -eq 5001 ]; then
  pass "sample --n 5000 --seed 3 writes 5000 rows"
else
  fail "sample --n 5000 --seed 3 writes 5000 rows"
fi

# The fit, then an independent computation of what it reports (pure Python, no emzoo code):
# the log-likelihood at the fitted parameters, Σᵢ log Σₖ πₖ Πⱼ λₖⱼ e^{−λₖⱼ xᵢⱼ} over observed
# entries, and the EM fixed point λₖⱼ = Σᵢ rᵢₖ [xᵢⱼ observed] / Σᵢ rᵢₖ xᵢⱼ, πₖ = Σᵢ rᵢₖ / n.
if run "$bin" fit "$spec" --data "$tmp/sample.csv" --output "$tmp/fit.json" --seed 3 --quiet \
  && python3 - "$tmp/fit.json" "$tmp/sample.csv" 2>"$tmp/stderr" <<'EOF'
import csv, json, math, sys
result = json.load(open(sys.argv[1]))
assert result["model"] == "exponential-mixture", f"model is {result['model']!r}"
ll = result["logLikelihood"]
assert isinstance(ll, float) and math.isfinite(ll), f"logLikelihood is {ll!r}"
w, rates = result["parameters"]["weights"], result["parameters"]["rates"]
rows = [[float(v) if v else None for v in r] for r in list(csv.reader(open(sys.argv[2])))[1:]]
K, d = len(w), len(rates[0])
total, r_sum = 0.0, [0.0] * K
num = [[0.0] * d for _ in range(K)]
den = [[0.0] * d for _ in range(K)]
for x in rows:
    logs = [math.log(w[k]) + sum(math.log(rates[k][j]) - rates[k][j] * x[j] for j in range(d) if x[j] is not None)
            for k in range(K)]
    m = max(logs)
    s = sum(math.exp(v - m) for v in logs)
    total += m + math.log(s)
    for k in range(K):
        r = math.exp(logs[k] - m) / s
        r_sum[k] += r
        for j in range(d):
            if x[j] is not None:
                num[k][j] += r
                den[k][j] += r * x[j]
assert abs(total - ll) <= 1e-6 * abs(ll), f"logLikelihood {ll} but the direct sum is {total}"
for k in range(K):
    assert abs(r_sum[k] / len(rows) - w[k]) <= 1e-4, f"weight {k}: {w[k]} vs fixed point {r_sum[k] / len(rows)}"
    for j in range(d):
        fixed = num[k][j] / den[k][j]
        assert abs(fixed - rates[k][j]) <= 1e-4 * fixed, f"rate [{k}][{j}]: {rates[k][j]} vs fixed point {fixed}"
EOF
then
  pass "fit: kind exponential-mixture, finite logLikelihood, equal to an independent sum; rates at the EM fixed point"
else
  fail "fit: kind exponential-mixture, finite logLikelihood, equal to an independent sum; rates at the EM fixed point"
fi

if run "$bin" check "$spec" && grep -q '^PASS' "$tmp/stdout"; then
  pass "check exponential-mixture.json exits 0"
else
  fail "check exponential-mixture.json exits 0"
fi

if run "$bin" run "$example/models"; then
  pass "run models/ (the mixture and the exponential HMM) exits 0"
else
  fail "run models/ (the mixture and the exponential HMM) exits 0"
fi

if run "$bin" sample "$hmm" --n 5000 --seed 3 --output "$tmp/hmm.csv" \
  && run "$bin" fit "$hmm" --data "$tmp/hmm.csv" --output "$tmp/hmm-fit.json" --quiet \
  && python3 - "$tmp/hmm-fit.json" 2>"$tmp/stderr" <<'EOF'
import json, math, sys
result = json.load(open(sys.argv[1]))
assert result["model"] == "hmm" and result["options"]["emission"] == "exponential", result["options"]
assert math.isfinite(result["logLikelihood"]), result["logLikelihood"]
assert len(result["parameters"]["rates"]) == 2
EOF
then
  pass "an hmm with \"emission\": \"exponential\" samples and fits"
else
  fail "an hmm with \"emission\": \"exponential\" samples and fits"
fi

# impute through the family's `ConditionalMeanFamily`: a missing waiting time becomes
# Σₖ p(k | the row's observed entries) / λₖⱼ, computed here from the fitted parameters; an
# all-missing row gets Σₖ πₖ / λₖⱼ; observed entries come back as they were written.
printf 'reply,resolution\n0.3,\n,2.5\n,\n1,1\n' >"$tmp/holes.csv"
if run "$bin" impute "$tmp/fit.json" --data "$tmp/holes.csv" --output "$tmp/imputed.csv" \
  && python3 - "$tmp/fit.json" "$tmp/holes.csv" "$tmp/imputed.csv" 2>"$tmp/stderr" <<'EOF'
import csv, json, math, sys
result = json.load(open(sys.argv[1]))
w, rates = result["parameters"]["weights"], result["parameters"]["rates"]
holes = list(csv.reader(open(sys.argv[2])))
filled = list(csv.reader(open(sys.argv[3])))
assert filled[0] == holes[0], filled[0]
assert len(filled) == len(holes), f"{len(filled)} rows written for {len(holes)}"
K, d = len(w), len(rates[0])
for given, got in zip(holes[1:], filled[1:]):
    x = [float(v) if v else None for v in given]
    logs = [math.log(w[k]) + sum(math.log(rates[k][j]) - rates[k][j] * x[j] for j in range(d) if x[j] is not None)
            for k in range(K)]
    m = max(logs)
    r = [math.exp(v - m) for v in logs]
    r = [v / sum(r) for v in r]
    for j in range(d):
        if x[j] is None:
            expected = sum(r[k] / rates[k][j] for k in range(K))
            assert abs(float(got[j]) - expected) <= 1e-12 * expected, f"{given}: {got[j]} vs {expected}"
        else:
            assert got[j] == given[j], f"{given}: observed entry changed to {got[j]}"
EOF
then
  pass "impute: each missing entry is the responsibility-weighted mean 1/rate, observed entries unchanged"
else
  fail "impute: each missing entry is the responsibility-weighted mean 1/rate, observed entries unchanged"
fi

# Bad input is the family's to reject: a negative waiting time, named by line and column.
printf 'reply,resolution\n1.5,2\n0.5,-3\n' >"$tmp/negative.csv"
run "$bin" fit "$spec" --data "$tmp/negative.csv" --quiet
status=$?
if [ "$status" -eq 2 ] && grep -q 'line 3.*resolution.*expected a non-negative number, found -3' "$tmp/stderr"; then
  pass "a negative value is bad input (exit 2) naming its line and column"
else
  echo "exit status $status" >>"$tmp/stderr"
  fail "a negative value is bad input (exit 2) naming its line and column"
fi

finish
