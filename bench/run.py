#!/usr/bin/env python3
"""emzoo benchmark: emzoo vs. a standard Python peer per model, same data, same
start, same number of EM iterations.

    python3 bench/run.py [--workloads gmm-full,gmm-diag,...] [--iterations 20]
                         [--threads 2] [--small] [--emzoo PATH] [--no-check]

For every workload:
  1. generate (or reuse) deterministic data + the shared start parameters
     under bench/data/ (workloads.py),
  2. time the peer (peers.py) in a fresh subprocess whose environment lacks
     OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, twice: BLAS limited to 1 thread and
     at the default thread count; the faster is reported,
  3. run `emzoo fit SPEC --data CSV --output RESULT --max-iterations N
     --tolerance 0 --restarts 1 --threads T --quiet` (same clean environment),
     read "seconds" / "iterations" from the result, measure the command's wall
     time and peak RSS (ru_maxrss of that one child, via bench/measure.py),
  4. unless --no-check: recompute the log-likelihood independently
     (crosscheck.py) at emzoo's final parameters (vs. emzoo's reported value)
     and at the peer's final parameters (vs. emzoo's): same start + same
     algorithm => the two fits must agree,
  5. print a markdown table and write it to bench/data/results[-small].md
     (+ a .json with every measurement).

Peer s/iter is the marginal cost of an iteration, (t(N) - t(1)) / (N - 1), which
removes the peer's one-off work (sklearn's throw-away initialisation and final
E-step, input validation). emzoo s/iter is emzoo's own "seconds" / iterations,
which still includes emzoo's setup, so the ratio is, if anything, conservative
in the peer's favour.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (BENCH_DIR, DATA_DIR, DEFAULT_EMZOO, clean_env, read_csv,  # noqa: E402
                    read_json, write_json)
from crosscheck import independent_loglik, relative_difference  # noqa: E402
from workloads import WORKLOADS, prepare  # noqa: E402


# ----------------------------------------------------------------------------
# Subprocess with wall time and peak memory of that very child
# ----------------------------------------------------------------------------

def busy_cpu_seconds() -> float:
    """CPU seconds spent busy by the whole machine so far (from /proc/stat)."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return float("nan")
    # user nice system idle iowait irq softirq steal ...
    return (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)) / os.sysconf("SC_CLK_TCK")


def wait_until_quiet(max_wait: float, log=print) -> None:
    """Wait (at most max_wait seconds) until other processes use less than
    BUSY_THRESHOLD cores over a 2 s window; for shared machines."""
    if max_wait <= 0:
        return
    deadline = time.monotonic() + max_wait
    while True:
        b0 = busy_cpu_seconds()
        time.sleep(2.0)
        load = (busy_cpu_seconds() - b0) / 2.0
        if load < BUSY_THRESHOLD:
            return
        if time.monotonic() > deadline:
            log(f"  machine still busy ({load:.2f} cores) after {max_wait:.0f} s; measuring anyway")
            return


def run_measured(cmd: list[str], env: dict, timeout: float, quiet_wait: float = 0.0) -> dict:
    """run_once; with quiet_wait > 0, up to 2 retries of a run that other
    processes disturbed (each retry waits for quiet again)."""
    for _ in range(3 if quiet_wait > 0 else 1):
        r = run_once(cmd, env, timeout, quiet_wait)
        if (r.get("other_cores") or 0.0) <= BUSY_THRESHOLD or r["returncode"] != 0:
            break
    return r


