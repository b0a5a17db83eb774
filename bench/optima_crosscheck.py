#!/usr/bin/env python3
"""Does emzoo's default fit reach the best optimum? Old default vs short-EM vs brute force.

For each case (published data sets and generated multimodal ones) this script

1. finds the best log-likelihood it can: emzoo with 200 restarts of each start method
   (k-means++, random rows, random partition), and an independent implementation with many
   random starts (scikit-learn for Gaussian mixtures, hmmlearn for HMMs, the numpy EM of
   bench/numpy_em.py for Poisson and Bernoulli mixtures); the brute-force optimum is the
   larger of the two, and both are printed so they can be compared;
2. fits with the old default (`"init": "kmeans++"`, 3 restarts) and with the new default
   (no `init`: short-EM, 20 to 100 short runs of 10 iterations — more for small data — the
   best 3 to convergence and more while fewer than 2 agree) for seeds 1..S and counts how
   often each reaches the brute-force optimum (within max(1e-3, 1e-5·|ℓ|), the tolerance of
   `restartsAtBest`; restarts flagged `degenerate` — a covariance at the floor — are left
   out of brute force);
3. times both defaults (median wall time of `emzoo fit`).

    python3 bench/optima_crosscheck.py [--emzoo .build/release/emzoo] [--seeds 20] [--cases a,b]
                                       [--speed speed.csv]

`--speed` adds depmixS4's `speed` data (not shipped: GPL), a CSV written in R by
`library(depmixS4); data(speed); write.csv(speed, "speed.csv", row.names = FALSE)`: a 2-state
categorical HMM of `corr` over the three series of 168, 134 and 137 trials.

Writes a Markdown table to stdout (pasted into bench/OPTIMA.md).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# R's datasets::discoveries: great inventions and discoveries per year, 1860-1959.
DISCOVERIES = [5, 3, 0, 2, 0, 3, 2, 3, 6, 1, 2, 1, 2, 1, 3, 3, 3, 5, 2, 4, 4, 0, 2, 3, 7, 12, 3, 10, 9, 2,
               3, 7, 7, 2, 3, 3, 6, 2, 4, 3, 5, 2, 2, 4, 0, 4, 2, 5, 2, 3, 3, 6, 5, 8, 3, 6, 6, 0, 5, 2,
               2, 2, 6, 3, 4, 4, 2, 2, 4, 7, 5, 3, 3, 0, 2, 2, 2, 1, 3, 4, 2, 2, 1, 1, 1, 2, 1, 4, 4, 3,
               2, 1, 4, 1, 1, 1, 0, 0, 2, 0]
# Hasselblad (1969): deaths of women aged 80+ per day in The Times, 1910-1912; counts 0..9.
HASSELBLAD = [162, 267, 271, 185, 111, 61, 27, 8, 3, 1]


def cases() -> dict[str, dict]:
    rng = np.random.default_rng(20261202)
    out: dict[str, dict] = {}
    deaths = np.repeat(np.arange(10), HASSELBLAD).astype(float)
    out["hasselblad-poisson-2"] = dict(model="poisson-mixture", options={"components": 2},
                                      columns=["deaths"], X=deaths[:, None], reference=-1989.946)
    out["discoveries-hmm-poisson-2"] = dict(model="hmm", options={"states": 2, "emission": "poisson"},
                                           columns=["discoveries"], X=np.array(DISCOVERIES, float)[:, None])
    # Contaminated normals: narrow components on top of a wide one. k-means splits the data
    # left/right (a local maximum); the best fit is narrow-inside-wide.
    crng = np.random.default_rng(5)
    for K, (w, mu, sd) in ((2, ([0.7, 0.3], [0, 0.5], [3, 0.3])), (3, ([0.5, 0.3, 0.2], [0, 0.5, -2], [3, 0.3, 0.4]))):
        z = crng.choice(K, size=300, p=w)
        x = np.array(mu)[z] + crng.normal(size=300) * np.array(sd)[z]
        out[f"gauss-contaminated-k{K}"] = dict(model="gaussian-mixture", options={"components": K, "covariance": "full"},
                                              columns=["x"], X=x[:, None])
    # Poisson mixture with close rates, K = 3.
    z = rng.choice(3, size=300, p=[0.4, 0.35, 0.25])
    x = rng.poisson(np.array([2.0, 4.0, 7.0])[z]).astype(float)
    out["poisson-close-k3"] = dict(model="poisson-mixture", options={"components": 3}, columns=["x"], X=x[:, None])
    # Bernoulli latent class model, K = 3, d = 8.
    p = np.array([[0.8] * 4 + [0.3] * 4, [0.3] * 4 + [0.8] * 4, [0.6, 0.2] * 4])
    z = rng.choice(3, size=300, p=[0.4, 0.35, 0.25])
    x = (rng.uniform(size=(300, 8)) < p[z]).astype(float)
    out["bernoulli-lca-k3"] = dict(model="bernoulli-mixture", options={"components": 3},
                                   columns=[f"b{j}" for j in range(8)], X=x)
    # 2-state HMMs with near-symmetric states.
    def chain(n, a):
        s = np.zeros(n, int)
        for t in range(1, n):
            s[t] = s[t - 1] if rng.uniform() < a else 1 - s[t - 1]
        return s
    s = chain(300, 0.8)
    x = np.array([0.0, 1.0])[s] + rng.normal(size=300)
    out["hmm-gauss-2"] = dict(model="hmm", options={"states": 2, "emission": "gaussian", "covariance": "full"},
                              columns=["x"], X=x[:, None])
    s = chain(300, 0.8)
    x = rng.poisson(np.array([3.0, 4.5])[s]).astype(float)
    out["hmm-poisson-2"] = dict(model="hmm", options={"states": 2, "emission": "poisson"}, columns=["x"], X=x[:, None])
    s = chain(300, 0.75)
    probs = np.array([[0.3, 0.3, 0.2, 0.2], [0.15, 0.25, 0.25, 0.35]])
    x = np.array([rng.choice(4, p=probs[k]) for k in s], float)
    out["hmm-cat-2"] = dict(model="hmm", options={"states": 2, "emission": "categorical", "symbols": 4},
                            columns=["x"], X=x[:, None])
    # Published data (Tests/Fixtures/optima/README.md gives the sources).
    fixtures = HERE.parent / "Tests" / "Fixtures" / "optima"
    def read(name: str) -> tuple[list[str], np.ndarray]:
        path = fixtures / f"{name}.csv"
        columns = path.read_text().splitlines()[0].split(",")
        return columns, np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    published = {
        "earthquakes-poisson-2": ("earthquakes", "poisson-mixture", {"components": 2}, -360.3690),
        "earthquakes-poisson-3": ("earthquakes", "poisson-mixture", {"components": 3}, -356.8489),
        "earthquakes-hmm-poisson-2": ("earthquakes", "hmm", {"states": 2, "emission": "poisson"}, -341.8787),
        "earthquakes-hmm-poisson-3": ("earthquakes", "hmm", {"states": 3, "emission": "poisson"}, -328.5275),
        "epil-poisson-3": ("epil-seizures", "poisson-mixture", {"components": 3}, None),
        "faithful-gauss-2": ("faithful", "gaussian-mixture", {"components": 2, "covariance": "full"}, None),
        "faithful-gauss-3": ("faithful", "gaussian-mixture", {"components": 3, "covariance": "full"}, None),
        "galaxies-gauss-3": ("galaxies", "gaussian-mixture", {"components": 3, "covariance": "full"}, None),
        "galaxies-gauss-4": ("galaxies", "gaussian-mixture", {"components": 4, "covariance": "full"}, None),
    }
    for name, (file, model, options, reference) in published.items():
        columns, X = read(file)
        out[name] = dict(model=model, options=options, columns=columns, X=X, reference=reference, published=True)
    return out


def speed_case(path: str) -> dict:
    """depmixS4's speed data: `corr` (cor = 1) in three sequences of 168, 134 and 137 trials."""
    import csv
    rows = list(csv.DictReader(open(path)))
    lengths = [168, 134, 137]
    assert sum(lengths) == len(rows), "expected depmixS4's 439 trials"
    X = np.array([[1.0 if r["corr"] == "cor" else 0.0] for r in rows])
    return dict(model="hmm", options={"states": 2, "emission": "categorical", "symbols": 2}, columns=["corr"], X=X,
                lengths=lengths)


