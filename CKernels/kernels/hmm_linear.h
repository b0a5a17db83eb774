// The E step of an HMM whose emission log-density is linear in x (Poisson counts relative to
// reference rates; `emz_linear_logpmf`'s parameters), fused with the scaled forward–backward
// of hmm.h, for K ≤ 8 states and d ≤ 64 coordinates.
//
// The separate path makes four passes over a sequence: the emission log-densities (rows
// transposed into blocks, then scattered back to rows × K), their row shift and exp, the
// forward–backward recursions, and the weighted statistics (rows transposed again, weights
// gathered). Here, as in hmm_gaussian.h, the states are the lanes of one 8-double vector:
//
//   forward, step t:  log b_t(k) = Σ_j a_kj x_tj + b_kj for every k (d FMAs over all states),
//                     b̃_t = exp(log b_t − m_t), then α̃_t from α̃_{t−1};
//   backward, step t: γ_t = α̃_t ∘ β̂_t, and Σγ, Σγ·x_j (every state at once).
//
// The shift m_t needs no horizontal maximum (three lane shuffles on the shuffle unit the
// recursion uses): for x ≥ 0 (counts), log b_t(k) ≤ Σ_j x_tj max_k a_kj + Σ_j max_k b_kj, a
// bound of the same vector operations as the densities. When it is above every state by more
// than 200 nats (an outlier row: b̃ would lose range), or below some state (a negative x, or
// rounding), the row takes its own maximum, as the separate path does for every row.
//
// A missing entry (NaN) contributes nothing to the density and its dimension's statistics; a
// row with every entry missing has density 1 and no emission statistics (HiddenMarkovModel's
// rule). A sequence with missing entries takes the same loop with a test per entry: the loop
// for complete rows finds the first NaN in its forward pass (the bound m_t is NaN: one scalar
// test per row, where a separate scan of the sequence took a sixth of the E step's time) and
// the sequence starts over (nothing is accumulated before the backward pass).
#include "CKernels.h"
#include "../internal.h"
#include "../vmath8.h"
#include "hmm_fused.h"

#include <math.h>

enum { EMZ_HMM_LINEAR_MAX_DIM = 64 };

/// Every state's log-density of one row, and the bound m (in every lane) of the header.
/// `start` is Σ_j b_kj (complete rows) or 0 (rows that may miss entries), −∞ in padding lanes.
static inline __attribute__((always_inline)) void
linear_row_states(emz_v8 *out, emz_v8 *bound, const double *x, const size_t D, const emz_v8 *S,
                  const emz_v8 *O, const emz_v8 *S_max, const emz_v8 *O_max, const emz_v8 *start,
                  const emz_v8 *start_max, const int missing) {
  emz_v8 acc = *start, m = *start_max;
  if (!missing) {
    // block_logpdf_linear's order: Σ_j b_kj first, then the products one column at a time.
    for (size_t j = 0; j < D; j++) {
      acc += x[j] * S[j];
      m += x[j] * S_max[j];
    }
  } else {
    for (size_t j = 0; j < D; j++) {
      const double v = x[j];
      if (v == v) {
        acc += S[j] * v + O[j];
        m += S_max[j] * v + O_max[j];
      }
    }
  }
  *out = acc;
  *bound = m;
}