def run_once(cmd: list[str], env: dict, timeout: float, quiet_wait: float = 0.0) -> dict:
    """Run cmd; return returncode, wall seconds, peak RSS (MiB), stdout, stderr.

    The command is started by the small launcher bench/measure.py, which
    reports wall time and ru_maxrss of exactly that child (see measure.py for
    why the child must not be forked from this big process). On timeout the
    whole process group is killed.

    Also returns "other_cores": the average number of cores that OTHER
    processes kept busy meanwhile (machine busy time minus the child's CPU
    time, over the wall time). On a shared 2-core machine a value above ~0.1
    means the timing was disturbed (a build, tests ...)."""
    wait_until_quiet(quiet_wait)
    busy0, t0 = busy_cpu_seconds(), time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        res_path, out_path, err_path = (os.path.join(tmp, f) for f in ("r.json", "out", "err"))
        launcher = [sys.executable, "-S", str(BENCH_DIR / "measure.py"),
                    res_path, out_path, err_path, "--"]
        proc = subprocess.Popen(launcher + cmd, env=env, start_new_session=True)
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

        def read(p):
            return Path(p).read_text(errors="replace") if os.path.exists(p) else ""
        r = json.loads(read(res_path)) if os.path.exists(res_path) else {
            "returncode": proc.returncode if proc.returncode else -1, "wall": float("nan"), "maxrss_mib": None}
        r.update(timed_out=timed_out, stdout=read(out_path), stderr=read(err_path))
    if r.get("cpu_seconds") is not None:
        elapsed = time.perf_counter() - t0
        others = busy_cpu_seconds() - busy0 - r["cpu_seconds"] - r.get("launcher_cpu_seconds", 0.0)
        # /proc/stat counts in 10 ms ticks: ignore up to 2 ticks per core of slack
        others = max(0.0, others - 0.02 * (os.cpu_count() or 1))
        r["other_cores"] = others / elapsed
    return r


# ----------------------------------------------------------------------------
# Peer
# ----------------------------------------------------------------------------

def run_peer(wdir: Path, iterations: int, repeat: int, env: dict, timeout: float,
             quiet_wait: float = 0.0) -> dict:
    """Time the peer with BLAS at 1 thread and at default; keep both, pick the faster."""
    runs = {}
    for blas in ("1", "default"):
        out = wdir / f"peer-{blas}.json"
        if out.exists():
            out.unlink()
        r = run_measured([sys.executable, str(BENCH_DIR / "peers.py"), "--dir", str(wdir),
                          "--iterations", str(iterations), "--blas", blas, "--repeat", str(repeat),
                          "--output", str(out)],
                         env, timeout, quiet_wait)
        if r["returncode"] != 0 or not out.exists():
            runs[blas] = {"error": (r["stderr"].strip().splitlines() or ["?"])[-1],
                          "returncode": r["returncode"]}
            continue
        res = read_json(out)
        res["maxrss_mib"] = r["maxrss_mib"]
        res["wall"] = r["wall"]
        res["other_cores"] = r.get("other_cores")
        runs[blas] = res
    ok = {k: v for k, v in runs.items() if "error" not in v}
    best = min(ok, key=lambda k: ok[k]["seconds_per_iteration"]) if ok else None
    return {"runs": runs, "best": best}


# ----------------------------------------------------------------------------
# emzoo
# ----------------------------------------------------------------------------

def shape_of(x):
    if isinstance(x, list):
        return [len(x)] + (shape_of(x[0]) if x else [])
    return []


def contract_notes(result: dict, start: dict, iterations: int) -> list[str]:
    """Deviations of an emzoo result JSON from the documented contract."""
    notes = []
    for key in ("logLikelihood", "iterations", "converged", "trace", "seconds", "parameters"):
        if key not in result:
            notes.append(f"result JSON lacks key {key!r}")
    if result.get("iterations") is not None and result["iterations"] != iterations:
        notes.append(f"ran {result['iterations']} iterations, asked for {iterations} with tolerance 0")
    trace = result.get("trace")
    if isinstance(trace, list) and result.get("iterations") is not None \
            and len(trace) != result["iterations"]:
        notes.append(f"trace has {len(trace)} entries for {result['iterations']} iterations")
    if isinstance(trace, list) and len(trace) > 1:
        t = np.asarray(trace, dtype=float)
        drops = np.diff(t) < -1e-9 * np.abs(t[1:])
        if drops.any():
            notes.append(f"trace decreases at iteration(s) {list(np.flatnonzero(drops) + 2)}")
    if isinstance(trace, list) and trace and result.get("logLikelihood") is not None \
            and trace[-1] != result["logLikelihood"]:
        notes.append(f"trace[-1]={trace[-1]!r} != logLikelihood={result['logLikelihood']!r}")
    params = result.get("parameters")
    if isinstance(params, dict):
        for key, value in start.items():
            if key not in params:
                notes.append(f"parameters lack {key!r}")
            elif shape_of(params[key]) != shape_of(value):
                notes.append(f"parameters[{key!r}] shape {shape_of(params[key])}, "
                             f"spec shape {shape_of(value)}")
        extra = sorted(set(params) - set(start))
        if extra:
            notes.append(f"extra parameter keys {extra}")
    return notes