def write_case(folder: Path, name: str, case: dict, fit: dict) -> tuple[Path, Path]:
    csv = folder / f"{name}.csv"
    if not csv.exists():
        lengths = case.get("lengths")
        sequence = np.repeat(np.arange(len(lengths)), lengths) if lengths else None
        header = (["sequence"] if lengths else []) + case["columns"]
        lines = [",".join(header)] + [
            ",".join(([str(sequence[i])] if lengths else []) + [repr(float(v)) for v in row])
            for i, row in enumerate(case["X"])]
        csv.write_text("\n".join(lines) + "\n")
    spec = folder / f"{name}-{abs(hash(json.dumps(fit, sort_keys=True)))}.json"
    spec.write_text(json.dumps({"name": name, "model": case["model"], "options": case["options"],
                                "columns": case["columns"], "fit": fit}))
    return spec, csv


def emzoo_fit(emzoo: str, folder: Path, name: str, case: dict, fit: dict) -> tuple[dict, float]:
    spec, csv = write_case(folder, name, case, fit)
    started = time.perf_counter()
    r = subprocess.run([emzoo, "fit", str(spec), "--data", str(csv), "--quiet", "--threads", "1"],
                       capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if r.returncode != 0:
        # e.g. a monotonicity violation of one brute-force start: say so and go on without it.
        print(f"# emzoo fit failed on {name} with {fit}: {r.stderr.strip()}", file=sys.stderr)
        return {"logLikelihood": -np.inf, "restartsAtBest": 0, "restarts": []}, elapsed
    return json.loads(r.stdout), elapsed


def regular_best(result: dict) -> float:
    """The best log-likelihood among restarts not flagged degenerate (a covariance at the floor)."""
    values = [r["logLikelihood"] for r in result["restarts"]
              if r.get("logLikelihood") is not None and not r.get("degenerate")]
    return max(values, default=-np.inf)


def independent_best(case: dict, starts: int = 200) -> float | None:
    """The best log-likelihood of an independent implementation from `starts` random starts."""
    X = case["X"]
    model, options = case["model"], case["options"]
    rng = np.random.default_rng(7)
    try:
        if model == "gaussian-mixture":
            from sklearn.mixture import GaussianMixture
            g = GaussianMixture(options["components"], covariance_type="full", n_init=starts,
                                init_params="random_from_data", tol=1e-10, max_iter=5000, reg_covar=1e-6,
                                random_state=0).fit(X)
            return float(g.score(X) * len(X))
        if model in ("poisson-mixture", "bernoulli-mixture"):
            import numpy_em
            from scipy.special import gammaln
            K, best = options["components"], -np.inf
            for _ in range(starts):
                w = rng.dirichlet(np.ones(K))
                if model == "poisson-mixture":
                    rates = X[rng.choice(len(X), K, replace=False)] + rng.uniform(0.1, 1.0, (K, X.shape[1]))
                    params, trace = numpy_em.fit_poisson_mixture(X, {"weights": w, "rates": rates}, 3000)
                else:
                    probs = rng.uniform(0.1, 0.9, (K, X.shape[1]))
                    params, trace = numpy_em.fit_bernoulli_mixture(X, {"weights": w, "probabilities": probs}, 3000)
                best = max(best, trace[-1])
            return float(best)
        if model == "hmm":
            from hmmlearn import hmm
            K, best = options["states"], -np.inf
            emission = options["emission"]
            lengths = case.get("lengths")
            for seed in range(starts):
                if emission == "gaussian":
                    m = hmm.GaussianHMM(K, covariance_type="full", n_iter=3000, tol=1e-9, random_state=seed,
                                        covars_prior=0, min_covar=1e-6)
                    Xi = X
                elif emission == "poisson":
                    m = hmm.PoissonHMM(K, n_iter=3000, tol=1e-9, random_state=seed)
                    Xi = X.astype(int)
                else:
                    m = hmm.CategoricalHMM(K, n_iter=3000, tol=1e-9, random_state=seed, n_features=options["symbols"])
                    Xi = X.astype(int)
                m.fit(Xi, lengths)
                if emission == "gaussian" and np.min(m.covars_) < 1e-5:
                    continue  # degenerate: a state on a few rows at the variance floor
                best = max(best, m.score(Xi, lengths))
            return float(best)
    except ImportError as error:
        print(f"# {model}: no independent check ({error})", file=sys.stderr)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emzoo", default=str(HERE.parent / ".build" / "release" / "emzoo"))
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--brute", type=int, default=200, help="restarts of each start method for brute force")
    parser.add_argument("--cases", default="")
    parser.add_argument("--no-independent", action="store_true")
    parser.add_argument("--speed", metavar="CSV", help="add depmixS4's speed data from this CSV (see above)")
    parser.add_argument("--write-fixtures", metavar="DIR", help="write every case's CSV to DIR and stop")
    args = parser.parse_args()
    selected = [c for c in args.cases.split(",") if c]
    if args.write_fixtures:
        folder = Path(args.write_fixtures)
        folder.mkdir(parents=True, exist_ok=True)
        for name, case in cases().items():
            if case.get("published"):
                continue  # already a fixture
            write_case(folder, name, case, {})[0].unlink()
        return
    folder = Path(tempfile.mkdtemp(prefix="emzoo-optima-"))
    print("| case | n | reference | brute force (emzoo) | independent | old default reaches | new default reaches | old s | new s |")
    print("|---|---|---|---|---|---|---|---|---|")
    everything = cases()
    if args.speed:
        everything["speed-hmm-cat-2"] = speed_case(args.speed)
    for name, case in everything.items():
        if selected and name not in selected:
            continue
        brute = -np.inf
        for method in ("kmeans++", "random", "random-partition"):
            result, _ = emzoo_fit(args.emzoo, folder, name, case,
                                  {"init": method, "restarts": args.brute, "tolerance": 1e-10, "maxIterations": 5000})
            brute = max(brute, regular_best(result))
        independent = None if args.no_independent else independent_best(case)
        best = max(brute, independent if independent is not None else -np.inf)
        tolerance = max(1e-3, 1e-5 * abs(best))  # as EMEngine.restartsAtBest
        counts, times = {"old": 0, "new": 0}, {"old": [], "new": []}
        gaps = {"old": [], "new": []}
        for seed in range(1, args.seeds + 1):
            for label, fit in (("old", {"init": "kmeans++", "restarts": 3, "seed": seed}), ("new", {"seed": seed})):
                result, elapsed = emzoo_fit(args.emzoo, folder, name, case, fit)
                times[label].append(elapsed)
                gap = best - result["logLikelihood"]
                gaps[label].append(gap)
                counts[label] += gap <= tolerance
        reference = case.get("reference")
        print(f"| {name} | {len(case['X'])} | {reference if reference is not None else '—'} | {brute:.6f} | "
              f"{'—' if independent is None else f'{independent:.6f}'} | "
              f"{counts['old']}/{args.seeds} (worst −{max(gaps['old']):.3g}) | "
              f"{counts['new']}/{args.seeds} (worst −{max(gaps['new']):.3g}) | "
              f"{statistics.median(times['old']):.3f} | {statistics.median(times['new']):.3f} |", flush=True)


if __name__ == "__main__":
    main()
