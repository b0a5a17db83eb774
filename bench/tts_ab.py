#!/usr/bin/env python3
"""Interleaved A/B timing of bench/tts.py's stopped runs: for each case and binary, the run
that tts.py times (`emzoo fit --max-iterations i --tolerance 0`, i the first iteration within
1e-8 relative of l*), repeated ROUNDS times with the binaries alternating, so load on a busy
machine hits both alike. Reports the result's "seconds" (the fit alone, as tts.py does):
minimum and median per binary, the median CPU time of the whole process (user + system:
start-up and reading included), and the largest relative difference between the binaries'
traces (0: the same path to the bit).

    python3 bench/tts_ab.py ROUNDS name=/path/emzoo [name2=/path2 ...]
                            [--cases earthquakes-2,earthquakes-3,missreg] [--accelerate squarem]

Cases are the directories tts.py (or run.py) left in bench/data: tts-<case> for the real
cases, <case> for the workloads (run `python3 bench/tts.py --cases ... --repeat 0 --no-peers`
once to make them).
"""
import json, os, resource, statistics, subprocess, sys, tempfile
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
args = sys.argv[1:]
def option(name, default):
    if name in args:
        i = args.index(name); value = args[i + 1]; del args[i:i + 2]; return value
    return default
cases = option("--cases", "earthquakes-2,earthquakes-3").split(",")
accelerate = option("--accelerate", "squarem")
threads = option("--threads", "2")
rounds = int(args[0]); bins = dict(a.split("=", 1) for a in args[1:])
out = tempfile.mktemp(suffix=".json")

def case_files(case):
    real = DATA / f"tts-{case}"
    if real.is_dir():
        return real / "tts-spec.json", real / "data.csv"
    return DATA / case / "tts-spec.json", DATA / case / "data.csv"

def fit(binary, spec, data, tolerance, iterations):
    cmd = [binary, "fit", str(spec), "--data", str(data), "--output", out, "--accelerate", accelerate,
           "--tolerance", repr(tolerance), "--max-iterations", str(iterations), "--threads", threads, "--quiet"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.load(open(out))
    result["cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result

first = next(iter(bins.values()))
for case in cases:
    spec, data = case_files(case)
    if not spec.exists():
        sys.exit(f"{spec} missing: run bench/tts.py --cases {case} --repeat 0 --no-peers first")
    reference = fit(first, spec, data, 1e-13, 5000)
    best = reference["logLikelihood"]
    target = best - 1e-8 * abs(best)
    i = next(k for k, v in enumerate(reference["trace"]) if v >= target) + 1
    times = {b: [] for b in bins}
    cpu = {b: [] for b in bins}
    traces = {}
    for r in range(rounds):
        for b in (list(bins) if r % 2 == 0 else list(bins)[::-1]):
            res = fit(bins[b], spec, data, 0.0, i)
            times[b].append(res["seconds"])
            cpu[b].append(res["cpu"])
            traces[b] = res["trace"]
    first_trace = next(iter(traces.values()))
    gap = max(abs(x - y) / abs(x) for t in traces.values() for x, y in zip(first_trace, t))
    print(f"{case} ({accelerate}, {i} iterations, {reference['evaluationTrace'][i - 1]} E steps, "
          f"{rounds} rounds; largest relative trace difference {gap:.1e}):")
    base = statistics.median(times[next(iter(bins))])
    for b, t in times.items():
        print(f"  {b:>10}: fit min {min(t) * 1e3:.4f} ms  median {statistics.median(t) * 1e3:.4f} ms  "
              f"(median ratio to {next(iter(bins))}: {statistics.median(t) / base:.3f}); "
              f"process CPU median {statistics.median(cpu[b]) * 1e3:.1f} ms")