/// `emz_hmm_estep_linear` with d a compile-time constant when D ≤ 8 (unrolled), whether the
/// sequence has missing entries, and the states the recursions combine (`lanes` = 4 when
/// K ≤ 4, else 8; see `fused_forward_step`).
static inline __attribute__((always_inline)) double
hmm_linear_states(size_t T, const size_t D, size_t K, const size_t lanes, const int missing, const double *x,
                  const double *slopes, const double *offsets, const double *initial,
                  const double *transition, double *b, double *alpha, double *scale,
                  double *init_acc, double *trans_acc, double *stats, int *has_missing) {
  // Parameters as state vectors; lanes k ≥ K are padding: log-density −∞ (so b̃ = 0 there),
  // no transitions, and they are never written back.
  emz_v8 S[EMZ_HMM_LINEAR_MAX_DIM], O[EMZ_HMM_LINEAR_MAX_DIM];
  emz_v8 S_max[EMZ_HMM_LINEAR_MAX_DIM], O_max[EMZ_HMM_LINEAR_MAX_DIM];
  emz_v8 start = emz_v8_splat(-INFINITY), start_max;
  v8s rows[8], columns[8], outer[8];
  fused_transition_vectors(rows, columns, outer, transition, K);
  double total_max = 0;
  for (size_t j = 0; j < D; j++) {
    S[j] = emz_v8_splat(0.0);
    O[j] = emz_v8_splat(0.0);
    double s_max = slopes[j], o_max = offsets[j];
    for (size_t k = 0; k < K; k++) {
      S[j][k] = slopes[k * D + j];
      O[j][k] = offsets[k * D + j];
      s_max = slopes[k * D + j] > s_max ? slopes[k * D + j] : s_max;
      o_max = offsets[k * D + j] > o_max ? offsets[k * D + j] : o_max;
    }
    S_max[j] = emz_v8_splat(s_max);
    O_max[j] = emz_v8_splat(o_max);
    total_max += o_max;
  }
  for (size_t k = 0; k < K; k++) {
    double c = 0;
    for (size_t j = 0; j < D; j++) c += offsets[k * D + j];
    start[k] = missing ? 0.0 : c;
  }
  start_max = emz_v8_splat(missing ? 0.0 : total_max);
  // The row's shift: the bound m_t, or the row's own maximum (see the header). Σ_t m_t is
  // added up in `shift`.
  double shift = 0;
  int64_t exponents = 0;
  emz_v8 lb, m, bt;
  v8s a;
  size_t t = 0;
#define EMZ_HL_EMISSION(row)                                                                   \
  do {                                                                                         \
    linear_row_states(&lb, &m, x + (row) * D, D, S, O, S_max, O_max, &start, &start_max,       \
                      missing);                                                                \
    if (!missing && __builtin_expect(m[0] != m[0], 0)) goto incomplete;                        \
    const emz_v8i over = lb > m, near = lb > m - 200.0;                                        \
    if (__builtin_expect(__builtin_reduce_or(over) != 0 || __builtin_reduce_or(near) == 0, 0)) \
      emz_v8_max_lanes(&m, &lb);                                                               \
    shift += m[0];                                                                             \
    lb -= m;                                                                                   \
    emz_v8_exp_nonpositive(&bt, &lb);                                                          \
  } while (0)
  EMZ_HL_EMISSION(0);
  *(emz_v8 *)b = bt;
  if (!fused_forward_first(&a, &bt, initial, K, alpha, scale, &exponents)) goto failed;
  for (t = 1; t < T; t++) {
    EMZ_HL_EMISSION(t);
    *(emz_v8 *)(b + t * 8) = bt;
    if (!fused_forward_step(&a, &bt, rows, alpha + t * 8, scale + t, &exponents, lanes)) goto failed;
  }
#undef EMZ_HL_EMISSION
  const double s = sum_states(&a);
  if (!(s > 0)) {
    t = T - 1;
    goto failed;
  }
  const double loglik = shift + ((double)exponents * 0x1.62e42fefa39efp-1 + log(s));
  // Backward, with each row's statistics weighted by its γ_t in the loop.
  emz_v8 count = emz_v8_splat(0.0), sum[EMZ_HMM_LINEAR_MAX_DIM], observed[EMZ_HMM_LINEAR_MAX_DIM];
  for (size_t j = 0; j < D; j++) {
    sum[j] = emz_v8_splat(0.0);
    observed[j] = emz_v8_splat(0.0);
  }
  v8s beta = {0};
  for (size_t k = 0; k < K; k++) beta[k] = 1.0 / s;
  for (size_t t = T;;) {
    t--;
    // γ_t = α̃_t ∘ β̂_t and row t's statistics.
    const v8s gamma_s = *(const emz_v8 *)(alpha + t * 8) * beta;
    const emz_v8 gamma = gamma_s;
    const double *xt = x + t * D;
    if (!missing) {
      count += gamma;
      for (size_t j = 0; j < D; j++) sum[j] += gamma * xt[j];
    } else {
      int any = 0;
      for (size_t j = 0; j < D; j++) {
        const double v = xt[j];
        if (v == v) {
          any = 1;
          observed[j] += gamma;
          sum[j] += gamma * v;
        }
      }
      if (any) count += gamma;
    }
    if (t == 0) {
      for (size_t k = 0; k < K; k++) init_acc[k] += gamma_s[k];
      break;
    }
    fused_backward_step(&beta, b + t * 8, scale[t], alpha + (t - 1) * 8, columns, outer, lanes);
  }
  fused_transition_statistics(trans_acc, transition, outer, K);
  const emz_independent_layout L = emz_independent_layout_make(D);
  for (size_t k = 0; k < K; k++) {
    double *st = stats + k * L.stride;
    st[L.count] += count[k];
    for (size_t j = 0; j < D; j++) {
      st[L.observed + j] += missing ? observed[j][k] : count[k];
      st[L.sum + j] += sum[j][k];
    }
  }
  return loglik;
incomplete:
  *has_missing = 1;  // a NaN entry (or NaN/infinite parameters): start over, testing entries
  return NAN;
failed:
  // Impossible (−∞), or NaN when some density is NaN: a NaN log-density gives a NaN b̃, and
  // an all-impossible row (every log b = −∞) gives NaN as well (−∞ − (−∞)), so rescan.
  for (size_t r = 0; r <= t && r < T; r++) {
    linear_row_states(&lb, &m, x + r * D, D, S, O, S_max, O_max, &start, &start_max, missing);
    if (__builtin_reduce_or((emz_v8i)(lb != lb)) != 0) return NAN;
  }
  return -INFINITY;
}

