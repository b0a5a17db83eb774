"""Reference numbers for Tests/EMZooTests/PredictTests.swift, from scikit-learn and hmmlearn.

Fixed parameters and data (no fitting): scikit-learn's GaussianMixture `predict`,
`predict_proba`, `score_samples` and hmmlearn's GaussianHMM `predict`, `predict_proba`,
`score` and `decode` (the Viterbi path's log probability). Run with

    python3 bench/crosscheck_predict.py

and paste the printed literals into the test (done for scikit-learn 1.9.1, hmmlearn 0.3.3).
"""
import numpy as np
from sklearn.mixture import GaussianMixture
from hmmlearn.hmm import GaussianHMM


def literal(name, values):
    flat = np.asarray(values, dtype=float).ravel()
    print(f"let {name}: [Double] = [" + ", ".join(repr(float(v)) for v in flat) + "]")


# --- Gaussian mixture, K = 2, d = 2, full covariances ---------------------------------------
weights = np.array([0.3, 0.7])
means = np.array([[0.0, 0.0], [3.0, 1.0]])
covariances = np.array([[[1.0, 0.3], [0.3, 2.0]], [[1.5, -0.4], [-0.4, 0.8]]])
X = np.array([[0.1, -0.2], [2.9, 1.1], [1.5, 0.5], [-1.0, 2.0], [4.0, 0.0], [1.2, 0.9]])
gmm = GaussianMixture(n_components=2, covariance_type="full")
gmm.weights_, gmm.means_, gmm.covariances_ = weights, means, covariances
gmm.precisions_cholesky_ = np.array([np.linalg.cholesky(np.linalg.inv(c)) for c in covariances])
print("// GaussianMixture(full).predict / predict_proba / score_samples")
print("let gmmLabels = [" + ", ".join(str(int(v)) for v in gmm.predict(X)) + "]")
literal("gmmProbabilities", gmm.predict_proba(X))
literal("gmmLogLikelihoods", gmm.score_samples(X))

# --- Gaussian HMM, K = 2, d = 1, two sequences (4 and 3 rows) -------------------------------
hmm = GaussianHMM(n_components=2, covariance_type="full")
hmm.startprob_ = np.array([0.6, 0.4])
hmm.transmat_ = np.array([[0.8, 0.2], [0.3, 0.7]])
hmm.means_ = np.array([[0.0], [2.5]])
hmm.covars_ = np.array([[[1.0]], [[0.5]]])
Y = np.array([[0.2], [-0.5], [2.4], [2.9], [1.3], [0.1], [3.1]])
lengths = [4, 3]
print("// GaussianHMM.predict / predict_proba / score per sequence / decode (Viterbi log p(path, x))")
print("let hmmViterbi = [" + ", ".join(str(int(v)) for v in hmm.predict(Y, lengths)) + "]")
literal("hmmPosteriors", hmm.predict_proba(Y, lengths))
literal("hmmSequenceLogLikelihoods", [hmm.score(Y[:4]), hmm.score(Y[4:])])
literal("hmmViterbiLogJoint", [hmm.decode(Y[:4])[0], hmm.decode(Y[4:])[0]])
