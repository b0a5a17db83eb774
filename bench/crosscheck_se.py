#!/usr/bin/env python3
"""Independent check of emzoo's standardErrors: fit with emzoo, then recompute the observed
information by a numerical Hessian of a log-likelihood written here (numpy/scipy), in the
same unconstrained coordinates, and carry it to the parameters by the delta method.
Usage: bench/crosscheck_se.py [path/to/emzoo]"""
import json, subprocess, sys, tempfile, os
import numpy as np
from scipy.special import gammaln, logsumexp
from scipy.stats import multivariate_normal

EMZOO = sys.argv[1] if len(sys.argv) > 1 else ".build/release/emzoo"

def run(spec, n, seed=3):
    d = tempfile.mkdtemp()
    sp = os.path.join(d, "s.json"); open(sp, "w").write(json.dumps(spec))
    csv = os.path.join(d, "x.csv")
    subprocess.run([EMZOO, "sample", sp, "--n", str(n), "--seed", str(seed), "--output", csv], check=True)
    out = subprocess.run([EMZOO, "fit", sp, "--data", csv, "--quiet", "--tolerance", "1e-12"], check=True,
                         capture_output=True, text=True).stdout
    data = np.genfromtxt(csv, delimiter=",", names=True)
    return json.loads(out), data

def hessian(f, c, h):
    m = len(c); H = np.zeros((m, m))
    for a in range(m):
        for b in range(a + 1):
            def at(sa, sb):
                x = c.copy(); x[a] += sa * h[a]; x[b] += sb * h[b]; return f(x)
            H[a, b] = H[b, a] = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h[a] * h[b])
    return H

def ses(f, to_params, c):
    h = 1e-4 * np.maximum(1, np.abs(c))
    cov = np.linalg.inv(-hessian(f, c, h))
    J = np.array([(to_params(c + h[a] * np.eye(len(c))[a]) - to_params(c - h[a] * np.eye(len(c))[a])) / (2 * h[a])
                  for a in range(len(c))]).T
    return np.sqrt(np.maximum(np.diag(J @ cov @ J.T), 0))

def simplex(c): e = np.exp(np.append(c, 0.0)); return e / e.sum()
def logratio(p): return np.log(p[:-1]) - np.log(p[-1])
def flat(v): return np.array(v, dtype=float).ravel()

def compare(name, mine, theirs):
    mine = np.array([np.nan if v is None else v for v in mine], dtype=float)
    rel = np.nanmax(np.abs(mine - theirs) / np.maximum(np.abs(theirs), 1e-300))
    print(f"{name:28s} entries {len(theirs):3d}  max relative difference {rel:.2e}  {'OK' if rel < 1e-4 else 'MISMATCH'}")
    return rel < 1e-4

ok = True
# Poisson mixture, 2 components, 2 columns.
r, data = run({"model": "poisson-mixture", "options": {"components": 2},
               "parameters": {"weights": [0.4, 0.6], "rates": [[2, 7], [9, 1]]}}, 2000)
X = np.column_stack([data[n] for n in data.dtype.names])
K, d = 2, X.shape[1]
def pm_params(c): return np.concatenate([simplex(c[:K-1]), np.exp(c[K-1:])])
def pm_ll(c):
    w = simplex(c[:K-1]); lam = np.exp(c[K-1:]).reshape(K, d)
    lp = (X[:, None, :] * np.log(lam)[None] - lam[None] - gammaln(X + 1)[:, None, :]).sum(2) + np.log(w)
    return logsumexp(lp, axis=1).sum()
p = r["parameters"]; c = np.concatenate([logratio(np.array(p["weights"])), np.log(flat(p["rates"]))])
se = r["standardErrors"]
ok &= compare("poisson-mixture", flat(se["weights"]).tolist() + flat(se["rates"]).tolist(), ses(pm_ll, pm_params, c))

# Bernoulli mixture, 2 components, 4 columns.
r, data = run({"model": "bernoulli-mixture", "options": {"components": 2},
               "parameters": {"weights": [0.3, 0.7], "probabilities": [[0.9, 0.8, 0.2, 0.3], [0.2, 0.3, 0.7, 0.6]]}}, 3000)
X = np.column_stack([data[n] for n in data.dtype.names]); d = X.shape[1]
def bm_params(c): return np.concatenate([simplex(c[:1]), 1 / (1 + np.exp(-c[1:]))])
def bm_ll(c):
    w = simplex(c[:1]); q = (1 / (1 + np.exp(-c[1:]))).reshape(2, d)
    lp = (X[:, None, :] * np.log(q)[None] + (1 - X[:, None, :]) * np.log1p(-q)[None]).sum(2) + np.log(w)
    return logsumexp(lp, axis=1).sum()
p = r["parameters"]; q = flat(p["probabilities"])
c = np.concatenate([logratio(np.array(p["weights"])), np.log(q) - np.log1p(-q)])
se = r["standardErrors"]
ok &= compare("bernoulli-mixture", flat(se["weights"]).tolist() + flat(se["probabilities"]).tolist(), ses(bm_ll, bm_params, c))

# Gaussian mixture, full covariances, 2-D.
r, data = run({"model": "gaussian-mixture", "options": {"components": 2, "covariance": "full"},
               "parameters": {"weights": [0.4, 0.6], "means": [[0, 0], [4, 3]],
                              "covariances": [[[1, 0.3], [0.3, 1]], [[2, -0.5], [-0.5, 1]]]}}, 2000)
X = np.column_stack([data[n] for n in data.dtype.names])
def chol_coords(S):
    L = np.linalg.cholesky(S); return [L[0, 0] and np.log(L[0, 0]), L[1, 0], np.log(L[1, 1])]
def chol_matrix(v):
    L = np.array([[np.exp(v[0]), 0], [v[1], np.exp(v[2])]]); return L @ L.T
def g_unpack(c):
    w = simplex(c[:1]); mu = c[1:5].reshape(2, 2); S = [chol_matrix(c[5:8]), chol_matrix(c[8:11])]
    return w, mu, S
def g_params(c):
    w, mu, S = g_unpack(c); return np.concatenate([w, mu.ravel(), S[0].ravel(), S[1].ravel()])
def g_ll(c):
    w, mu, S = g_unpack(c)
    lp = np.column_stack([multivariate_normal.logpdf(X, mu[k], S[k]) + np.log(w[k]) for k in range(2)])
    return logsumexp(lp, axis=1).sum()
p = r["parameters"]
c = np.concatenate([logratio(np.array(p["weights"])), flat(p["means"])] +
                   [chol_coords(np.array(S)) for S in p["covariances"]])
se = r["standardErrors"]
ok &= compare("gaussian-mixture full", flat(se["weights"]).tolist() + flat(se["means"]).tolist()
              + flat(se["covariances"]).tolist(), ses(g_ll, g_params, c))
print("all agree to 1e-4" if ok else "SOME DIFFER")
sys.exit(0 if ok else 1)
