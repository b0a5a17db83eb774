#!/usr/bin/env python3
"""Wall time of `emzoo fit` with the new default (short-EM) vs the old (3 k-means++ restarts).

For each bench workload (bench/workloads.py; `--small` sizes by default) this writes two specs
without the shared start, one with no `init` (the default: short-EM) and one with
`"init": "kmeans++", "restarts": 3` (the old default), both at the default tolerance 1e-8, and
times `emzoo fit` (median of `--repeat` runs). For the workloads whose peer has a default
fit (scikit-learn's GaussianMixture, hmmlearn's HMMs), the peer's single default fit from its
own initialisation is timed too (median of `--repeat` runs), with its log-likelihood.

    python3 bench/default_cost.py [--emzoo .build/release/emzoo] [--workloads a,b] [--full] [--threads 2]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import workloads  # noqa: E402
from common import read_json  # noqa: E402


def time_emzoo(emzoo: str, wdir: Path, meta: dict, fit: dict, threads: int, repeat: int) -> tuple[float, dict]:
    spec = wdir / f"spec-cost-{'old' if fit else 'new'}.json"
    spec.write_text(json.dumps({"name": meta["workload"], "model": meta["kind"], "options": meta["options"],
                                "columns": [c for c in meta["columns"] if c != "sequence"], "fit": fit}))
    times, fits, result = [], [], {}
    for _ in range(repeat):
        started = time.perf_counter()
        r = subprocess.run([emzoo, "fit", str(spec), "--data", str(wdir / "data.csv"), "--quiet",
                            "--threads", str(threads)], capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if r.returncode != 0:
            raise SystemExit(f"{meta['workload']}: {r.stderr}")
        result = json.loads(r.stdout)
        fits.append(result["seconds"])
    # The fit alone (the result's "seconds": no process start, no CSV parsing), the measure
    # that matches the peer's, whose data are already in memory.
    result["medianFitSeconds"] = statistics.median(fits)
    return statistics.median(times), result


def time_peer(name: str, wdir: Path, meta: dict, repeat: int) -> tuple[float, float] | None:
    """The median wall time of the peer's single default fit over `repeat` runs, and its
    log-likelihood (the same for every run: a fixed random_state)."""
    X = np.load(wdir / "features.npy")
    K = meta["options"].get("components") or meta["options"].get("states")
    if name in ("gmm-full", "gmm-diag"):
        from sklearn.mixture import GaussianMixture
        fit = lambda: GaussianMixture(K, covariance_type="full" if name == "gmm-full" else "diag", random_state=0).fit(X)
        score = lambda m: m.score(X) * len(X)
    elif name == "hmm-gauss":
        from hmmlearn import hmm
        lengths = np.load(wdir / "lengths.npy")
        fit = lambda: hmm.GaussianHMM(K, covariance_type="full", n_iter=100, random_state=0).fit(X, lengths)
        score = lambda m: m.score(X, lengths)
    elif name == "hmm-cat":
        from hmmlearn import hmm
        lengths = np.load(wdir / "lengths.npy")
        Xc = X.astype(int).reshape(-1, 1)
        fit = lambda: hmm.CategoricalHMM(K, n_iter=100, random_state=0).fit(Xc, lengths)
        score = lambda m: m.score(Xc, lengths)
    else:
        return None
    times, model = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - started)
    return statistics.median(times), float(score(model))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emzoo", default=str(HERE.parent / ".build" / "release" / "emzoo"))
    parser.add_argument("--workloads", default=",".join(workloads.WORKLOADS))
    parser.add_argument("--full", action="store_true", help="full sizes (default: --small sizes)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    print("| workload | n | old default s (ℓ, iterations) | new default s [fit alone s] (ℓ, iterations, restartsAtBest) | new/old | peer default fit s (ℓ) |")
    print("|---|---|---|---|---|---|")
    for name in [w for w in args.workloads.split(",") if w]:
        wdir = workloads.prepare(name, small=not args.full, iterations=10, log=lambda *_: None)
        meta = read_json(wdir / "meta.json")
        old_s, old = time_emzoo(args.emzoo, wdir, meta, {"init": "kmeans++", "restarts": 3}, args.threads, args.repeat)
        new_s, new = time_emzoo(args.emzoo, wdir, meta, {}, args.threads, args.repeat)
        peer = None if args.no_peer else time_peer(name, wdir, meta, args.repeat)
        print(f"| {name} | {meta['n']} | {old_s:.2f} ({old['logLikelihood']:.2f}, {old['iterations']}) | "
              f"{new_s:.2f} [fit {new['medianFitSeconds']:.2f}] ({new['logLikelihood']:.2f}, {new['iterations']}, {new['restartsAtBest']}) | "
              f"{new_s / old_s:.2f} | {'—' if peer is None else f'{peer[0]:.2f} ({peer[1]:.2f})'} |", flush=True)


if __name__ == "__main__":
    main()
