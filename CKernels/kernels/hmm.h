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
static inline __attribute__((always_inline)) double scale_emissions_k(double *logb, size_t T,
                                                                        const size_t K) {
  // Row maxima without early exits (K a constant: unrolled), so the row loop runs branch-free;
  // NaN and all-impossible rows are flagged and reported after the pass.
  double shift = 0;
  int nan = 0, impossible = 0;
  for (size_t t = 0; t < T; t++) {
    double *row = logb + t * K;
    double m = row[0];
    for (size_t k = 0; k < K; k++) {
      nan |= row[k] != row[k];
      m = row[k] > m ? row[k] : m;
    }
    impossible |= !(m > -INFINITY);
    shift += m;
    for (size_t k = 0; k < K; k++) row[k] -= m;
  }
  if (nan) return NAN;
  if (impossible) return -INFINITY;
  const size_t count = T * K;
  EMZ_SIMD
  for (size_t e = 0; e < count; e++) logb[e] = emz_exp_floored(logb[e]);
  return shift;
}

static double scale_emissions(double *logb, size_t T, size_t K) {
  switch (K) {
    case 1: return scale_emissions_k(logb, T, 1);
    case 2: return scale_emissions_k(logb, T, 2);
    case 3: return scale_emissions_k(logb, T, 3);
    case 4: return scale_emissions_k(logb, T, 4);
    case 5: return scale_emissions_k(logb, T, 5);
    case 6: return scale_emissions_k(logb, T, 6);
    case 7: return scale_emissions_k(logb, T, 7);
    case 8: return scale_emissions_k(logb, T, 8);
    default: return K == 0 ? -INFINITY : scale_emissions_k(logb, T, K);
  }
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

/// Σ_i a[i] · m[i] over the first K of the 8-lane vectors m (K a constant after inlining), as
/// four independent chains of at most two products, added pairwise: the latency of a step is
/// two FMAs and two adds instead of K dependent FMAs.
static inline __attribute__((always_inline)) void combine_states(v8s *out, const v8s *a,
                                                                 const v8s *m, size_t K) {
  v8s p[4];
  for (size_t i = 0; i < 4; i++) p[i] = i < K ? (*a)[i] * m[i] : (v8s){0};
  for (size_t i = 4; i < K; i++) p[i - 4] += (*a)[i] * m[i];
  *out = (p[0] + p[1]) + (p[2] + p[3]);
}

typedef int64_t v8i __attribute__((vector_size(64)));

/// The largest of the states' values (all ≥ 0, padding lanes 0) in every lane: for
/// non-negative doubles the bit patterns order as the values, so an integer maximum over three
/// lane swaps finds it, a shorter chain than a floating-point sum.
static inline void max_state(v8i *out, const v8s *v) {
  v8i m = (v8i)(*v);
  m = __builtin_elementwise_max(m, __builtin_shufflevector(m, m, 4, 5, 6, 7, 0, 1, 2, 3));
  m = __builtin_elementwise_max(m, __builtin_shufflevector(m, m, 2, 3, 0, 1, 6, 7, 4, 5));
  *out = __builtin_elementwise_max(m, __builtin_shufflevector(m, m, 1, 0, 3, 2, 5, 4, 7, 6));
}

/// In every lane, 2^−e and e + 1023 for the e with m·2^−e in [1, 2), from the bits of a
/// positive m (`max_state`); e ≥ −1022, so a subnormal m is scaled by 2^1022 only. All in vector
/// registers: exact powers of two, no division, no trip through a general-purpose register.
static inline void inverse_power_of_two_lanes(v8s *inverse, v8i *biased, const v8i *m) {
  v8i e = (*m >> 52) & 0x7ff;
  e = __builtin_elementwise_max(e, (v8i){1, 1, 1, 1, 1, 1, 1, 1});
  *biased = e;
  *inverse = (v8s)((2046 - e) << 52);
}

/// 2^−e for the e with s·2^−e in [1, 2), for a positive finite s; e ≥ −1022, so a subnormal s
/// is scaled by 2^1022 only. Exact: a power of two, built from s's exponent bits.
static inline double emz_inverse_power_of_two(double s, int64_t *e) {
  int64_t biased = (int64_t)((emz_bits(s) >> 52) & 0x7ff);
  if (biased == 0) biased = 1;  // subnormal: scale as if s were 2^−1022
  *e = biased - 1023;
  return emz_from_bits((uint64_t)(2046 - biased) << 52);
}

/// `emz_hmm_forward_backward` for K ≤ 8 states (a compile-time constant after inlining): one
/// 8-lane vector holds a whole state distribution and the recursions stay in registers.
///
/// Scaling, chosen to keep the forward recursion's dependency chain short: α̃_t =
/// (α̃_{t−1} A ∘ b_t) · 2^−e_t, where 2^e_t is the power of two just below max_k α̃_{t−1}(k)
/// (the PREVIOUS step's largest value, which the processor finds while this step's product
/// runs, and a power of two: exact, no division). Since the rows of A sum to one and b ≤ 1
/// after the row shift (any positive b for the densities entry point: then the bound scales
/// with b), Σ α̃_t ≤ Σ α̃_{t−1} 2^−e_t < 2K, and α̃_t only shrinks by one step's likelihood
/// ratio before it is rescaled. With S = Σ_k α̃_{T−1}(k), P = S · 2^(Σ_t e_t), so
/// log P = (Σ_t e_t) log 2 + log S (an integer sum: no per-step logarithm), and the backward
/// variables β̂_{T−1} = 1/S, β̂_t = A (b_{t+1} ∘ β̂_{t+1}) 2^−e_{t+1} give γ_t = α̃_t ∘ β̂_t and
/// ξ_t(i, j) = α̃_t(i) A_ij b_{t+1}(j) β̂_{t+1}(j) 2^−e_{t+1}, the same posteriors as Rabiner's
/// per-step normalisation (which divides by Σ α at every step, on the chain).
/// `scale[t]` receives 2^−e_t.
static inline __attribute__((always_inline)) double
forward_backward_states(size_t T, const size_t K, double *logb, const double *initial,
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
  int64_t exponents = 0, e;
  v8s a, b;
  load_states(&a, initial, K);
  load_states(&b, logb, K);
  a *= b;
  double s = sum_states(&a);
  if (!(s > 0)) return -INFINITY;
  scale[0] = emz_inverse_power_of_two(s, &e);
  exponents += e;
  a *= scale[0];
  store_states(alpha, &a, K);
  for (size_t t = 1; t < T; t++) {
    v8i m, biased;
    max_state(&m, &a);  // of α̃_{t−1}: off the chain of the product below
    if (m[0] <= 0 || m[0] >= 0x7ff0000000000000) return -INFINITY;  // all 0 (impossible), or ∞/NaN
    v8s inv;
    inverse_power_of_two_lanes(&inv, &biased, &m);
    exponents += biased[0] - 1023;
    scale[t] = inv[0];
    v8s next;
    combine_states(&next, &a, rows, K);
    load_states(&b, logb + t * K, K);
    a = next * (b * inv);
    store_states(alpha + t * K, &a, K);
  }
  s = sum_states(&a);
  if (!(s > 0)) return -INFINITY;
  loglik += (double)exponents * 0x1.62e42fefa39efp-1 + log(s);
  v8s beta = {0};
  for (size_t k = 0; k < K; k++) beta[k] = 1.0 / s;
  for (size_t t = T - 1; t > 0; t--) {
    v8s u, cur;
    load_states(&u, logb + t * K, K);
    u = beta * (u * scale[t]);
    // α̃_{t−1}(i) broadcast straight from memory (a load, not a lane shuffle: the shuffle unit
    // is busy with the recursion's own broadcasts).
    const double *prev = alpha + (t - 1) * K;
    for (size_t i = 0; i < K; i++) outer[i] += prev[i] * u;
    v8s next;
    combine_states(&next, &u, columns, K);
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

/// `forward_backward_states` with K ≤ 8 made a constant, so every state loop is unrolled.
static double forward_backward_small(size_t T, size_t K, double *logb, const double *initial,
                                     const double *transition, double *alpha, double *scale,
                                     double *init_acc, double *trans_acc, double loglik) {
#define EMZ_FB_CASE(k) \
  case k: return forward_backward_states(T, k, logb, initial, transition, alpha, scale, init_acc, trans_acc, loglik);
  switch (K) {
    case 0: return -INFINITY;  // no state can emit anything
    EMZ_FB_CASE(1) EMZ_FB_CASE(2) EMZ_FB_CASE(3) EMZ_FB_CASE(4)
    EMZ_FB_CASE(5) EMZ_FB_CASE(6) EMZ_FB_CASE(7)
    default: return forward_backward_states(T, 8, logb, initial, transition, alpha, scale, init_acc, trans_acc, loglik);
  }
#undef EMZ_FB_CASE
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