def run_emzoo_once(cmd: list[str], out: Path, env: dict, timeout: float,
                   quiet_wait: float = 0.0) -> dict:
    if out.exists():
        out.unlink()
    r = run_measured(cmd, env, timeout, quiet_wait)
    res = {"command": " ".join(cmd), "wall": r["wall"], "maxrss_mib": r["maxrss_mib"],
           "cpu_seconds": r.get("cpu_seconds"), "other_cores": r.get("other_cores"),
           "returncode": r["returncode"], "stderr": r["stderr"][-2000:],
           "stdout_bytes": len(r["stdout"])}
    if r["timed_out"]:
        res["error"] = f"timed out after {timeout:.0f} s"
    elif r["returncode"] != 0:
        msg = (r["stderr"].strip() or r["stdout"].strip() or "no output").splitlines()[-1]
        res["error"] = f"exit {r['returncode']}: {msg[:200]}"
    elif not out.exists():
        res["error"] = "exit 0 but no result JSON written"
    else:
        try:
            res["result"] = read_json(out)
        except Exception as e:  # noqa: BLE001
            res["error"] = f"unreadable result JSON: {e}"
    if r["stdout"].strip():
        res["notes"] = [f"--quiet with --output, but wrote {len(r['stdout'])} bytes to stdout"]
    return res


def run_emzoo(emzoo: Path | None, wdir: Path, iterations: int, threads: int, repeat: int,
              env: dict, timeout: float, quiet_wait: float = 0.0) -> dict:
    """Run `emzoo fit` `repeat` times; keep the run with the smallest "seconds"
    (like the peer's minimum), report the largest peak RSS seen."""
    if emzoo is None:
        return {"error": "emzoo binary not found"}
    out = wdir / "emzoo-result.json"
    cmd = [str(emzoo), "fit", str(wdir / "spec.json"), "--data", str(wdir / "data.csv"),
           "--output", str(out), "--max-iterations", str(iterations), "--tolerance", "0",
           "--restarts", "1", "--threads", str(threads), "--quiet"]
    runs = []
    for _ in range(repeat):
        res = run_emzoo_once(cmd, out, env, timeout, quiet_wait)
        runs.append(res)
        if "error" in res:
            return res
    best = min(runs, key=lambda r: r["result"].get("seconds") or float("inf"))
    best = dict(best, maxrss_mib=max(r["maxrss_mib"] or 0.0 for r in runs),
                wall=min(r["wall"] for r in runs), repeat=repeat,
                other_cores=max(r.get("other_cores") or 0.0 for r in runs))
    return best


# ----------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------

def fmt(x, spec=".4g", na="n/a"):
    return na if x is None else format(x, spec)


