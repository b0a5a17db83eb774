"""Vectorised numpy EM peers for the models that have no standard library fit.

These are written the way a competent numpy user would write them:
  * everything in log space with a max-shifted logsumexp,
  * data-only terms (e.g. log x! for the Poisson) computed ONCE before the loop,
  * the heavy O(n*K*d) work done with BLAS matrix products,
  * no Python loop over rows; only over K or over missingness patterns.
They are exact maximum-likelihood EM (no priors, no clipping beyond guarding
log(0)), i.e. the same algorithm emzoo runs, so starting from the same
parameters both must follow the same trajectory; that makes the timing
comparison fair and the final log-likelihoods directly comparable.

Each fit_* takes (X, start, n_iter) where `start` uses emzoo's JSON parameter
shapes, runs EXACTLY n_iter EM iterations (no convergence test) and returns
(params, trace): params in emzoo's shapes, trace[i] = observed-data
log-likelihood of the parameters entering iteration i (computed for free in
that iteration's E-step).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

# Smallest probability we allow inside a log (only guards exact 0 / 1).
_TINY = 1e-300


def _log_normalize_rows(a: np.ndarray) -> np.ndarray:
    """In place: a[i] -= logsumexp(a[i]); returns the row log-normalisers."""
    m = a.max(axis=1, keepdims=True)
    a -= m
    np.exp(a, out=a)
    s = a.sum(axis=1, keepdims=True)
    a /= s                                 # a now holds responsibilities
    return (np.log(s) + m).ravel()


# ----------------------------------------------------------------------------
# Poisson mixture
# ----------------------------------------------------------------------------

def fit_poisson_mixture(X: np.ndarray, start: dict, n_iter: int):
    """EM for a mixture of K independent-Poisson components over d counts.

    log p(x | k) = sum_j x_j log r_kj - sum_j r_kj - sum_j log(x_j!)
    The first term for all rows and components is one (n,d)x(d,K) product.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    n = X.shape[0]
    w = np.asarray(start["weights"], dtype=np.float64).copy()
    rates = np.asarray(start["rates"], dtype=np.float64).copy()
    log_fact = gammaln(X + 1.0).sum(axis=1)          # data-only: once
    trace = []
    for _ in range(n_iter):
        # E-step: log joint (n,K) -> responsibilities in place.
        logp = X @ np.log(np.maximum(rates, _TINY)).T
        logp += np.log(w) - rates.sum(axis=1)
        norm = _log_normalize_rows(logp)
        trace.append(float(norm.sum() - log_fact.sum()))
        resp = logp
        # M-step.
        nk = resp.sum(axis=0)
        w = nk / n
        rates = (resp.T @ X) / nk[:, None]
    return {"weights": w, "rates": rates}, trace


# ----------------------------------------------------------------------------
# Bernoulli mixture
# ----------------------------------------------------------------------------

