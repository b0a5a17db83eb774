// The E step of an HMM with full-covariance Gaussian emissions, fused with the scaled
// forward–backward of hmm.h, for K ≤ 8 states and d ≤ 8 coordinates.
//
// The separate path makes four passes over a sequence: the emission log-densities (rows
// transposed into blocks, then scattered back to rows × K), their row shift and exp, the
// forward–backward recursions, and the weighted statistics (rows transposed again, weights
// gathered). The recursions are a chain of dependent vector operations (~20 cycles a step
// of latency) that leaves most of the processor idle. Here the states are the lanes of one
// 8-double vector throughout, so a row's emission work is a handful of vector operations
// over all states at once, done *inside* the recursion's loop:
//
//   forward, step t:  log b_t(k) = c_k − ½‖L_k⁻¹(x_t − μ_k)‖² for every k (d(d+1)/2 FMAs),
//                     m_t = max_k log b_t(k), b̃_t = exp(log b_t − m_t), then α̃_t from α̃_{t−1};
//   backward, step t: γ_t = α̃_t ∘ β̂_t, and the statistics of row t weighted by γ_t (every
//                     state at once: Σγ, Σγ(x − μ), Σγ(x − μ)(x − μ)ᵀ, lower triangle).
//
// The emission work does not depend on the chain, so the processor overlaps it with the
// chain's latency instead of making separate passes. The formulas and their order are the
// separate kernels' (block_logpdf_full, scale_emissions_k, forward_backward_states,
// block_accumulate_full); only the order in which the statistics are summed differs (row by
// row over the sequence instead of per 64-row block).
#include "CKernels.h"
#include "../internal.h"
#include "../vmath8.h"
#include "hmm_fused.h"

#include <math.h>

/// Every state's log N(x | μ_k, Σ_k) for one row: c_k − ½‖L_k⁻¹(x − μ_k)‖² with the factor's
/// rows packed as M[j(j+1)/2 + l] (l ≤ j), summed in block_logpdf_full's order.
static inline __attribute__((always_inline)) void
gaussian_row_states(emz_v8 *out, const double *x, const size_t D, const emz_v8 *mu,
                    const emz_v8 *M, const emz_v8 *c) {
  emz_v8 e[8], q = emz_v8_splat(0.0);
  for (size_t l = 0; l < D; l++) e[l] = x[l] - mu[l];
  for (size_t j = 0; j < D; j++) {
    emz_v8 z = emz_v8_splat(0.0);
    for (size_t l = 0; l <= j; l++) z += M[j * (j + 1) / 2 + l] * e[l];
    q += z * z;
  }
  *out = *c - 0.5 * q;
}

