#!/usr/bin/env python3
"""Independent check of the log-likelihood emzoo reports.

    python3 bench/crosscheck.py RESULT.json DATA.csv [--spec SPEC.json] [--rtol 1e-8]

Recomputes the observed-data log-likelihood (natural log, all constants
included, summed over rows / sequences) of DATA.csv at RESULT.json's
"parameters", with code that shares nothing with emzoo or with the numpy peers:

  gaussian-mixture         sklearn GaussianMixture with weights_/means_/
                           covariances_/precisions_cholesky_ set by hand,
                           score_samples(X).sum() (= score(X) * n); rows with
                           missing entries: per-pattern marginal normal (scipy)
  poisson-mixture          scipy.stats.poisson.logpmf + logsumexp
  bernoulli-mixture        scipy.stats.bernoulli.logpmf + logsumexp
                           (missing entries are marginalised out, i.e. skipped,
                           per dimension, in both mixture kinds)
Columns "sequence" and "latent" are never features; all other columns are,
in CSV order.
  hmm                      hmmlearn GaussianHMM / PoissonHMM / CategoricalHMM
                           (implementation="log") .score(X, lengths), sequences
                           from the optional integer "sequence" column
  missing-data-regression  scipy multivariate_normal.logpdf of each row's
                           observed entries under the implied joint normal of
                           (covariates, response)

Prints the reported and the independent value and their relative difference;
exits 0 if the relative difference is <= --rtol, 1 if not, 2 on error.

The model kind comes from --spec, from a "model" key in the result, or is
inferred from the parameter names.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
from scipy import stats
from scipy.linalg import solve_triangular
from scipy.special import logsumexp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import read_csv, read_json, sequence_lengths  # noqa: E402

# Columns that are never model features (as in emzoo): the HMM sequence id and
# the latent label that `emzoo sample --latent` adds.
NON_FEATURES = ("sequence", "latent")

CHUNK = 20_000   # rows per block for the (rows x K x d) element-wise mixtures


def infer_kind(params: dict) -> str:
    if "coefficients" in params:
        return "missing-data-regression"
    if "transition" in params:
        return "hmm"
    if "means" in params:
        return "gaussian-mixture"
    if "rates" in params:
        return "poisson-mixture"
    if "probabilities" in params:
        return "bernoulli-mixture"
    raise ValueError(f"cannot infer the model kind from parameters {sorted(params)}")


def hmm_emission(params: dict) -> str:
    if "means" in params:
        return "gaussian"
    if "rates" in params:
        return "poisson"
    if "probabilities" in params:
        return "categorical"
    raise ValueError("cannot infer the HMM emission from parameters")


def fsum(a) -> float:
    return math.fsum(np.asarray(a, dtype=np.float64).ravel().tolist())


# ----------------------------------------------------------------------------
# Per-model log-likelihoods
# ----------------------------------------------------------------------------

def ll_gaussian_mixture(X: np.ndarray, params: dict) -> float:
    w = np.asarray(params["weights"], dtype=np.float64)
    means = np.asarray(params["means"], dtype=np.float64)
    covs = np.asarray(params["covariances"], dtype=np.float64)
    k, d = means.shape
    miss = np.isnan(X)
    if not miss.any():
        from sklearn.mixture import GaussianMixture
        gm = GaussianMixture(n_components=k, covariance_type="full")
        gm.weights_, gm.means_, gm.covariances_ = w, means, covs
        # precision = P P^T with P = L^-T, L = cholesky(covariance)
        gm.precisions_cholesky_ = np.stack([
            solve_triangular(np.linalg.cholesky(c), np.eye(d), lower=True).T for c in covs])
        gm.precisions_ = np.stack([p @ p.T for p in gm.precisions_cholesky_])
        gm.n_features_in_ = d
        gm.converged_, gm.n_iter_, gm.lower_bound_ = True, 0, 0.0
        return fsum(gm.score_samples(X))
    # Missing entries: marginal normal of the observed coordinates, per pattern.
    total = 0.0
    codes = miss @ (1 << np.arange(d))
    for code in np.unique(codes):
        rows = np.flatnonzero(codes == code)
        o = np.flatnonzero(~miss[rows[0]])
        if len(o) == 0:
            continue
        comp = np.column_stack([
            np.log(w[j]) + stats.multivariate_normal(means[j, o], covs[j][np.ix_(o, o)])
            .logpdf(X[np.ix_(rows, o)]).reshape(-1) for j in range(k)])
        total += fsum(logsumexp(comp, axis=1))
    return total


def _ll_independent_mixture(X: np.ndarray, w: np.ndarray, logpmf) -> float:
    """Mixture of products of univariate pmfs; NaN entries contribute log 1 = 0."""
    total = 0.0
    for s in range(0, X.shape[0], CHUNK):
        x = X[s:s + CHUNK][:, None, :]                         # (m, 1, d)
        miss = np.isnan(x)
        lp = logpmf(np.where(miss, 0.0, x))                    # (m, K, d)
        lp = np.where(miss, 0.0, lp).sum(axis=2) + np.log(w)   # (m, K)
        total += fsum(logsumexp(lp, axis=1))
    return total


def ll_poisson_mixture(X: np.ndarray, params: dict) -> float:
    rates = np.asarray(params["rates"], dtype=np.float64)[None, :, :]
    return _ll_independent_mixture(X, np.asarray(params["weights"], dtype=np.float64),
                                   lambda x: stats.poisson.logpmf(x, rates))


def ll_bernoulli_mixture(X: np.ndarray, params: dict) -> float:
    p = np.asarray(params["probabilities"], dtype=np.float64)[None, :, :]
    return _ll_independent_mixture(X, np.asarray(params["weights"], dtype=np.float64),
                                   lambda x: stats.bernoulli.logpmf(x, p))


def ll_hmm(X: np.ndarray, lengths: np.ndarray, params: dict) -> float:
    from hmmlearn import hmm
    if np.isnan(X).any():
        raise ValueError("hmm cross-check does not support missing values")
    k = len(params["initial"])
    emission = hmm_emission(params)
    if emission == "gaussian":
        model = hmm.GaussianHMM(n_components=k, covariance_type="full", implementation="log")
        model.means_ = np.asarray(params["means"], dtype=np.float64)
        model.covars_ = np.asarray(params["covariances"], dtype=np.float64)
    elif emission == "poisson":
        model = hmm.PoissonHMM(n_components=k, implementation="log")
        model.lambdas_ = np.asarray(params["rates"], dtype=np.float64)
    else:
        probs = np.asarray(params["probabilities"], dtype=np.float64)
        model = hmm.CategoricalHMM(n_components=k, n_features=probs.shape[1], implementation="log")
        model.emissionprob_ = probs
        if X.shape[1] != 1:
            raise ValueError("categorical HMM data must have exactly one column besides 'sequence'")
        X = X.astype(np.int64)
    model.startprob_ = np.asarray(params["initial"], dtype=np.float64)
    model.transmat_ = np.asarray(params["transition"], dtype=np.float64)
    return float(model.score(X, lengths))


def ll_missing_regression(Z: np.ndarray, params: dict) -> float:
    """Columns of Z: covariates (in covariateMean order), then the response."""
    b = np.asarray(params["coefficients"], dtype=np.float64)
    s2 = float(params["noiseVariance"])
    mx = np.asarray(params["covariateMean"], dtype=np.float64)
    sxx = np.asarray(params["covariateCovariance"], dtype=np.float64)
    p = len(mx)
    # joint normal of (x, y): y = b0 + b.x + e  =>  Cov(x, y) = Sxx b, Var y = b'Sxx b + s2
    mean = np.append(mx, b[0] + b[1:] @ mx)
    cov = np.zeros((p + 1, p + 1))
    cov[:p, :p] = sxx
    cov[:p, p] = cov[p, :p] = sxx @ b[1:]
    cov[p, p] = b[1:] @ sxx @ b[1:] + s2
    miss = np.isnan(Z)
    codes = miss @ (1 << np.arange(p + 1))
    total = 0.0
    for code in np.unique(codes):
        rows = np.flatnonzero(codes == code)
        o = np.flatnonzero(~miss[rows[0]])
        if len(o) == 0:
            continue                                   # nothing observed: log 1
        lp = stats.multivariate_normal(mean[o], cov[np.ix_(o, o)]).logpdf(Z[np.ix_(rows, o)])
        total += fsum(np.atleast_1d(lp))
    return total


# ----------------------------------------------------------------------------
# Entry points
# ----------------------------------------------------------------------------

def independent_loglik(params: dict, csv_path, kind: str | None = None,
                       options: dict | None = None, csv=None) -> float:
    """Observed-data log-likelihood of csv_path at params (see module doc).

    `csv` may be a pre-read (names, data) pair to avoid parsing twice."""
    kind = kind or infer_kind(params)
    options = options or {}
    names, data = csv if csv is not None else read_csv(csv_path)
    if kind == "hmm":
        if "sequence" in names:
            lengths = sequence_lengths(data[:, names.index("sequence")])
        else:
            lengths = np.array([data.shape[0]])
        feat = [i for i, nm in enumerate(names) if nm not in NON_FEATURES]
        return ll_hmm(data[:, feat], lengths, params)
    if kind == "missing-data-regression":
        response = options.get("response", "y")
        if response not in names:
            raise ValueError(f"response column {response!r} not in CSV columns {names}")
        cov_cols = [i for i, nm in enumerate(names) if nm != response and nm not in NON_FEATURES]
        return ll_missing_regression(data[:, cov_cols + [names.index(response)]], params)
    feat = [i for i, nm in enumerate(names) if nm not in NON_FEATURES]
    X = data[:, feat]
    if kind == "gaussian-mixture":
        return ll_gaussian_mixture(X, params)
    if kind == "poisson-mixture":
        return ll_poisson_mixture(X, params)
    if kind == "bernoulli-mixture":
        return ll_bernoulli_mixture(X, params)
    raise ValueError(f"unknown model kind {kind!r}")


def relative_difference(a: float, b: float) -> float:
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("result", help="emzoo fit result JSON")
    ap.add_argument("data", help="the CSV the model was fitted to")
    ap.add_argument("--spec", help="spec JSON (model kind and options); optional")
    ap.add_argument("--rtol", type=float, default=1e-8)
    args = ap.parse_args(argv)
    try:
        result = read_json(args.result)
        spec = read_json(args.spec) if args.spec else {}
        kind = spec.get("model") or result.get("model")
        options = spec.get("options") or result.get("options") or {}
        params = result["parameters"]
        independent = independent_loglik(params, args.data, kind, options)
    except Exception as e:  # noqa: BLE001 - report any failure as exit code 2
        print(f"crosscheck error: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    reported = result.get("logLikelihood")
    print(f"model:                {kind or infer_kind(params)}")
    print(f"independent loglik:   {independent:.17g}")
    if reported is None:
        print("reported loglik:      (missing 'logLikelihood' key)")
        return 1
    reported = float(reported)
    rel = relative_difference(reported, independent)
    print(f"reported loglik:      {reported:.17g}")
    print(f"relative difference:  {rel:.3e}  (rtol {args.rtol:g})")
    trace = result.get("trace") or []
    if trace and float(trace[-1]) != reported:
        print(f"note: trace[-1] = {float(trace[-1]):.17g} differs from logLikelihood "
              f"(rel {relative_difference(float(trace[-1]), independent):.3e} vs independent)")
    ok = rel <= args.rtol
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
