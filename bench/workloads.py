"""Benchmark workloads: deterministic synthetic data, truth and shared start.

Each workload generates (with a fixed numpy seed)
  * "truth" parameters: separated mixtures / sticky HMMs; separated, but with
    enough overlap that EM is still moving after 20 iterations (relative
    log-likelihood change >= ~1e-13). Very well separated data reach a
    floating-point fixed point in 4-14 iterations, after which an
    implementation may legitimately stop (change == 0 <= tolerance 0) and the
    iteration counts of emzoo and the peer would no longer match,
  * a data set sampled from the truth (rounded to 6 decimals for continuous
    data, so the CSV is compact and holds exactly the float64 values the
    peers use),
  * the shared START parameters: a perturbation of the truth. emzoo receives
    them as the spec's "parameters" with "fit": {"init": "spec"}, the peer
    receives the very same numbers, so both run the same EM trajectory.

Everything is cached under bench/data/<workload>[-small]/:
  data.csv        the data emzoo reads
  features.npy    the same data as a float64 / int64 array for the peers
  lengths.npy     HMM sequence lengths (HMM workloads only)
  spec.json       emzoo spec (parameters = shared start)
  start.json      shared start parameters (emzoo JSON shape)
  truth.json      generating parameters (for reference)
  meta.json       sizes, options, generator version (cache key)
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from common import DATA_DIR, read_csv, read_json, write_csv, write_json

# Bump when the generators change, so stale caches are regenerated.
GENERATOR_VERSION = 4


# ----------------------------------------------------------------------------
# Random parameter helpers
# ----------------------------------------------------------------------------

def random_spd(rng: np.random.Generator, d: int, floor: float = 0.3) -> np.ndarray:
    """A random correlated covariance matrix, eigenvalues roughly in [floor, 4]."""
    a = rng.normal(size=(d, d))
    return a @ a.T / d + floor * np.eye(d)


def sticky_transition(rng: np.random.Generator, k: int, stay: float) -> np.ndarray:
    """Transition matrix with `stay` on the diagonal, the rest Dirichlet-spread."""
    t = np.zeros((k, k))
    for i in range(k):
        off = rng.dirichlet(np.full(k - 1, 2.0)) * (1.0 - stay)
        t[i, np.arange(k) != i] = off
        t[i, i] = stay
    return t


def start_transition(k: int, stay: float) -> np.ndarray:
    """A neutral sticky start: `stay` on the diagonal, uniform elsewhere."""
    t = np.full((k, k), (1.0 - stay) / (k - 1))
    np.fill_diagonal(t, stay)
    return t


def sample_states(rng: np.random.Generator, initial: np.ndarray, transition: np.ndarray,
                  lengths: np.ndarray) -> np.ndarray:
    """Sample a Markov chain state path per sequence (concatenated)."""
    k = len(initial)
    cum_t = np.cumsum(transition, axis=1)
    cum_t[:, -1] = 1.0
    cum_i = np.cumsum(initial)
    cum_i[-1] = 1.0
    total = int(lengths.sum())
    u = rng.random(total).tolist()
    rows = [cum_t[i].tolist() for i in range(k)]
    first = cum_i.tolist()
    states = [0] * total
    pos = 0
    # Plain Python loop with bisect: about 0.5 s per 1e6 steps.
    for length in lengths.tolist():
        s = min(bisect.bisect_right(first, u[pos]), k - 1)
        states[pos] = s
        for t in range(pos + 1, pos + length):
            s = min(bisect.bisect_right(rows[s], u[t]), k - 1)
            states[t] = s
        pos += length
    return np.asarray(states, dtype=np.int64)


def split_lengths(rng: np.random.Generator, total: int, count: int) -> np.ndarray:
    """`count` unequal sequence lengths (between ~0.5x and ~1.5x the mean) summing to total."""
    w = rng.uniform(0.5, 1.5, size=count)
    lengths = np.floor(w / w.sum() * total).astype(np.int64)
    lengths[: total - lengths.sum()] += 1
    assert lengths.sum() == total and lengths.min() > 1
    return lengths


def sample_gaussians(rng: np.random.Generator, labels: np.ndarray, means: np.ndarray,
                     covs: np.ndarray) -> np.ndarray:
    """x_i ~ N(means[labels_i], covs[labels_i])."""
    n, d = len(labels), means.shape[1]
    x = np.empty((n, d))
    for k in range(len(means)):
        idx = np.flatnonzero(labels == k)
        chol = np.linalg.cholesky(covs[k])
        x[idx] = means[k] + rng.normal(size=(len(idx), d)) @ chol.T
    return np.round(x, 6)


# ----------------------------------------------------------------------------
# Generators. Each returns a dict with keys:
#   kind, options, truth, start, names, columns (for the CSV),
#   features (peer array), lengths (HMM only), n, d
# ----------------------------------------------------------------------------

def gen_gmm(n: int, d: int, k: int, covariance: str, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(k, 10.0))
    means = rng.normal(0.0, 1.0, size=(k, d))          # pairwise mean distance ~4, overlapping tails
    if covariance == "full":
        covs = np.stack([random_spd(rng, d) for _ in range(k)])
    elif covariance == "diagonal":
        covs = np.stack([np.diag(rng.uniform(0.3, 2.0, size=d)) for _ in range(k)])
    else:
        raise ValueError(covariance)
    labels = rng.choice(k, size=n, p=weights)
    x = sample_gaussians(rng, labels, means, covs)
    # Shared start: uniform weights, jittered means, inflated diagonal covariances.
    start = {
        "weights": np.full(k, 1.0 / k),
        "means": means + rng.normal(0.0, 0.5, size=means.shape),
        "covariances": np.stack([np.diag(1.5 * np.diag(c)) for c in covs]),
    }
    truth = {"weights": weights, "means": means, "covariances": covs}
    return dict(kind="gaussian-mixture", options={"components": k, "covariance": covariance},
                truth=truth, start=start, names=[f"x{j + 1}" for j in range(d)],
                columns=list(x.T), features=x, n=n, d=d)


def gen_poisson(n: int, d: int, k: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(k, 10.0))
    rates = np.exp(rng.uniform(np.log(3.0), np.log(30.0), size=(k, d)))
    labels = rng.choice(k, size=n, p=weights)
    x = rng.poisson(rates[labels]).astype(np.int64)
    start = {"weights": np.full(k, 1.0 / k),
             "rates": rates * np.exp(rng.normal(0.0, 0.25, size=rates.shape))}
    truth = {"weights": weights, "rates": rates}
    return dict(kind="poisson-mixture", options={"components": k}, truth=truth, start=start,
                names=[f"x{j + 1}" for j in range(d)], columns=list(x.T),
                features=x.astype(np.float64), n=n, d=d)


def gen_bernoulli(n: int, d: int, k: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(k, 10.0))
    probs = np.clip(rng.beta(4.0, 4.0, size=(k, d)), 0.05, 0.95)
    labels = rng.choice(k, size=n, p=weights)
    x = (rng.random((n, d)) < probs[labels]).astype(np.int64)
    start = {"weights": np.full(k, 1.0 / k),
             "probabilities": np.clip(0.6 * probs + 0.4 * rng.uniform(0.2, 0.8, size=probs.shape),
                                      0.05, 0.95)}
    truth = {"weights": weights, "probabilities": probs}
    return dict(kind="bernoulli-mixture", options={"components": k}, truth=truth, start=start,
                names=[f"x{j + 1}" for j in range(d)], columns=list(x.T),
                features=x.astype(np.float64), n=n, d=d)


def gen_hmm_gauss(total: int, n_seq: int, d: int, k: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    initial = rng.dirichlet(np.full(k, 2.0))
    transition = sticky_transition(rng, k, 0.95)
    means = rng.normal(0.0, 1.0, size=(k, d))
    covs = np.stack([random_spd(rng, d) for _ in range(k)])
    lengths = split_lengths(rng, total, n_seq)
    states = sample_states(rng, initial, transition, lengths)
    x = sample_gaussians(rng, states, means, covs)
    seq = np.repeat(np.arange(n_seq), lengths)
    start = {"initial": np.full(k, 1.0 / k), "transition": start_transition(k, 0.7),
             "means": means + rng.normal(0.0, 0.5, size=means.shape),
             "covariances": np.stack([np.diag(1.5 * np.diag(c)) for c in covs])}
    truth = {"initial": initial, "transition": transition, "means": means, "covariances": covs}
    return dict(kind="hmm", options={"states": k, "emission": "gaussian", "covariance": "full"},
                truth=truth, start=start, names=["sequence"] + [f"x{j + 1}" for j in range(d)],
                columns=[seq] + list(x.T), features=x, lengths=lengths, n=total, d=d)


def gen_hmm_cat(total: int, n_seq: int, m: int, k: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    initial = rng.dirichlet(np.full(k, 2.0))
    transition = sticky_transition(rng, k, 0.9)
    emission = rng.dirichlet(np.full(m, 0.3), size=k)   # each state favours a few symbols
    lengths = split_lengths(rng, total, n_seq)
    states = sample_states(rng, initial, transition, lengths)
    cum = np.cumsum(emission, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(total)
    symbols = np.empty(total, dtype=np.int64)
    for s in range(k):
        idx = np.flatnonzero(states == s)
        symbols[idx] = np.minimum(np.searchsorted(cum[s], u[idx], side="right"), m - 1)
    seq = np.repeat(np.arange(n_seq), lengths)
    start_em = 0.5 * emission + 0.5 * rng.dirichlet(np.full(m, 5.0), size=k)
    start_em /= start_em.sum(axis=1, keepdims=True)
    start = {"initial": np.full(k, 1.0 / k), "transition": start_transition(k, 0.7),
             "probabilities": start_em}
    truth = {"initial": initial, "transition": transition, "probabilities": emission}
    return dict(kind="hmm", options={"states": k, "emission": "categorical", "symbols": m},
                truth=truth, start=start, names=["sequence", "symbol"],
                columns=[seq, symbols], features=symbols.reshape(-1, 1), lengths=lengths,
                n=total, d=1)


def gen_hmm_pois(total: int, n_seq: int, d: int, k: int, seed: int) -> dict:
    """Poisson-emission HMM: d independent Poisson counts per step, sticky chain."""
    rng = np.random.default_rng(seed)
    initial = rng.dirichlet(np.full(k, 2.0))
    transition = sticky_transition(rng, k, 0.9)
    rates = np.exp(rng.uniform(np.log(2.0), np.log(30.0), size=(k, d)))
    lengths = split_lengths(rng, total, n_seq)
    states = sample_states(rng, initial, transition, lengths)
    x = rng.poisson(rates[states]).astype(np.int64)
    seq = np.repeat(np.arange(n_seq), lengths)
    start = {"initial": np.full(k, 1.0 / k), "transition": start_transition(k, 0.7),
             "rates": rates * np.exp(rng.normal(0.0, 0.25, size=rates.shape))}
    truth = {"initial": initial, "transition": transition, "rates": rates}
    return dict(kind="hmm", options={"states": k, "emission": "poisson"},
                truth=truth, start=start, names=["sequence"] + [f"x{j + 1}" for j in range(d)],
                columns=[seq] + list(x.T), features=x, lengths=lengths, n=total, d=d)


def gen_missreg(n: int, p: int, rate: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    mean = rng.normal(0.0, 2.0, size=p)
    cov = random_spd(rng, p, floor=0.5)
    coef = rng.normal(0.0, 1.0, size=p + 1)
    s2 = 0.5
    x = rng.multivariate_normal(mean, cov, size=n, method="cholesky")
    y = coef[0] + x @ coef[1:] + rng.normal(0.0, np.sqrt(s2), size=n)
    z = np.round(np.column_stack([x, y]), 6)
    # MCAR in covariates and response. A row with every entry missing carries
    # no information (and emzoo rejects it as an input error), so such rows get
    # their mask redrawn; the mechanism still ignores the values, i.e. is MCAR.
    mask = rng.random(z.shape) < rate
    while (empty := np.flatnonzero(mask.all(axis=1))).size:
        mask[empty] = rng.random((empty.size, z.shape[1])) < rate
    z[mask] = np.nan
    start = {"coefficients": coef + rng.normal(0.0, 0.3, size=coef.shape),
             "noiseVariance": 2.0 * s2,
             "covariateMean": mean + rng.normal(0.0, 0.3, size=p),
             "covariateCovariance": np.diag(1.2 * np.diag(cov))}
    truth = {"coefficients": coef, "noiseVariance": s2, "covariateMean": mean,
             "covariateCovariance": cov}
    names = [f"x{j + 1}" for j in range(p)] + ["y"]
    return dict(kind="missing-data-regression",
                options={"response": "y", "missing": {"rate": rate, "mechanism": "MCAR"}},
                truth=truth, start=start, names=names, columns=list(z.T), features=z,
                n=n, d=p + 1)


# ----------------------------------------------------------------------------
# Workload table
# ----------------------------------------------------------------------------

@dataclass
class Workload:
    name: str
    peer: str                       # human-readable peer name
    make: Callable[[bool], dict]    # make(small) -> generator output
    description: str = ""


WORKLOADS: dict[str, Workload] = {w.name: w for w in [
    Workload("gmm-full", "sklearn GaussianMixture(full)",
             lambda small: gen_gmm(10_000 if small else 200_000, 8, 8, "full", seed=101),
             "Gaussian mixture, full covariance, d=8, K=8"),
    Workload("gmm-diag", "sklearn GaussianMixture(diag)",
             lambda small: gen_gmm(50_000 if small else 1_000_000, 8, 8, "diagonal", seed=102),
             "Gaussian mixture, diagonal covariance, d=8, K=8"),
    Workload("poisson-mix", "numpy EM",
             lambda small: gen_poisson(50_000 if small else 1_000_000, 4, 8, seed=103),
             "Poisson mixture, d=4, K=8"),
    Workload("bern-mix", "numpy EM",
             lambda small: gen_bernoulli(10_000 if small else 200_000, 64, 10, seed=104),
             "Bernoulli mixture, d=64, K=10"),
    Workload("hmm-gauss", "hmmlearn GaussianHMM(full)",
             lambda small: gen_hmm_gauss(10_000 if small else 200_000, 20, 4, 8, seed=105),
             "Gaussian HMM, full covariance, d=4, K=8, 20 sequences"),
    Workload("hmm-cat", "hmmlearn CategoricalHMM",
             lambda small: gen_hmm_cat(50_000 if small else 1_000_000, 100, 16, 8, seed=106),
             "Categorical HMM, M=16, K=8, 100 sequences"),
    Workload("missreg", "numpy EM (MVN, missing patterns)",
             lambda small: gen_missreg(25_000 if small else 500_000, 6, 0.2, seed=107),
             "Regression with 20% MCAR missing entries, p=6"),
    Workload("hmm-pois", "hmmlearn PoissonHMM",
             lambda small: gen_hmm_pois(50_000 if small else 500_000, 50, 4, 8, seed=108),
             "Poisson HMM, d=4, K=8, 50 sequences"),
]}


def workload_dir(name: str, small: bool) -> Path:
    return DATA_DIR / (name + ("-small" if small else ""))


def make_spec(name: str, meta: dict, start: dict, iterations: int) -> dict:
    """The emzoo spec: shared start as parameters, fit from exactly those, by plain EM (the
    peers have no SQUAREM: the same path on both sides) and without standard errors (the
    peers compute none)."""
    return {"name": name, "model": meta["kind"], "options": meta["options"],
            "parameters": start,
            "fit": {"init": "spec", "maxIterations": iterations, "tolerance": 0, "restarts": 1,
                    "accelerate": "none", "standardErrors": False}}


def prepare(name: str, small: bool, iterations: int, log=print) -> Path:
    """Generate (or reuse cached) data for a workload; (re)write spec.json.

    Returns the workload's data directory.
    """
    wdir = workload_dir(name, small)
    meta_path = wdir / "meta.json"
    cache_ok = False
    if meta_path.exists():
        meta = read_json(meta_path)
        cache_ok = (meta.get("generator_version") == GENERATOR_VERSION and
                    all((wdir / f).exists() for f in ("data.csv", "features.npy", "start.json")))
    if not cache_ok:
        log(f"[{name}] generating data{' (small)' if small else ''} ...")
        wdir.mkdir(parents=True, exist_ok=True)
        g = WORKLOADS[name].make(small)
        write_csv(wdir / "data.csv", g["names"], g["columns"])
        # Guarantee that the CSV emzoo reads holds exactly the peer's numbers.
        names, back = read_csv(wdir / "data.csv")
        feat_cols = [i for i, nm in enumerate(names) if nm != "sequence"]
        if not np.array_equal(back[:, feat_cols], g["features"].astype(np.float64),
                              equal_nan=True):
            raise RuntimeError(f"{name}: CSV round trip changed the data")
        np.save(wdir / "features.npy", g["features"])
        if "lengths" in g:
            np.save(wdir / "lengths.npy", g["lengths"])
        write_json(wdir / "start.json", g["start"])
        write_json(wdir / "truth.json", g["truth"])
        meta = {"generator_version": GENERATOR_VERSION, "workload": name, "small": small,
                "kind": g["kind"], "options": g["options"], "n": g["n"], "d": g["d"],
                "columns": g["names"],
                "n_sequences": int(len(g["lengths"])) if "lengths" in g else None,
                # size of the data as a dense float64 matrix (features only)
                "data_mib": g["n"] * g["d"] * 8 / 2**20}
        write_json(meta_path, meta)
    start = read_json(wdir / "start.json")
    write_json(wdir / "spec.json", make_spec(name, meta, start, iterations))
    return wdir