static double EMZ_FN(hmm_estep_linear)(size_t T, size_t d, size_t K, const double *x,
                                       const double *slopes, const double *offsets,
                                       const double *initial, const double *transition,
                                       double *b, double *alpha, double *scale,
                                       double *init_acc, double *trans_acc, double *stats) {
  if (T == 0) return 0;
  if (K == 0) return -INFINITY;  // no state can emit anything
  int missing = 0;
  double loglik = 0;
#define EMZ_HL_RUN(D, W)                                                                       \
  loglik = hmm_linear_states(T, D, K, W, 0, x, slopes, offsets, initial, transition, b, alpha, \
                             scale, init_acc, trans_acc, stats, &missing);                     \
  if (missing)                                                                                 \
    loglik = hmm_linear_states(T, D, K, W, 1, x, slopes, offsets, initial, transition, b,      \
                               alpha, scale, init_acc, trans_acc, stats, &missing);            \
  return loglik;
#define EMZ_HL_CASE(D)                                                                         \
  case D:                                                                                      \
    if (K <= 4) {                                                                              \
      EMZ_HL_RUN(D, 4)                                                                         \
    }                                                                                          \
    EMZ_HL_RUN(D, 8)
  switch (d) {
    EMZ_HL_CASE(1) EMZ_HL_CASE(2) EMZ_HL_CASE(3) EMZ_HL_CASE(4)
    EMZ_HL_CASE(5) EMZ_HL_CASE(6) EMZ_HL_CASE(7) EMZ_HL_CASE(8)
    default:  // wide rows: d at run time, and the loop that tests every entry
      return hmm_linear_states(T, d, K, 8, 1, x, slopes, offsets, initial, transition, b, alpha,
                               scale, init_acc, trans_acc, stats, &missing);
  }
#undef EMZ_HL_CASE
#undef EMZ_HL_RUN
}