/// `emz_hmm_estep_gaussian_full` with d a compile-time constant (D ≤ 8, unrolled).
static inline __attribute__((always_inline)) double
hmm_gaussian_full_states(size_t T, const size_t D, size_t K, const double *x,
                         const double *means, const double *inv_chols, const double *log_consts,
                         const double *initial, const double *transition, double *b,
                         double *alpha, double *scale, double *init_acc, double *trans_acc,
                         double *stats) {
  // Parameters as state vectors; lanes k ≥ K are padding: log-density −∞ (so b̃ = 0 there),
  // no transitions, and they are never written back.
  emz_v8 mu[8], M[36], c = emz_v8_splat(-INFINITY);
  v8s rows[8], columns[8], outer[8];
  fused_transition_vectors(rows, columns, outer, transition, K);
  for (size_t i = 0; i < 8; i++) mu[i] = emz_v8_splat(0.0);
  for (size_t i = 0; i < 36; i++) M[i] = emz_v8_splat(0.0);
  for (size_t k = 0; k < K; k++) {
    c[k] = log_consts[k];
    for (size_t l = 0; l < D; l++) mu[l][k] = means[k * D + l];
    for (size_t j = 0; j < D; j++)
      for (size_t l = 0; l <= j; l++) M[j * (j + 1) / 2 + l][k] = inv_chols[k * D * D + j * D + l];
  }
  // Forward, with each step's emissions computed in the loop (off the recursion's chain).
  // Shift: b̃_t = exp(log b_t − m_t) needs m_t ≥ max_k log b_t(k) (no overflow) and not far
  // above it (α̃ keeps its precision if b̃_t's largest is ≥ e⁻²⁰⁰). Every log b_t(k) ≤ c_k, so
  // m_t = c_max = max_k c_k qualifies unless every state is 200 nats below it: then (an
  // outlier row) m_t = the row's own maximum, as the separate path does for every row. Most
  // rows thus need no horizontal maximum (three lane shuffles on the shuffle unit the
  // recursion uses).
  emz_v8 c_max;
  emz_v8_max_lanes(&c_max, &c);
  // A non-finite constant (parameters no prepare step accepts) sends every row to its own
  // maximum: c_floor = +∞ is above every log-density.
  const int finite = c_max[0] > -INFINITY && c_max[0] < INFINITY;
  const emz_v8 c_floor = finite ? c_max - 200.0 : emz_v8_splat(INFINITY);
  double shift = 0;  // Σ_t m_t over the rows not shifted by c_max
  size_t at_max = 0;  // rows shifted by c_max: their shifts add up exactly as at_max · c_max
  int64_t exponents = 0;
  emz_v8 lb, m, bt;
  v8s a;
  size_t t = 0;
  gaussian_row_states(&lb, x, D, mu, M, &c);
  m = c_max;
  if (__builtin_reduce_or((emz_v8i)(lb > c_floor)) == 0) {
    emz_v8_max_lanes(&m, &lb);
    shift += m[0];
  } else {
    at_max++;
  }
  lb -= m;
  emz_v8_exp_nonpositive(&bt, &lb);
  *(emz_v8 *)b = bt;
  if (!fused_forward_first(&a, &bt, initial, K, alpha, scale, &exponents)) goto failed;
  for (t = 1; t < T; t++) {
    gaussian_row_states(&lb, x + t * D, D, mu, M, &c);
    m = c_max;
    if (__builtin_reduce_or((emz_v8i)(lb > c_floor)) == 0) {
      emz_v8_max_lanes(&m, &lb);
      shift += m[0];
    } else {
      at_max++;
    }
    lb -= m;
    emz_v8_exp_nonpositive(&bt, &lb);
    *(emz_v8 *)(b + t * 8) = bt;
    if (!fused_forward_step(&a, &bt, rows, alpha + t * 8, scale + t, &exponents, 8)) goto failed;
  }
  const double s = sum_states(&a);
  if (!(s > 0)) {
    t = T - 1;
    goto failed;
  }
  shift += (double)at_max * c_max[0];
  const double loglik = shift + ((double)exponents * 0x1.62e42fefa39efp-1 + log(s));
  // Backward, with each row's statistics weighted by its γ_t in the loop.
  emz_v8 count = emz_v8_splat(0.0), sum[8], scatter[36];
  for (size_t i = 0; i < 8; i++) sum[i] = emz_v8_splat(0.0);
  for (size_t i = 0; i < 36; i++) scatter[i] = emz_v8_splat(0.0);
  v8s beta = {0};
  for (size_t k = 0; k < K; k++) beta[k] = 1.0 / s;
  for (size_t t = T;;) {
    t--;
    // γ_t = α̃_t ∘ β̂_t and row t's statistics.
    const v8s gamma_s = *(const emz_v8 *)(alpha + t * 8) * beta;
    const emz_v8 gamma = gamma_s;
    const double *xt = x + t * D;
    emz_v8 dev[8], wdev[8];
    count += gamma;
    for (size_t j = 0; j < D; j++) {
      dev[j] = xt[j] - mu[j];
      wdev[j] = gamma * dev[j];
      sum[j] += wdev[j];
    }
    for (size_t j = 0; j < D; j++)
      for (size_t l = 0; l <= j; l++) scatter[j * (j + 1) / 2 + l] += wdev[j] * dev[l];
    if (t == 0) {
      for (size_t k = 0; k < K; k++) init_acc[k] += gamma_s[k];
      break;
    }
    fused_backward_step(&beta, b + t * 8, scale[t], alpha + (t - 1) * 8, columns, outer, 8);
  }
  fused_transition_statistics(trans_acc, transition, outer, K);
  const emz_gaussian_full_layout L = emz_gaussian_full_layout_make(D);
  for (size_t k = 0; k < K; k++) {
    double *st = stats + k * L.stride;
    st[L.count] += count[k];
    for (size_t j = 0; j < D; j++) {
      st[L.sum + j] += sum[j][k];
      for (size_t l = 0; l <= j; l++) st[L.scatter + j * D + l] += scatter[j * (j + 1) / 2 + l][k];
    }
  }
  return loglik;
failed:
  // Impossible (−∞), or NaN when some density is NaN: a NaN log-density gives a NaN b̃, and
  // an all-impossible row (every log b = −∞) gives NaN as well (−∞ − (−∞)), so rescan.
  for (size_t r = 0; r <= t && r < T; r++) {
    gaussian_row_states(&lb, x + r * D, D, mu, M, &c);
    if (__builtin_reduce_or((emz_v8i)(lb != lb)) != 0) return NAN;
  }
  return -INFINITY;
}

static double EMZ_FN(hmm_estep_gaussian_full)(size_t T, size_t d, size_t K, const double *x,
                                              const double *means, const double *inv_chols,
                                              const double *log_consts, const double *initial,
                                              const double *transition, double *b, double *alpha,
                                              double *scale, double *init_acc, double *trans_acc,
                                              double *stats) {
  if (T == 0) return 0;
  if (K == 0) return -INFINITY;  // no state can emit anything
#define EMZ_HG_CASE(D)                                                                         \
  case D:                                                                                      \
    return hmm_gaussian_full_states(T, D, K, x, means, inv_chols, log_consts, initial,         \
                                    transition, b, alpha, scale, init_acc, trans_acc, stats);
  switch (d) {
    EMZ_HG_CASE(1) EMZ_HG_CASE(2) EMZ_HG_CASE(3) EMZ_HG_CASE(4)
    EMZ_HG_CASE(5) EMZ_HG_CASE(6) EMZ_HG_CASE(7) EMZ_HG_CASE(8)
    default: return NAN;  // not for d > 8 (the caller checks)
  }
#undef EMZ_HG_CASE
}
