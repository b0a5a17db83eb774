// Baum–Welch's E step (scaled forward–backward) and Viterbi decoding.
//
// Scaling (Rabiner 1989, §V.A): α̂_t = α_t / (c_0⋯c_t) sums to one, β̂_t is scaled by the
// same constants, so γ_t = α̂_t ∘ β̂_t and ξ_t(i,j) = α̂_t(i) A_ij b_{t+1}(j) β̂_{t+1}(j) / c_{t+1};
// log P = Σ_t log c_t. Emissions are shifted by their row maximum before exponentiation,
// and the shift is added back to the log-likelihood, so no step underflows.
#include "CKernels.h"

#include <math.h>

/// Emission row t to scaled densities b_t(k) = exp(log b_t(k) − max_k log b_t(k)); returns the
/// shift (−infinity when every state is impossible, NaN for a NaN density).
static inline double emz_scale_emissions(double *row, size_t K) {
  double m = -INFINITY;
  for (size_t k = 0; k < K; k++) {
    if (row[k] != row[k]) return NAN;
    if (row[k] > m) m = row[k];
  }
  if (!(m > -INFINITY)) return -INFINITY;
  for (size_t k = 0; k < K; k++) row[k] = exp(row[k] - m);
  return m;
}

/// Adds log c to the log-likelihood through a running product, so a log is taken once every
/// few hundred steps instead of at every step. Each factor c ≥ 2⁻⁴⁰⁰ is multiplied into a
/// product kept ≥ 2⁻⁴⁰⁰, so the product never leaves the normal range; smaller c go in directly.
static inline void emz_add_log(double c, double *product, double *loglik) {
  if (c < 0x1p-400) {
    *loglik += log(c);
    return;
  }
  *product *= c;
  if (*product < 0x1p-400) {
    *loglik += log(*product);
    *product = 1;
  }
}

double emz_hmm_forward_backward(size_t T, size_t K, double *logb, const double *initial,
                                const double *transition, double *alpha, double *scale,
                                double *work, double *init_acc, double *trans_acc) {
  if (T == 0) return 0;
  double loglik = 0, product = 1;
  // Forward, turning each emission row into scaled densities just before it is used.
  double m = emz_scale_emissions(logb, K);
  if (!(m > -INFINITY)) return m;
  loglik += m;
  double c = 0;
  for (size_t k = 0; k < K; k++) {
    alpha[k] = initial[k] * logb[k];
    c += alpha[k];
  }
  if (!(c > 0)) return -INFINITY;
  scale[0] = c;
  for (size_t k = 0; k < K; k++) alpha[k] /= c;
  emz_add_log(c, &product, &loglik);
  for (size_t t = 1; t < T; t++) {
    const double *prev = alpha + (t - 1) * K;
    double *cur = alpha + t * K;
    double *b = logb + t * K;
    m = emz_scale_emissions(b, K);
    if (!(m > -INFINITY)) return m;
    loglik += m;
    for (size_t j = 0; j < K; j++) cur[j] = 0;
    for (size_t i = 0; i < K; i++) {
      double a = prev[i];
      const double *Ai = transition + i * K;
      for (size_t j = 0; j < K; j++) cur[j] += a * Ai[j];
    }
    c = 0;
    for (size_t j = 0; j < K; j++) {
      cur[j] *= b[j];
      c += cur[j];
    }
    if (!(c > 0)) return -INFINITY;
    scale[t] = c;
    double inv = 1.0 / c;
    for (size_t j = 0; j < K; j++) cur[j] *= inv;
    emz_add_log(c, &product, &loglik);
  }
  loglik += log(product);
  // Backward, writing γ over the emission rows as they are used up.
  double *beta = work, *tmp = work + K, *next = work + 2 * K;
  for (size_t k = 0; k < K; k++) beta[k] = 1.0;
  for (size_t t = T - 1; t > 0; t--) {
    double *b = logb + t * K;
    double inv = 1.0 / scale[t];
    for (size_t j = 0; j < K; j++) tmp[j] = b[j] * beta[j] * inv;
    const double *a_prev = alpha + (t - 1) * K;
    for (size_t i = 0; i < K; i++) {
      const double *Ai = transition + i * K;
      double *Xi = trans_acc + i * K;
      double ai = a_prev[i], s = 0;
      for (size_t j = 0; j < K; j++) {
        double v = Ai[j] * tmp[j];
        Xi[j] += ai * v;
        s += v;
      }
      next[i] = s;
    }
    const double *a_t = alpha + t * K;
    for (size_t k = 0; k < K; k++) b[k] = a_t[k] * beta[k];
    double *swap = beta;
    beta = next;
    next = swap;
  }
  for (size_t k = 0; k < K; k++) {
    logb[k] = alpha[k] * beta[k];
    init_acc[k] += logb[k];
  }
  return loglik;
}

double emz_hmm_viterbi(size_t T, size_t K, const double *logb, const double *log_initial,
                       const double *log_transition, double *delta, int32_t *back,
                       int32_t *path) {
  if (T == 0) return 0;
  double *cur = delta, *nxt = delta + K;
  for (size_t k = 0; k < K; k++) cur[k] = log_initial[k] + logb[k];
  for (size_t t = 1; t < T; t++) {
    for (size_t j = 0; j < K; j++) {
      double best = -INFINITY;
      int32_t arg = 0;
      for (size_t i = 0; i < K; i++) {
        double v = cur[i] + log_transition[i * K + j];
        if (v > best) { best = v; arg = (int32_t)i; }
      }
      nxt[j] = best + logb[t * K + j];
      back[t * K + j] = arg;
    }
    double *swap = cur; cur = nxt; nxt = swap;
  }
  double best = -INFINITY;
  int32_t arg = 0;
  for (size_t k = 0; k < K; k++)
    if (cur[k] > best) { best = cur[k]; arg = (int32_t)k; }
  path[T - 1] = arg;
  for (size_t t = T - 1; t > 0; t--) path[t - 1] = back[t * K + path[t]];
  return best;
}