def bench_workload(name: str, args, emzoo: Path | None, env: dict) -> dict:
    wdir = prepare(name, args.small, args.iterations)
    meta = read_json(wdir / "meta.json")
    start = read_json(wdir / "start.json")
    row = {"workload": name, "n": meta["n"], "d": meta["d"], "data_mib": meta["data_mib"],
           "kind": meta["kind"], "options": meta["options"]}

    print(f"[{name}] peer ...", flush=True)
    peer = run_peer(wdir, args.iterations, args.repeat, env, args.timeout, args.wait_quiet)
    row["peer_runs"] = peer["runs"]
    if peer["best"]:
        best = peer["runs"][peer["best"]]
        row.update(peer=best["peer"], peer_s_iter=best["seconds_per_iteration"],
                   peer_setting=best["setting"])
    else:
        err = "; ".join(v.get("error", "") for v in peer["runs"].values())
        row.update(peer=WORKLOADS[name].peer, peer_error=err)
        print(f"[{name}] peer FAILED: {err}", flush=True)

    print(f"[{name}] emzoo ...", flush=True)
    ez = run_emzoo(emzoo, wdir, args.iterations, args.threads, args.repeat, env, args.timeout,
                   args.wait_quiet)
    row["emzoo"] = {k: v for k, v in ez.items() if k != "result"}
    notes = list(ez.get("notes", []))
    result = ez.get("result")
    if result is not None:
        row["emzoo_wall"] = ez["wall"]
        row["emzoo_peak_mib"] = ez["maxrss_mib"]
        secs, its = result.get("seconds"), result.get("iterations")
        if isinstance(its, float) and its.is_integer():
            its = int(its)
        if isinstance(secs, (int, float)) and isinstance(its, int) and its > 0:
            row["emzoo_s_iter"] = secs / its
        row["emzoo_logLikelihood"] = result.get("logLikelihood")
        row["emzoo_iterations"] = its
        notes += contract_notes(result, start, args.iterations)
    elif emzoo is not None:
        notes.append(ez.get("error", "unknown error"))
    # Contention: other processes busy while we measured (shared 2-core machine).
    busy = {f"peer ({v['setting']})": v.get("other_cores") for v in row["peer_runs"].values()
            if "error" not in v}
    busy["emzoo"] = ez.get("other_cores")
    busy = {k: v for k, v in busy.items() if v is not None and v > BUSY_THRESHOLD}
    if busy:
        notes.append("timing disturbed, other processes kept busy on average: " +
                     ", ".join(f"{k} {v:.2f} cores" for k, v in busy.items()))
    row["notes"] = notes

    if not args.no_check:
        csv = read_csv(wdir / "data.csv")
        try:
            if result is not None and isinstance(result.get("parameters"), dict):
                row["ll_emzoo_independent"] = independent_loglik(
                    result["parameters"], None, meta["kind"], meta["options"], csv=csv)
                if isinstance(result.get("logLikelihood"), (int, float)):
                    row["ll_check_rel"] = relative_difference(
                        float(result["logLikelihood"]), row["ll_emzoo_independent"])
            if peer["best"]:
                # default-threads run's parameters if available (both runs fit the same thing)
                src = peer["runs"].get("default", {})
                if "parameters" not in src:
                    src = peer["runs"][peer["best"]]
                row["ll_peer_independent"] = independent_loglik(
                    src["parameters"], None, meta["kind"], meta["options"], csv=csv)
            if "ll_emzoo_independent" in row and "ll_peer_independent" in row:
                row["ll_vs_peer_rel"] = relative_difference(
                    row["ll_emzoo_independent"], row["ll_peer_independent"])
        except Exception as e:  # noqa: BLE001
            row["notes"].append(f"log-likelihood check failed: {type(e).__name__}: {e}")

    # Result JSONs of the peers carry full parameter sets; keep the row small.
    for v in row["peer_runs"].values():
        v.pop("parameters", None)
    return row


# Average number of cores used by other processes above which a timing is flagged.
BUSY_THRESHOLD = 0.1

TABLE_HEADER = ("| workload | n | peer | peer s/iter (setting) | emzoo s/iter | ratio (peer/emzoo) "
                "| emzoo wall s | emzoo peak MiB | data MiB | emzoo LL vs crosscheck | LL emzoo vs peer |")

TABLE_RULE = "|" + "---|" * (TABLE_HEADER.count("|") - 1)


