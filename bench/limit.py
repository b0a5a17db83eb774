#!/usr/bin/env python3
"""How far is each EM iteration of emzoo from what this machine can do at best?

    python3 bench/limit.py [--workloads a,b] [--threads 2] [--repeat 3]
                           [--emzoo PATH] [--small] [--markdown FILE] [--json FILE]

The machine's limit for one EM iteration of a workload is

    limit = max(bytes / bandwidth, flops / peak)

  * bandwidth: a STREAM-like triad a[i] = b[i] + s * c[i] over three arrays of
    BW_DOUBLES doubles (3 x 256 MiB, beyond this machine's 260 MiB L3),
    `threads` POSIX threads, best of 10 sweeps, 24 bytes counted per element
    (STREAM's convention: write-allocate traffic not counted, which makes the
    bandwidth higher and so the limit *lower*, i.e. stricter);
  * peak: an FMA loop, `threads` threads, 16 independent vector accumulators
    (512-bit if the CPU has AVX-512F, else 256-bit AVX2+FMA, else scalar),
    2 flops per FMA lane, best of 5;
  * both micro-benchmarks time each thread by its own CPU time
    (CLOCK_THREAD_CPUTIME_ID) and add the threads' rates, so that other
    processes on a shared machine (compilers...) do not make the machine look
    slower than it is (which would make the limit look easier). Override with
    --bandwidth GB/s / --peak GFLOP/s (e.g. a quiet-machine measurement);
  * bytes: the data an ideal implementation must read per iteration: the
    n x d feature matrix as float64, read once (E and M step fused into one
    pass). HMM forward-backward additionally needs the forward variables of a
    sequence between the two passes; an ideal implementation keeps a block of
    them in cache and recomputes, so they are NOT counted;
  * flops: the arithmetic an ideal E+M step needs, from the shapes (n, d, K),
    with exp / log counted as EXP_FLOPS = 20 flops each. The model per
    workload is in `ideal_work` below (one FMA = 2 flops, a d x d triangular
    solve = d^2 flops, a symmetric rank-1 update = d(d+1) flops).

Both bounds are optimistic on purpose (perfect vectorisation, no reductions,
no latency), so emzoo / limit >= 1 always, and the ratio says how much of the
machine an iteration leaves unused.

emzoo is run exactly like bench/run.py does (same data under bench/data, same
spec with the shared start, `--max-iterations N --tolerance 0 --restarts 1
--threads T`) but with "fit": {"accelerate": "none", "standardErrors": false},
so an iteration is one E step + one M step, `repeat` times, keeping the smallest reported "seconds"; emzoo
s/iter = "seconds" / "iterations" (setup of the fit included, CSV loading not).

The two micro-benchmarks are small C programs written to a temporary
directory and compiled here with `cc -O2` (plus -mavx512f / -mavx2 -mfma for
the FMA loop, chosen from /proc/cpuinfo): they measure the machine, they are
not part of emzoo (whose kernels are built without -march=native and
dispatched at run time).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_EMZOO, clean_env, read_json  # noqa: E402
from workloads import WORKLOADS, prepare  # noqa: E402

EXP_FLOPS = 20          # one exp or log, in flops
BW_DOUBLES = 32 * 2**20  # per triad array (256 MiB each)

TRIAD_C = r"""
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double *a, *b, *c; static long n; static int T;
static pthread_barrier_t bar;
static double cpu(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static double rate[64];
static void *work(void *arg) {
    long id = (long)arg, lo = n * id / T, hi = n * (id + 1) / T;
    for (long i = lo; i < hi; i++) { a[i] = 0; b[i] = 1.0 + i % 7; c[i] = 2.0 + i % 5; }  /* first touch */
    double best = 0;
    for (int rep = 0; rep < 10; rep++) {
        pthread_barrier_wait(&bar);
        double t0 = cpu();
        const double s = 3.0;
        for (long i = lo; i < hi; i++) a[i] = b[i] + s * c[i];
        double r = 24.0 * (hi - lo) / (cpu() - t0);
        if (r > best) best = r;
    }
    rate[id] = best;
    return NULL;
}
int main(int argc, char **argv) {
    n = atol(argv[1]); T = atoi(argv[2]);
    a = malloc(n * sizeof *a); b = malloc(n * sizeof *b); c = malloc(n * sizeof *c);
    if (!a || !b || !c) return 1;
    pthread_barrier_init(&bar, NULL, T);
    pthread_t th[64];
    for (long i = 0; i < T; i++) pthread_create(&th[i], NULL, work, (void *)i);
    for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
    double total = 0; for (int i = 0; i < T; i++) total += rate[i];
    double check = 0; for (long i = 0; i < n; i += 4096) check += a[i];
    printf("%.6e %.17g\n", total, check);
    return 0;
}
"""

FMA_C = r"""
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifndef W
#define W 1
#endif
typedef double v __attribute__((vector_size(8 * W)));
static int T; static long iters; static double sink[64], rate[64];
static double cpu(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
#define R16(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
static void *work(void *arg) {
    long id = (long)arg;
    v x, y;
    for (int j = 0; j < W; j++) { x[j] = 0.999999; y[j] = 1e-7; }
#define DECL(k) v a##k = x * (double)(k + 1);
    R16(DECL)
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = cpu();
        for (long i = 0; i < iters; i++) {
#define STEP(k) a##k = a##k * x + y;
            R16(STEP)
            __asm__("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7));
            __asm__("" : "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11), "+v"(a12), "+v"(a13), "+v"(a14), "+v"(a15));
        }
        double r = 2.0 * 16 * W * (double)iters / (cpu() - t0);
        if (r > best) best = r;
    }
    v sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15;
    double s = 0; for (int j = 0; j < W; j++) s += sum[j];
    sink[id] = s; rate[id] = best;
    return NULL;
}
int main(int argc, char **argv) {
    T = atoi(argv[1]); iters = atol(argv[2]);
    pthread_t th[64];
    for (long i = 0; i < T; i++) pthread_create(&th[i], NULL, work, (void *)i);
    for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
    double total = 0; for (int i = 0; i < T; i++) total += rate[i];
    printf("%.6e %g\n", total, sink[0]);
    return 0;
}
"""


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def compile_and_run(src: str, flags: list[str], args: list[str], tmp: Path, name: str) -> float:
    c, exe = tmp / f"{name}.c", tmp / name
    c.write_text(src)
    subprocess.run(["cc", "-O2", *flags, "-o", str(exe), str(c), "-lpthread"], check=True)
    out = subprocess.run([str(exe), *args], check=True, capture_output=True, text=True).stdout
    return float(out.split()[0])


def measure_machine(threads: int) -> dict:
    flags = cpu_flags()
    if "avx512f" in flags:
        isa, fflags, width = "AVX-512F", ["-mavx512f", "-mfma", "-DW=8"], 8
    elif "avx2" in flags and "fma" in flags:
        isa, fflags, width = "AVX2+FMA", ["-mavx2", "-mfma", "-DW=4"], 4
    else:
        isa, fflags, width = "scalar", ["-DW=1"], 1
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        bw = compile_and_run(TRIAD_C, [], [str(BW_DOUBLES), str(threads)], tmp, "triad")
        peak = compile_and_run(FMA_C, fflags, [str(threads), str(50_000_000)], tmp, "fma")
    return {"bandwidth_bytes_s": bw, "peak_flops_s": peak, "fma_isa": isa,
            "vector_doubles": width, "threads": threads}


# ----------------------------------------------------------------------------
# Ideal work per EM iteration
# ----------------------------------------------------------------------------

def ideal_work(name: str, wdir: Path) -> dict:
    """Bytes and flops an ideal E+M iteration needs, from the workload's shapes.

    n rows, d features, K components/states (E = EXP_FLOPS):
      gaussian-mixture full : n [K (d^2 + 2d + E) + K (d(d+1) + 2d + 2) + E]
                              (triangular solve + squared norm + exp per component;
                               weighted mean and rank-1 covariance update; one log
                               per row for the log-likelihood / normalisation)
      gaussian-mixture diag : n [K (3d + E) + K (4d + 2) + E]
      poisson-mixture       : n [K (2d + E) + K (2d + 2) + E]   (lgamma(x) is
                              constant over iterations: computed once, not counted)
      bernoulli-mixture     : n [K (2d + E) + K (2d + 2) + E]
                              emzoo packs 0/1 data once per fit (64 columns to a
                              word, plus an observed mask only if an entry is
                              missing) and works on the packed rows with tables, so
                              the row also gets a second, "packed" limit (reported
                              beside the dense one, not in the table):
                                bytes n ceil(d/64) 8 (x2 with missing entries)
                                ops   n [K (ceil(d/8) + ceil(d/4) + E) + E]
                              (one K-vector lookup-add per byte of the row for the
                              densities, one K-vector add per nibble for the
                              statistics, exp per component, log per row; the
                              per-iteration tables, 256 ceil(d/8) K adds, and the
                              one-time packing pass are not counted)
      hmm (per step)        : forward 2K^2 + 3K, backward 2K^2 + 2K, transition
                              statistics (outer product alpha (x) b*beta) 2K^2,
                              posteriors K, + emission density and accumulation:
                                gaussian full  K (d^2 + 2d + E) + K (d(d+1) + 2d + 2)
                                poisson        K (2d + E) + K (2d + 2)
                                categorical    2K (table look-up, one add per state)
                              + one log per step (scaling constants)
      missing-data-regr.    : per row with o observed and m = d - o missing entries,
                              per-pattern precomputed regression / Cholesky:
                              conditional mean 2mo, observed-part quadratic form
                              o^2 + 2o, sufficient statistics d(d+1) + 2d
                              (the per-pattern conditional covariance is added once
                              per pattern, not per row), no exp/log per row.
    """
    meta = read_json(wdir / "meta.json")
    n, d, kind, opt = meta["n"], meta["d"], meta["kind"], meta["options"]
    E = EXP_FLOPS
    bytes_ = 8.0 * n * d
    if kind == "gaussian-mixture":
        K = opt["components"]
        if opt.get("covariance", "full") == "full":
            per_row = K * (d * d + 2 * d + E) + K * (d * (d + 1) + 2 * d + 2) + E
        else:
            per_row = K * (3 * d + E) + K * (4 * d + 2) + E
    elif kind in ("poisson-mixture", "bernoulli-mixture"):
        K = opt["components"]
        per_row = K * (2 * d + E) + K * (2 * d + 2) + E
        if kind == "bernoulli-mixture":
            missing = bool(np.isnan(np.load(wdir / "features.npy", mmap_mode="r")).any())
            words = -(-d // 64)
            packed = {"bytes": 8.0 * n * words * (2 if missing else 1),
                      "flops": float(n) * (K * (-(-d // 8) + -(-d // 4) + E) + E)}
            return {"bytes": bytes_, "flops": float(n) * per_row, "n": n, "d": d, "packed": packed}
    elif kind == "hmm":
        K = opt["states"]
        em = opt.get("emission", "gaussian")
        chain = 6 * K * K + 6 * K + E
        if em == "gaussian":
            emission = K * (d * d + 2 * d + E) + K * (d * (d + 1) + 2 * d + 2)
        elif em == "poisson":
            emission = K * (2 * d + E) + K * (2 * d + 2)
        else:
            emission = 2 * K
        per_row = chain + emission
    elif kind == "missing-data-regression":
        z = np.load(wdir / "features.npy")
        o = (~np.isnan(z)).sum(axis=1).astype(np.float64)
        m = d - o
        flops = float(np.sum(2 * m * o + o * o + 2 * o)) + n * (d * (d + 1) + 2 * d)
        return {"bytes": bytes_, "flops": flops, "n": n, "d": d}
    else:
        raise ValueError(kind)
    return {"bytes": bytes_, "flops": float(n) * per_row, "n": n, "d": d}


# ----------------------------------------------------------------------------
# emzoo
# ----------------------------------------------------------------------------

def run_fit(cmd: list[str], env: dict, out: Path) -> tuple[dict, float]:
    """Run one fit; its result JSON and the CPU seconds (user + system) the child used."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, check=True)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return read_json(out), (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def emzoo_seconds_per_iteration(emzoo: Path, wdir: Path, iterations: int, threads: int,
                                repeat: int, env: dict) -> tuple[float, float]:
    """(wall, cpu) seconds per iteration, each the minimum of `repeat` runs.

    wall: the result's "seconds" / "iterations" (as bench/run.py).
    cpu:  the marginal CPU time of an iteration divided by the thread count,
          (cpu(N iterations) - cpu(1 iteration)) / (N - 1) / threads: what an
          iteration would take on an otherwise idle machine if the threads
          scaled perfectly. On a shared machine (other engineers' builds) the
          wall time is inflated by waiting for a core; the CPU time much less.
    """
    out = wdir / "limit-result.json"
    # bench/run.py's spec, pinned to plain EM (one E step per iteration; SQUAREM, the
    # default, takes 2-3 E steps per iteration) and without standard errors (computed
    # after the fit, for models with at most 2000 coordinates, inside "seconds").
    spec = read_json(wdir / "spec.json")
    spec["fit"] = dict(spec["fit"], accelerate="none", standardErrors=False)
    spec_path = wdir / "limit-spec.json"
    spec_path.write_text(json.dumps(spec))

    def cmd(n: int) -> list[str]:
        return [str(emzoo), "fit", str(spec_path), "--data", str(wdir / "data.csv"),
                "--output", str(out), "--max-iterations", str(n), "--tolerance", "0",
                "--restarts", "1", "--threads", str(threads), "--quiet"]
    wall, cpu = math.inf, math.inf
    for _ in range(repeat):
        r, cpu_n = run_fit(cmd(iterations), env, out)
        if r["iterations"] != iterations:
            raise RuntimeError(f"{wdir.name}: ran {r['iterations']} iterations, asked {iterations}")
        _, cpu_1 = run_fit(cmd(1), env, out)
        wall = min(wall, r["seconds"] / r["iterations"])
        if iterations > 1:
            cpu = min(cpu, (cpu_n - cpu_1) / (iterations - 1) / threads)
    return wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="emzoo runs per workload, minimum kept")
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--emzoo", type=Path, default=DEFAULT_EMZOO)
    ap.add_argument("--baseline", type=Path, default=None,
                    help="another emzoo binary (e.g. before a change), timed interleaved with --emzoo")
    ap.add_argument("--machine-only", action="store_true", help="only measure bandwidth and peak")
    ap.add_argument("--bandwidth", type=float, default=None, metavar="GB/s",
                    help="use this memory bandwidth instead of the measured one")
    ap.add_argument("--peak", type=float, default=None, metavar="GFLOP/s",
                    help="use this peak instead of the measured one")
    ap.add_argument("--markdown", type=Path, default=None, help="also write the table here")
    ap.add_argument("--json", type=Path, default=None, help="also write every number here")
    args = ap.parse_args()

    machine = measure_machine(args.threads)
    if args.bandwidth:
        machine["bandwidth_bytes_s"] = args.bandwidth * 1e9
    if args.peak:
        machine["peak_flops_s"] = args.peak * 1e9
    print(f"machine ({args.threads} threads): triad bandwidth "
          f"{machine['bandwidth_bytes_s'] / 1e9:.2f} GB/s, FMA peak "
          f"{machine['peak_flops_s'] / 1e9:.1f} GFLOP/s ({machine['fma_isa']})", flush=True)
    if args.machine_only:
        return 0
    env, _ = clean_env()
    rows = []
    for name in [w.strip() for w in args.workloads.split(",") if w.strip()]:
        wdir = prepare(name, args.small, args.iterations)
        work = ideal_work(name, wdir)
        t_bw = work["bytes"] / machine["bandwidth_bytes_s"]
        t_fl = work["flops"] / machine["peak_flops_s"]
        limit, bound = (t_bw, "memory") if t_bw >= t_fl else (t_fl, "flops")
        # Interleaved: a run of the baseline binary (if any), then one of emzoo, `repeat`
        # times; the minimum of each. Both see the same machine load.
        best: dict[str, list[float]] = {}
        binaries = ([("baseline", args.baseline)] if args.baseline else []) + [("emzoo", args.emzoo)]
        for _ in range(args.repeat):
            for label, binary in binaries:
                w, c = emzoo_seconds_per_iteration(binary, wdir, args.iterations, args.threads, 1, env)
                old_w, old_c = best.get(label, [math.inf, math.inf])
                best[label] = [min(old_w, w), min(old_c, c)]
        s_iter, cpu_iter = best["emzoo"]
        row = dict(workload=name, n=work["n"], d=work["d"], bytes=work["bytes"],
                   flops=work["flops"], t_memory=t_bw, t_flops=t_fl, limit=limit, bound=bound,
                   emzoo_s_iter=s_iter, ratio=s_iter / limit,
                   emzoo_cpu_iter=cpu_iter, cpu_ratio=cpu_iter / limit)
        if "baseline" in best:
            row.update(baseline_s_iter=best["baseline"][0], baseline_ratio=best["baseline"][0] / limit,
                       baseline_cpu_iter=best["baseline"][1],
                       baseline_cpu_ratio=best["baseline"][1] / limit)
        if "packed" in work:
            p_bw = work["packed"]["bytes"] / machine["bandwidth_bytes_s"]
            p_fl = work["packed"]["flops"] / machine["peak_flops_s"]
            p_limit, p_bound = (p_bw, "memory") if p_bw >= p_fl else (p_fl, "flops")
            row["packed"] = dict(work["packed"], limit=p_limit, bound=p_bound,
                                 ratio=s_iter / p_limit, cpu_ratio=cpu_iter / p_limit)
        rows.append(row)
        print(f"[{name}] limit {limit:.3e} s ({bound}; memory {t_bw:.2e}, flops {t_fl:.2e}), "
              f"emzoo {s_iter:.3e} s/iter (ratio {row['ratio']:.1f}x), "
              f"cpu/threads {cpu_iter:.3e} s/iter (ratio {row['cpu_ratio']:.1f}x)"
              + (f"; baseline cpu/threads ratio {row['baseline_cpu_ratio']:.1f}x"
                 if "baseline" in best else ""), flush=True)

    def geomean(key: str) -> float:
        # A marginal CPU time per iteration at or below zero is below the noise of the two
        # process timings (missreg, whose E steps reuse cached pattern moments): left out.
        values = [r[key] for r in rows if r[key] > 0]
        return math.exp(sum(math.log(v) for v in values) / len(values)) if values else math.nan
    geo, geo_cpu = geomean("ratio"), geomean("cpu_ratio")
    base = bool(rows) and "baseline_cpu_ratio" in rows[0]
    lines = [f"machine: triad {machine['bandwidth_bytes_s'] / 1e9:.2f} GB/s, FMA peak "
             f"{machine['peak_flops_s'] / 1e9:.1f} GFLOP/s ({machine['fma_isa']}), "
             f"{args.threads} threads; emzoo --threads {args.threads}, {args.iterations} "
             f"iterations, plain EM, min of {args.repeat}"
             + (f"; baseline {args.baseline} interleaved" if base else ""),
             "",
             "| workload | bytes/iter | flops/iter | limit s/iter (bound) | emzoo s/iter (wall) "
             "| emzoo/limit | emzoo s/iter (CPU / threads) | emzoo/limit (CPU) |"
             + (" baseline s/iter (CPU / threads) | baseline/limit (CPU) |" if base else ""),
             "|---|---|---|---|---|---|---|---|" + ("---|---|" if base else "")]
    for r in rows:
        lines.append(f"| {r['workload']} | {r['bytes'] / 1e6:.1f} MB | {r['flops'] / 1e9:.2f} G "
                     f"| {r['limit']:.3e} ({r['bound']}) | {r['emzoo_s_iter']:.3e} "
                     f"| {r['ratio']:.1f}× | {r['emzoo_cpu_iter']:.3e} | {r['cpu_ratio']:.1f}× |"
                     + (f" {r['baseline_cpu_iter']:.3e} | {r['baseline_cpu_ratio']:.1f}× |"
                        if base else ""))
    lines.append(f"| geometric mean | | | | | {geo:.1f}× | | {geo_cpu:.1f}× |"
                 + (f" | {geomean('baseline_cpu_ratio'):.1f}× |" if base else ""))
    for r in rows:
        if "packed" in r:
            p = r["packed"]
            lines.append(f"\n{r['workload']} on packed rows (what emzoo reads and computes; "
                         f"not in the table or its mean): {p['bytes'] / 1e6:.2f} MB/iter, "
                         f"{p['flops'] / 1e9:.3f} G ops/iter, limit {p['limit']:.3e} s ({p['bound']}); "
                         f"emzoo/limit {p['ratio']:.1f}× (wall), {p['cpu_ratio']:.1f}× (CPU)")
    text = "\n".join(lines)
    print()
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "rows": rows, "geometric_mean": geo,
                                         "geometric_mean_cpu": geo_cpu,
                                         "geometric_mean_baseline_cpu":
                                             geomean("baseline_cpu_ratio") if base else None},
                                        indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
