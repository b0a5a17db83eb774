"""Scale benchmark: fits of 10^5 ... 10^8 rows from a memory-mapped .npy file.

    python3 bench/scale.py [--emzoo .build/release/emzoo] [--sizes 1e5,1e6,1e7,1e8]
                           [--csv-up-to 1e6] [--threads 2] [--keep]

For each n: `emzoo sample bench/scale-gmm8.json --n N --output bench/data/scale/N.npy`
(8 columns, 4 full-covariance components), then two fits of the same data with a fixed
number of plain-EM iterations (`--accelerate none --tolerance 0 --restarts 1`): one of 2
iterations and one of 12 (fewer if EM reaches its fixed point first). Their wall-time
difference / the difference in iterations is the time of one iteration,
free of loading and initialisation; divided by n it is s/iter per row. Where n <= --csv-up-to
the same data is also written as CSV and fitted from memory (the CSV path), for comparison.

Memory: the launcher polls /proc/PID/status of the fit every 50 ms and keeps the largest
VmHWM (peak resident, mapped file pages included), RssAnon (anonymous memory: what emzoo
itself allocated) and RssFile (pages of the mapped file). RssAnon is the bound the issue asks
for: under 1 GiB beyond the mapped file.

Results: bench/data/scale/results.json and a Markdown table on stdout. Data files are
deleted after each size unless --keep (10^8 rows is 6.4 GB).
"""

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, "bench", "scale-gmm8.json")
OUT = os.path.join(ROOT, "bench", "data", "scale")


def status_kib(pid):
    """VmHWM, RssAnon, RssFile of a live process in KiB (None once it has exited)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
    except OSError:
        return None
    get = lambda k: int(fields.get(k, "0 kB").split()[0])
    return get("VmHWM"), get("RssAnon"), get("RssFile")


def measured(cmd):
    """Runs cmd; returns wall seconds, peak VmHWM/RssAnon/RssFile (MiB) and stderr."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0, 0, 0]
    while p.poll() is None:
        s = status_kib(p.pid)
        if s:
            peak = [max(a, b) for a, b in zip(peak, s)]
        time.sleep(0.05)
    err = p.stderr.read()
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{err}")
    return {"wall": wall, "hwm_mib": peak[0] / 1024, "anon_mib": peak[1] / 1024, "file_mib": peak[2] / 1024}


def fit(emzoo, data, iterations, threads):
    cmd = [emzoo, "fit", SPEC, "--data", data, "--quiet", "--accelerate", "none", "--tolerance", "0",
           "--restarts", "1", "--max-iterations", str(iterations), "--threads", str(threads),
           "--output", os.path.join(OUT, "result.json")]
    m = measured(cmd)
    with open(os.path.join(OUT, "result.json")) as f:
        result = json.load(f)
    # Well-separated data can reach EM's fixed point (no change at all) before the limit.
    m["iterations"] = result["iterations"]
    m["logLikelihood"] = result["logLikelihood"]
    return m


def per_iteration(emzoo, data, n, threads):
    short = fit(emzoo, data, 2, threads)
    long = fit(emzoo, data, 12, threads)
    s_iter = (long["wall"] - short["wall"]) / (long["iterations"] - short["iterations"])
    return {"s_iter": s_iter, "iterations": long["iterations"], "s_iter_row": s_iter / n, "wall": long["wall"],
            "hwm_mib": max(short["hwm_mib"], long["hwm_mib"]), "anon_mib": max(short["anon_mib"], long["anon_mib"]),
            "file_mib": max(short["file_mib"], long["file_mib"]), "logLikelihood": long["logLikelihood"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--emzoo", default=os.path.join(ROOT, ".build", "release", "emzoo"))
    ap.add_argument("--sizes", default="1e5,1e6,1e7,1e8")
    ap.add_argument("--csv-up-to", type=float, default=1e6)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "results.json")
    results = json.load(open(path)) if os.path.exists(path) else {}
    for n in [int(float(s)) for s in args.sizes.split(",")]:
        npy = os.path.join(OUT, f"{n}.npy")
        t = time.perf_counter()
        subprocess.run([args.emzoo, "sample", SPEC, "--n", str(n), "--seed", "1", "--output", npy], check=True)
        row = {"n": n, "sample_seconds": time.perf_counter() - t, "file_mib": os.path.getsize(npy) / 2**20}
        row["npy"] = per_iteration(args.emzoo, npy, n, args.threads)
        if n <= args.csv_up_to:
            csv = os.path.join(OUT, f"{n}.csv")
            subprocess.run([args.emzoo, "sample", SPEC, "--n", str(n), "--seed", "1", "--output", csv], check=True)
            row["csv"] = per_iteration(args.emzoo, csv, n, args.threads)
            if not args.keep:
                os.remove(csv)
        if not args.keep:
            os.remove(npy)
        results[str(n)] = row
        with open(path, "w") as f:
            json.dump(results, f, indent=1)
        print(json.dumps(row), flush=True)
    print("\n| n | source | s/iter | ns/iter/row | wall (12 it.) | peak RSS MiB | anon MiB | file MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for key in sorted(results, key=int):
        row = results[key]
        for source in ("npy", "csv"):
            if source in row:
                r = row[source]
                print(f"| {int(key):.0e} | {source} | {r['s_iter']:.3f} | {1e9 * r['s_iter_row']:.1f} | {r['wall']:.1f} s "
                      f"| {r['hwm_mib']:.0f} | {r['anon_mib']:.0f} | {r['file_mib']:.0f} |")


if __name__ == "__main__":
    main()