def table_row(r: dict) -> str:
    peer_cell = (f"{r['peer_s_iter']:.4g} ({r['peer_setting']})" if "peer_s_iter" in r
                 else "failed")
    ratio = (r["peer_s_iter"] / r["emzoo_s_iter"]
             if "peer_s_iter" in r and r.get("emzoo_s_iter") else None)
    return (f"| {r['workload']} | {r['n']} | {r['peer']} | {peer_cell} "
            f"| {fmt(r.get('emzoo_s_iter'))} | {fmt(ratio, '.2f')} | {fmt(r.get('emzoo_wall'), '.3g')} "
            f"| {fmt(r.get('emzoo_peak_mib'), '.0f')} | {r['data_mib']:.1f} "
            f"| {fmt(r.get('ll_check_rel'), '.1e')} | {fmt(r.get('ll_vs_peer_rel'), '.1e')} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", default=",".join(WORKLOADS),
                    help=f"comma-separated subset of: {', '.join(WORKLOADS)}")
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2, help="emzoo --threads")
    ap.add_argument("--small", action="store_true", help="scaled-down sizes (quick smoke run)")
    ap.add_argument("--emzoo", type=Path, default=None,
                    help=f"emzoo binary (default {DEFAULT_EMZOO})")
    ap.add_argument("--repeat", type=int, default=None,
                    help="timings per peer setting and of emzoo, minimum kept "
                         "(default 3 with --small, else 1)")
    ap.add_argument("--no-check", action="store_true",
                    help="skip the independent log-likelihood checks")
    ap.add_argument("--timeout", type=float, default=3600.0, help="per-subprocess timeout (s)")
    ap.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                    help="before each timed run, wait up to SECONDS for other processes to go "
                         "idle (shared machines); timings disturbed anyway are flagged in Notes")
    args = ap.parse_args()
    if args.iterations < 1:
        ap.error("--iterations must be >= 1")
    if args.repeat is None:
        args.repeat = 3 if args.small else 1

    names = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in names if w not in WORKLOADS]
    if unknown:
        ap.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")

    emzoo = args.emzoo or DEFAULT_EMZOO
    if not (emzoo.is_file() and os.access(emzoo, os.X_OK)):
        print(f"note: emzoo binary {emzoo} not found; emzoo columns will be n/a", flush=True)
        emzoo = None
    env, removed = clean_env()
    env_note = (f"removed {', '.join(f'{k}={v}' for k, v in removed.items())}" if removed
                else "OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE were not set")

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in names:
        try:
            rows.append(bench_workload(name, args, emzoo, env))
        except Exception as e:  # noqa: BLE001 - one broken workload must not stop the rest
            import traceback
            traceback.print_exc()
            rows.append({"workload": name, "n": "?", "peer": WORKLOADS[name].peer, "data_mib": 0.0,
                         "notes": [f"harness error: {type(e).__name__}: {e}"]})
        print(f"[{name}] done: {table_row(rows[-1])}", flush=True)

    import sklearn, hmmlearn, scipy  # noqa: E401 - versions for the record
    lines = [
        f"# emzoo benchmark{' (--small)' if args.small else ''}",
        "",
        f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}, host: {platform.node()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        f"- numpy {np.__version__}, scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
        f"hmmlearn {hmmlearn.__version__}",
        f"- emzoo: {emzoo or 'not found'}, --threads {args.threads}; EM iterations: {args.iterations}",
        f"- subprocess environment: {env_note}",
        "- peer s/iter = (t(N iterations) - t(1 iteration)) / (N - 1), best of BLAS=1 thread / default threads; "
        "emzoo s/iter = result \"seconds\" / \"iterations\"; ratio > 1 means emzoo is faster",
        "- last two columns: relative differences of log-likelihoods recomputed independently "
        "(crosscheck.py): emzoo's reported value vs. its parameters, and emzoo's vs. the peer's "
        "final parameters (same start, same EM => should be ~1e-10 or smaller)",
        "",
        TABLE_HEADER,
        TABLE_RULE,
    ]
    lines += [table_row(r) for r in rows]
    notes = [(r["workload"], n) for r in rows for n in r.get("notes", [])]
    if notes:
        lines += ["", "## Notes", ""] + [f"- {w}: {n}" for w, n in notes]
    text = "\n".join(lines) + "\n"
    suffix = "-small" if args.small else ""
    (DATA_DIR / f"results{suffix}.md").write_text(text)
    write_json(DATA_DIR / f"results{suffix}.json",
               {"args": {k: str(v) for k, v in vars(args).items()}, "env": env_note, "rows": rows})
    print()
    print(text)
    print(f"written {DATA_DIR / f'results{suffix}.md'} and results{suffix}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