def fit_bernoulli_mixture(X: np.ndarray, start: dict, n_iter: int):
    """EM for a mixture of K independent-Bernoulli components over d bits.

    log p(x | k) = x . log p_k + (1 - x) . log(1 - p_k)
                 = x . (log p_k - log(1 - p_k)) + sum_j log(1 - p_kj)
    i.e. one (n,d)x(d,K) product per iteration.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    n = X.shape[0]
    w = np.asarray(start["weights"], dtype=np.float64).copy()
    p = np.asarray(start["probabilities"], dtype=np.float64).copy()
    trace = []
    for _ in range(n_iter):
        logp1 = np.log(np.maximum(p, _TINY))
        logp0 = np.log(np.maximum(1.0 - p, _TINY))
        logj = X @ (logp1 - logp0).T
        logj += np.log(w) + logp0.sum(axis=1)
        norm = _log_normalize_rows(logj)
        trace.append(float(norm.sum()))
        resp = logj
        nk = resp.sum(axis=0)
        w = nk / n
        p = (resp.T @ X) / nk[:, None]
    return {"weights": w, "probabilities": p}, trace


# ----------------------------------------------------------------------------
# Regression with missing data = multivariate normal with missing entries
# ----------------------------------------------------------------------------

def regression_to_joint(params: dict) -> tuple[np.ndarray, np.ndarray]:
    """(coefficients, noiseVariance, covariateMean, covariateCovariance) ->
    mean and covariance of the joint normal of z = (x_1..x_p, y)."""
    b = np.asarray(params["coefficients"], dtype=np.float64)
    s2 = float(params["noiseVariance"])
    mx = np.asarray(params["covariateMean"], dtype=np.float64)
    sxx = np.asarray(params["covariateCovariance"], dtype=np.float64)
    beta = b[1:]
    sxy = sxx @ beta
    mu = np.concatenate([mx, [b[0] + beta @ mx]])
    cov = np.block([[sxx, sxy[:, None]], [sxy[None, :], np.array([[beta @ sxy + s2]])]])
    return mu, cov


def joint_to_regression(mu: np.ndarray, cov: np.ndarray) -> dict:
    """Inverse of regression_to_joint: the implied regression of y on x."""
    p = len(mu) - 1
    sxx, sxy, syy = cov[:p, :p], cov[:p, p], cov[p, p]
    beta = np.linalg.solve(sxx, sxy)
    return {"coefficients": np.concatenate([[mu[p] - beta @ mu[:p]], beta]),
            "noiseVariance": float(syy - sxy @ beta),
            "covariateMean": mu[:p].copy(),
            "covariateCovariance": sxx.copy()}


class MissingPatterns:
    """Rows grouped by missingness pattern (done once, before EM)."""

    def __init__(self, Z: np.ndarray):
        Z = np.asarray(Z, dtype=np.float64)
        self.n, self.q = Z.shape
        miss = np.isnan(Z)
        codes = miss @ (1 << np.arange(self.q))
        self.groups = []   # (observed index array, missing index array, Z[rows][:, obs])
        for code in np.unique(codes):
            rows = np.flatnonzero(codes == code)
            m = miss[rows[0]]
            obs_idx, mis_idx = np.flatnonzero(~m), np.flatnonzero(m)
            self.groups.append((obs_idx, mis_idx, np.ascontiguousarray(Z[np.ix_(rows, obs_idx)])))


def fit_mvn_missing(Z: np.ndarray, mu0: np.ndarray, cov0: np.ndarray, n_iter: int,
                    patterns: MissingPatterns | None = None):
    """EM for the mean/covariance of a multivariate normal with entries missing
    at random. Per missingness pattern (O observed, M missing):
        E[z_M | z_O]   = mu_M + S_MO S_OO^-1 (z_O - mu_O)
        Cov[z_M | z_O] = S_MM - S_MO S_OO^-1 S_OM       (same for all rows of the pattern)
    Sufficient statistics sum z and sum z z^T of the completed data (plus the
    conditional covariance in the M block), then mu = T1/n, S = T2/n - mu mu^T.
    The observed-data log-likelihood is summed per pattern in the E-step.
    """
    pats = patterns if patterns is not None else MissingPatterns(Z)
    n, q = pats.n, pats.q
    mu, cov = mu0.astype(np.float64).copy(), cov0.astype(np.float64).copy()
    log2pi = np.log(2.0 * np.pi)
    trace = []
    for _ in range(n_iter):
        t1 = np.zeros(q)
        t2 = np.zeros((q, q))
        ll = 0.0
        for o, m, zo in pats.groups:
            cnt = zo.shape[0]
            if len(o) == 0:                      # nothing observed: z ~ N(mu, S)
                t1 += cnt * mu
                t2 += cnt * (cov + np.outer(mu, mu))
                continue
            soo = cov[np.ix_(o, o)]
            chol = np.linalg.cholesky(soo)
            dev = zo - mu[o]
            # whitened deviations L^-1 (z_O - mu_O): log-likelihood and regression
            wdev = np.linalg.solve(chol, dev.T)                      # (|O|, cnt)
            ll += -0.5 * (cnt * (len(o) * log2pi + 2.0 * np.log(np.diag(chol)).sum())
                          + np.einsum("ij,ij->", wdev, wdev))
            zc = np.empty((cnt, q))
            zc[:, o] = zo
            if len(m):
                smo = cov[np.ix_(m, o)]
                # B = S_MO S_OO^-1 via the Cholesky factor
                b = np.linalg.solve(chol.T, np.linalg.solve(chol, smo.T)).T  # (|M|, |O|)
                zc[:, m] = mu[m] + dev @ b.T
                cmm = cov[np.ix_(m, m)] - b @ smo.T
                t2[np.ix_(m, m)] += cnt * cmm
            t1 += zc.sum(axis=0)
            t2 += zc.T @ zc
        trace.append(float(ll))
        mu = t1 / n
        cov = t2 / n - np.outer(mu, mu)
        cov = 0.5 * (cov + cov.T)
    return mu, cov, trace


def fit_missing_regression(Z: np.ndarray, start: dict, n_iter: int):
    """Regression y ~ x with MCAR entries in x and y: EM on the joint normal of
    (x, y) (columns of Z: covariates then response), then the implied
    regression coefficients. Pattern grouping is part of the fit (setup)."""
    mu0, cov0 = regression_to_joint(start)
    patterns = MissingPatterns(Z)
    mu, cov, trace = fit_mvn_missing(Z, mu0, cov0, n_iter, patterns)
    return joint_to_regression(mu, cov), trace
