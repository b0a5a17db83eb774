// Baum–Welch's E step (scaled forward–backward) and Viterbi decoding.
//
// Scaling (Rabiner 1989, §V.A): α̂_t = α_t / (c_0⋯c_t) sums to one, β̂_t is scaled by the
// same constants, so γ_t = α̂_t ∘ β̂_t and ξ_t(i,j) = α̂_t(i) A_ij b_{t+1}(j) β̂_{t+1}(j) / c_{t+1};
// log P = Σ_t log c_t. Emissions are shifted by their row maximum before exponentiation,
// and the shift is added back to the log-likelihood, so no step underflows.
#include "CKernels.h"
#include "../internal.h"
#include "../vmath.h"

#include <math.h>

/// Emission rows to scaled densities b_t(k) = exp(log b_t(k) − max_k log b_t(k)), all T rows
/// in one vectorised pass; returns Σ_t max_k log b_t(k) (−infinity when some step is impossible
/// in every state, NaN for a NaN density). Terms below e⁻⁷⁰⁰ of their row's largest are 0.
static double scale_emissions(double *logb, size_t T, size_t K) {
  double shift = 0;
  for (size_t t = 0; t < T; t++) {
    double *row = logb + t * K;
    double m = -INFINITY;
    for (size_t k = 0; k < K; k++) {
      if (row[k] != row[k]) return NAN;
      m = row[k] > m ? row[k] : m;
    }
    if (!(m > -INFINITY)) return -INFINITY;
    shift += m;
    for (size_t k = 0; k < K; k++) row[k] -= m;
  }
  const size_t count = T * K;
  EMZ_SIMD
  for (size_t e = 0; e < count; e++) logb[e] = emz_exp_floored(logb[e]);
  return shift;
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

enum { EMZ_HMM_MAX_STATES = 64 };

/// Eight doubles: with at most 8 states one vector holds a whole state distribution, so the
/// recursions keep it in a register instead of round-tripping through memory each step.
typedef double v8s __attribute__((vector_size(64)));

// The helpers take vectors by pointer: a 64-byte vector passed by value would change the
// calling convention with the instruction set (AVX-512 or not: -Wpsabi).
static inline void load_states(v8s *v, const double *p, size_t K) {
  *v = (v8s){0};
  for (size_t k = 0; k < K; k++) (*v)[k] = p[k];
}

static inline void store_states(double *p, const v8s *v, size_t K) {
  for (size_t k = 0; k < K; k++) p[k] = (*v)[k];
}

static inline double sum_states(const v8s *v) {
  return (((*v)[0] + (*v)[4]) + ((*v)[1] + (*v)[5])) + (((*v)[2] + (*v)[6]) + ((*v)[3] + (*v)[7]));
}

/// `emz_hmm_forward_backward` for K ≤ 8 (same recursions, same scaling; emissions already scaled).
static double forward_backward_small(size_t T, size_t K, double *logb, const double *initial,
                                     const double *transition, double *alpha, double *scale,
                                     double *init_acc, double *trans_acc, double loglik) {
  v8s rows[8], columns[8], outer[8];
  for (size_t i = 0; i < 8; i++) {
    rows[i] = (v8s){0};
    columns[i] = (v8s){0};
    outer[i] = (v8s){0};
  }
  for (size_t i = 0; i < K; i++)
    for (size_t j = 0; j < K; j++) {
      rows[i][j] = transition[i * K + j];     // A_i·
      columns[j][i] = transition[i * K + j];  // A_·j
    }
  double product = 1;
  v8s a, b;
  load_states(&a, initial, K);
  load_states(&b, logb, K);
  a *= b;
  double c = sum_states(&a);
  if (!(c > 0)) return -INFINITY;
  scale[0] = c;
  a *= 1.0 / c;
  store_states(alpha, &a, K);
  emz_add_log(c, &product, &loglik);
  for (size_t t = 1; t < T; t++) {
    v8s next = {0};
    for (size_t i = 0; i < K; i++) next += a[i] * rows[i];
    load_states(&b, logb + t * K, K);
    next *= b;
    c = sum_states(&next);
    if (!(c > 0)) return -INFINITY;
    scale[t] = c;
    a = next * (1.0 / c);
    store_states(alpha + t * K, &a, K);
    emz_add_log(c, &product, &loglik);
  }
  loglik += log(product);
  v8s beta = {0};
  for (size_t k = 0; k < K; k++) beta[k] = 1;
  for (size_t t = T - 1; t > 0; t--) {
    v8s u, prev, cur;
    load_states(&u, logb + t * K, K);
    u = u * beta * (1.0 / scale[t]);
    load_states(&prev, alpha + (t - 1) * K, K);
    for (size_t i = 0; i < K; i++) outer[i] += prev[i] * u;
    v8s next = {0};
    for (size_t j = 0; j < K; j++) next += u[j] * columns[j];
    load_states(&cur, alpha + t * K, K);
    cur *= beta;
    store_states(logb + t * K, &cur, K);
    beta = next;
  }
  for (size_t i = 0; i < K; i++)
    for (size_t j = 0; j < K; j++) trans_acc[i * K + j] += transition[i * K + j] * outer[i][j];
  for (size_t k = 0; k < K; k++) {
    logb[k] = alpha[k] * beta[k];
    init_acc[k] += logb[k];
  }
  return loglik;
}

static double EMZ_FN(hmm_forward_backward_densities)(size_t T, size_t K, double *b,
                                                     const double *initial,
                                                     const double *transition, double *alpha,
                                                     double *scale, double *work,
                                                     double *init_acc, double *trans_acc);

static double EMZ_FN(hmm_forward_backward)(size_t T, size_t K, double *logb, const double *initial,
                                           const double *transition, double *alpha, double *scale,
                                           double *work, double *init_acc, double *trans_acc) {
  if (T == 0) return 0;
  double shift = scale_emissions(logb, T, K);
  if (!(shift > -INFINITY) || shift != shift) return shift;
  return shift + EMZ_FN(hmm_forward_backward_densities)(T, K, logb, initial, transition, alpha,
                                                       scale, work, init_acc, trans_acc);
}

static double EMZ_FN(hmm_forward_backward_densities)(size_t T, size_t K, double *b,
                                                     const double *initial,
                                                     const double *transition, double *alpha,
                                                     double *scale, double *work,
                                                     double *init_acc, double *trans_acc) {
  if (T == 0) return 0;
  double *logb = b;  // the emission densities, overwritten with γ
  double loglik = 0, product = 1;
  if (K <= 8)
    return forward_backward_small(T, K, logb, initial, transition, alpha, scale, init_acc, trans_acc, loglik);
  // Forward: α̂_t = (α̂_{t−1} A) ∘ b_t / c_t.
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
    const double *b = logb + t * K;
    EMZ_SIMD
    for (size_t j = 0; j < K; j++) cur[j] = 0;
    for (size_t i = 0; i < K; i++) {
      const double a = prev[i], *Ai = transition + i * K;
      EMZ_SIMD
      for (size_t j = 0; j < K; j++) cur[j] += a * Ai[j];
    }
    c = 0;
    EMZ_SIMD
    for (size_t j = 0; j < K; j++) {
      cur[j] *= b[j];
      c += cur[j];
    }
    if (!(c > 0)) return -INFINITY;
    scale[t] = c;
    const double inv = 1.0 / c;
    EMZ_SIMD
    for (size_t j = 0; j < K; j++) cur[j] *= inv;
    emz_add_log(c, &product, &loglik);
  }
  loglik += log(product);
  // Backward, writing γ over the emission rows as they are used up. With u_t(j) =
  // b_{t+1}(j) β̂_{t+1}(j) / c_{t+1}: β̂_t = A u_t, and Σ_t ξ_t(i,j) = A_ij Σ_t α̂_t(i) u_t(j), so
  // the sum of outer products α̂_t u_tᵀ is kept and multiplied by A once at the end.
  double *beta = work, *u = work + K, *next = work + 2 * K;
  double outer[EMZ_HMM_MAX_STATES * EMZ_HMM_MAX_STATES];
  double transposed[EMZ_HMM_MAX_STATES * EMZ_HMM_MAX_STATES];
  const int small = K <= EMZ_HMM_MAX_STATES;
  if (small) {
    for (size_t e = 0; e < K * K; e++) outer[e] = 0;
    for (size_t i = 0; i < K; i++)
      for (size_t j = 0; j < K; j++) transposed[j * K + i] = transition[i * K + j];
  }
  for (size_t k = 0; k < K; k++) beta[k] = 1.0;
  for (size_t t = T - 1; t > 0; t--) {
    double *b = logb + t * K;
    const double inv = 1.0 / scale[t];
    EMZ_SIMD
    for (size_t j = 0; j < K; j++) u[j] = b[j] * beta[j] * inv;
    const double *a_prev = alpha + (t - 1) * K;
    if (small) {
      for (size_t i = 0; i < K; i++) {
        const double ai = a_prev[i];
        double *Oi = outer + i * K;
        EMZ_SIMD
        for (size_t j = 0; j < K; j++) Oi[j] += ai * u[j];
      }
      EMZ_SIMD
      for (size_t i = 0; i < K; i++) next[i] = 0;
      for (size_t j = 0; j < K; j++) {
        const double uj = u[j], *Tj = transposed + j * K;
        EMZ_SIMD
        for (size_t i = 0; i < K; i++) next[i] += Tj[i] * uj;
      }
    } else {
      for (size_t i = 0; i < K; i++) {
        const double *Ai = transition + i * K;
        double *Xi = trans_acc + i * K;
        double ai = a_prev[i], s = 0;
        for (size_t j = 0; j < K; j++) {
          double v = Ai[j] * u[j];
          Xi[j] += ai * v;
          s += v;
        }
        next[i] = s;
      }
    }
    const double *a_t = alpha + t * K;
    EMZ_SIMD
    for (size_t k = 0; k < K; k++) b[k] = a_t[k] * beta[k];
    double *swap = beta;
    beta = next;
    next = swap;
  }
  if (small)
    for (size_t e = 0; e < K * K; e++) trans_acc[e] += transition[e] * outer[e];
  for (size_t k = 0; k < K; k++) {
    logb[k] = alpha[k] * beta[k];
    init_acc[k] += logb[k];
  }
  return loglik;
}

static double EMZ_FN(hmm_viterbi)(size_t T, size_t K, const double *logb, const double *log_initial,
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
