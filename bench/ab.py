#!/usr/bin/env python3
"""Interleaved A/B timing of `emzoo fit` on the cached bench data: s/iter = seconds/iterations
from the result JSON (exactly what bench/run.py reports for emzoo). Usage:
  ab.py ROUNDS name=/path/emzoo [name2=/path2 ...] [--workloads a,b]"""
import json, subprocess, sys, statistics, os, tempfile
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")  # made by bench/run.py
W = "gmm-full,gmm-diag,poisson-mix,bern-mix,hmm-gauss,hmm-cat,missreg".split(",")
args = sys.argv[1:]
if "--workloads" in args:
    i = args.index("--workloads"); W = args[i+1].split(","); del args[i:i+2]
rounds = int(args[0]); bins = dict(a.split("=", 1) for a in args[1:])
env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
res = {(w, b): [] for w in W for b in bins}
ll = {}
out = tempfile.mktemp(suffix=".json")
import time
def busy():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")
QUIET = float(os.environ.get("AB_QUIET", "0"))  # wait up to this many seconds for < 0.15 busy cores
def wait_quiet():
    deadline = time.monotonic() + QUIET
    while time.monotonic() < deadline:
        b0 = busy(); time.sleep(1.0)
        if busy() - b0 < 0.15: return
for r in range(rounds):
    for w in W:
        order = list(bins) if r % 2 == 0 else list(bins)[::-1]
        for b in order:
            cmd = [bins[b], "fit", f"{DATA}/{w}/spec.json", "--data", f"{DATA}/{w}/data.csv", "--output", out,
                   "--max-iterations", "20", "--tolerance", "0", "--restarts", "1", "--threads", "2", "--quiet"]
            if QUIET: wait_quiet()
            subprocess.run(cmd, check=True, env=env)
            j = json.load(open(out))
            res[(w, b)].append(j["seconds"] / j["iterations"])
            ll[(w, b)] = j["logLikelihood"]
    print(f"round {r+1} done", file=sys.stderr, flush=True)
print("| workload | " + " | ".join(f"{b} s/iter (median of {rounds})" for b in bins) + " | ratio " + "/".join(list(bins)[1:]) + "/" + list(bins)[0] + " | logLik |")
print("|---" * (len(bins) + 3) + "|")
for w in W:
    meds = [statistics.median(res[(w, b)]) for b in bins]
    lls = {ll[(w, b)] for b in bins}
    print(f"| {w} | " + " | ".join(f"{m:.4g}" for m in meds) + " | " + " / ".join(f"{m/meds[0]:.3f}" for m in meds[1:]) + f" | {'same' if len(lls)==1 else 'differ ' + repr(sorted(lls))} |")
print(json.dumps({f"{w}|{b}": v for (w, b), v in res.items()}), file=open(out + ".raw", "w"))
print("raw:", out + ".raw", file=sys.stderr)
