"""Peer implementations and the peer timing worker.

The peers, and why each is a fair comparison:

* gaussian-mixture -> sklearn.mixture.GaussianMixture with the same covariance
  type, reg_covar=1e-6 (emzoo's floor), tol=0 (|change| < 0 never holds, so
  exactly max_iter iterations), weights_init / means_init / precisions_init
  set to the shared start. sklearn always runs one parameter estimation from
  an initial responsibility matrix before honouring the *_init arguments and
  one extra E-step after the loop; both are removed by timing a max_iter=0 fit
  and subtracting it (see `time_peer`). init_params='random_from_data' makes
  that throw-away initialisation as cheap as possible (no k-means).
* hmm -> hmmlearn GaussianHMM / CategoricalHMM / PoissonHMM with
  implementation="scaling", init_params='' (start exactly from the shared
  parameters), params = everything, tol=-inf (hmmlearn stops when the gain is
  < tol, and a tiny negative gain from rounding would stop it at tol=0), and
  covars_prior=0 so the Gaussian M-step is the plain maximum-likelihood one
  (hmmlearn's default adds 0.01 to every covariance numerator). The Dirichlet
  priors default to 1.0, which is no prior.
* poisson-mixture, bernoulli-mixture, missing-data-regression -> the
  vectorised numpy EM in numpy_em.py (no standard library implements them).

All peers run exact maximum-likelihood EM from the same start as emzoo, so the
trajectories (and final log-likelihoods) must agree.

Run as a script this is the timing worker (run.py starts it in a subprocess
whose environment lacks OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE):

    python3 peers.py --dir bench/data/gmm-full --iterations 20 --blas 1 --output out.json
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from common import read_json, write_json


# ----------------------------------------------------------------------------
# Adapters: peer_fit(features, lengths, start, options, n_iter) -> params dict
# (params in emzoo's JSON shapes). Each runs EXACTLY n_iter EM iterations.
# ----------------------------------------------------------------------------

def sklearn_gmm(X, lengths, start, options, n_iter):
    from sklearn.mixture import GaussianMixture
    cov_type = {"full": "full", "diagonal": "diag"}[options.get("covariance", "full")]
    covs = np.asarray(start["covariances"], dtype=np.float64)
    if cov_type == "full":
        precisions = np.linalg.inv(covs)
    else:
        precisions = 1.0 / np.einsum("kii->ki", covs)
    gm = GaussianMixture(n_components=len(start["weights"]), covariance_type=cov_type,
                         max_iter=n_iter, tol=0.0, reg_covar=1e-6, n_init=1,
                         init_params="random_from_data", random_state=0,
                         weights_init=np.asarray(start["weights"], dtype=np.float64),
                         means_init=np.asarray(start["means"], dtype=np.float64),
                         precisions_init=precisions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # ConvergenceWarning: expected with tol=0
        gm.fit(X)
    covs_out = gm.covariances_ if cov_type == "full" else np.stack([np.diag(c) for c in gm.covariances_])
    return {"weights": gm.weights_, "means": gm.means_, "covariances": covs_out}


def hmmlearn_hmm(X, lengths, start, options, n_iter):
    from hmmlearn import hmm
    k = options["states"]
    emission = options.get("emission", "gaussian")
    common = dict(n_components=k, n_iter=n_iter, tol=-np.inf, implementation="scaling",
                  init_params="", verbose=False)
    if emission == "gaussian":
        cov_type = {"full": "full", "diagonal": "diag"}[options.get("covariance", "full")]
        model = hmm.GaussianHMM(covariance_type=cov_type, params="stmc", covars_prior=0.0,
                                **common)
        covs = np.asarray(start["covariances"], dtype=np.float64)
        model.means_ = np.asarray(start["means"], dtype=np.float64)
        model.covars_ = covs if cov_type == "full" else np.einsum("kii->ki", covs)
    elif emission == "categorical":
        model = hmm.CategoricalHMM(n_features=options["symbols"], params="ste", **common)
        model.emissionprob_ = np.asarray(start["probabilities"], dtype=np.float64)
    elif emission == "poisson":
        model = hmm.PoissonHMM(params="stl", **common)
        model.lambdas_ = np.asarray(start["rates"], dtype=np.float64)
    else:
        raise ValueError(emission)
    model.startprob_ = np.asarray(start["initial"], dtype=np.float64)
    model.transmat_ = np.asarray(start["transition"], dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, lengths)
    out = {"initial": model.startprob_, "transition": model.transmat_}
    if emission == "gaussian":
        out["means"] = model.means_
        out["covariances"] = model.covars_          # hmmlearn returns full matrices here
    elif emission == "categorical":
        out["probabilities"] = model.emissionprob_
    else:
        out["rates"] = model.lambdas_
    return out


def numpy_poisson(X, lengths, start, options, n_iter):
    from numpy_em import fit_poisson_mixture
    return fit_poisson_mixture(X, start, n_iter)[0]


def numpy_bernoulli(X, lengths, start, options, n_iter):
    from numpy_em import fit_bernoulli_mixture
    return fit_bernoulli_mixture(X, start, n_iter)[0]


def numpy_missreg(X, lengths, start, options, n_iter):
    from numpy_em import fit_missing_regression
    return fit_missing_regression(X, start, n_iter)[0]


def peer_for(kind: str, options: dict):
    """(adapter, human-readable name) for a model kind."""
    if kind == "gaussian-mixture":
        ct = {"full": "full", "diagonal": "diag"}[options.get("covariance", "full")]
        return sklearn_gmm, f"sklearn GaussianMixture({ct})"
    if kind == "hmm":
        em = options.get("emission", "gaussian")
        cls = {"gaussian": "GaussianHMM", "categorical": "CategoricalHMM", "poisson": "PoissonHMM"}[em]
        return hmmlearn_hmm, f"hmmlearn {cls}"
    if kind == "poisson-mixture":
        return numpy_poisson, "numpy EM"
    if kind == "bernoulli-mixture":
        return numpy_bernoulli, "numpy EM"
    if kind == "missing-data-regression":
        return numpy_missreg, "numpy EM (MVN by pattern)"
    raise ValueError(f"no peer for model kind {kind!r}")


def time_peer(fit, X, lengths, start, options, n_iter, repeat=1):
    """Time the peer for exactly n_iter EM iterations.

    After an untimed warm-up fit(1) (first-call costs: lazy imports, BLAS
    thread start-up, page faults), times fit(1) and fit(n_iter), `repeat`
    times each, keeping the minima. The reported per-iteration time is
    (t_N - t_1) / (N - 1): the marginal cost of one EM iteration, free of
    one-off overheads (sklearn's throw-away initial M-step and final E-step,
    input validation, pattern grouping ...). fit(0) cannot serve as the
    baseline: sklearn's GaussianMixture fails with max_iter=0 when
    precisions_init is given (it has no covariances_ to return).
    """
    fit(X, lengths, start, options, 1)
    t1 = tn = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fit(X, lengths, start, options, 1)
        t1 = min(t1, time.perf_counter() - t)
        t = time.perf_counter()
        params = fit(X, lengths, start, options, n_iter)
        tn = min(tn, time.perf_counter() - t)
    return params, t1, tn


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True, help="workload data directory (bench/data/NAME)")
    ap.add_argument("--iterations", type=int, default=20, help="EM iterations (>= 1)")
    ap.add_argument("--blas", choices=["1", "default"], default="default",
                    help="limit BLAS/OpenMP thread pools to 1 thread, or leave the default")
    ap.add_argument("--repeat", type=int, default=1, help="timings to take the minimum of")
    ap.add_argument("--output", required=True)
    args = ap.parse_args()

    from pathlib import Path
    import os
    from threadpoolctl import threadpool_info, threadpool_limits

    wdir = Path(args.dir)
    meta = read_json(wdir / "meta.json")
    start = read_json(wdir / "start.json")
    X = np.load(wdir / "features.npy")
    lengths = np.load(wdir / "lengths.npy") if (wdir / "lengths.npy").exists() else None
    fit, peer_name = peer_for(meta["kind"], meta["options"])

    if args.blas == "1":
        with threadpool_limits(limits=1):
            info = threadpool_info()
            params, t1, tn = time_peer(fit, X, lengths, start, meta["options"], args.iterations,
                                       args.repeat)
    else:
        info = threadpool_info()
        params, t1, tn = time_peer(fit, X, lengths, start, meta["options"], args.iterations,
                                       args.repeat)

    n = args.iterations
    write_json(Path(args.output), {
        "peer": peer_name,
        "setting": "1 thread" if args.blas == "1" else "default threads",
        "thread_pools": [{k: d.get(k) for k in ("internal_api", "prefix", "num_threads")} for d in info],
        "openblas_env_seen": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
        "iterations": args.iterations,
        "repeat": args.repeat,
        "seconds_fit_1_iteration": t1,
        "seconds_fit": tn,
        "seconds_per_iteration": (tn - t1) / (n - 1) if n > 1 else tn,
        "seconds_per_iteration_including_overhead": tn / n,
        "parameters": params,
    })


if __name__ == "__main__":
    main()
