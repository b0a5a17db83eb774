// The steps of the scaled forward–backward that the fused HMM E steps share (hmm_gaussian.h,
// hmm_linear.h): each keeps the K ≤ 8 states in the lanes of one 8-double vector, computes
// its family's emission densities b̃_t inside the forward loop and its statistics inside the
// backward loop, and calls these for the recursions themselves (the scaling of
// forward_backward_states in hmm.h: α̃_t = (α̃_{t−1} A ∘ b̃_t) 2^−e_t, with 2^e_t the power of
// two just below the previous step's largest value). Padding lanes k ≥ K have b̃ = 0 and no
// transitions, and are never written back. Needs hmm.h's state-vector helpers (kernels.h
// includes it first).
#ifndef EMZ_HMM_FUSED_H
#define EMZ_HMM_FUSED_H

#include "CKernels.h"
#include "../internal.h"
#include "../vmath8.h"

#include <math.h>

/// The largest lane of v in every lane (lanes compared as `a > b ? a : b`, so a NaN lane is
/// skipped as in `scale_emissions_k`; the caller flags NaN separately).
static inline __attribute__((always_inline)) void emz_v8_max_lanes(emz_v8 *out, const emz_v8 *v) {
  emz_v8 m = *v, s;
  s = __builtin_shufflevector(m, m, 4, 5, 6, 7, 0, 1, 2, 3);
  m = emz_v8_select(s > m, s, m);
  s = __builtin_shufflevector(m, m, 2, 3, 0, 1, 6, 7, 4, 5);
  m = emz_v8_select(s > m, s, m);
  s = __builtin_shufflevector(m, m, 1, 0, 3, 2, 5, 4, 7, 6);
  *out = emz_v8_select(s > m, s, m);
}

/// `max_state` over lanes 0…3 (in lanes 0…3; lanes 4…7 get the maximum of lanes 4…7).
static inline __attribute__((always_inline)) void max_state_4(v8i *out, const v8s *v) {
  v8i m = (v8i)(*v);
  m = __builtin_elementwise_max(m, __builtin_shufflevector(m, m, 2, 3, 0, 1, 6, 7, 4, 5));
  *out = __builtin_elementwise_max(m, __builtin_shufflevector(m, m, 1, 0, 3, 2, 5, 4, 7, 6));
}

/// The transition matrix as state vectors, rows[i] = A_i· and columns[j] = A_·j (zero
/// padding), and the transition accumulators `outer` set to 0.
static inline __attribute__((always_inline)) void
fused_transition_vectors(v8s *rows, v8s *columns, v8s *outer, const double *transition,
                         size_t K) {
  for (size_t i = 0; i < 8; i++) {
    rows[i] = (v8s){0};
    columns[i] = (v8s){0};
    outer[i] = (v8s){0};
  }
  for (size_t k = 0; k < K; k++)
    for (size_t j = 0; j < K; j++) {
      rows[k][j] = transition[k * K + j];     // A_k·
      columns[j][k] = transition[k * K + j];  // A_·j
    }
}

/// Forward step 0: α̃_0 = π ∘ b̃_0 · 2^−e_0 into `a` and `alpha`; 0 when the step is impossible.
static inline __attribute__((always_inline)) int
fused_forward_first(v8s *a, const emz_v8 *bt, const double *initial, size_t K, double *alpha,
                    double *scale, int64_t *exponents) {
  int64_t e0;
  *a = (v8s){0};
  for (size_t k = 0; k < K; k++) (*a)[k] = initial[k];
  const v8s bv = *bt;
  *a *= bv;
  const double s = sum_states(a);
  if (!(s > 0)) return 0;
  scale[0] = emz_inverse_power_of_two(s, &e0);
  *exponents += e0;
  *a *= scale[0];
  *(emz_v8 *)alpha = *a;  // emz_v8: unaligned stores (scratch from Swift is 8-byte aligned)
  return 1;
}

/// Forward step t ≥ 1: α̃_t from α̃_{t−1} (in `a`) and b̃_t, into `a` and `alpha_t`, with
/// `*scale_t` = 2^−e_t; 0 when α̃_{t−1} is all 0 (impossible), infinite or NaN.
///
/// `lanes` (4 or 8, a constant after inlining) is how many states the product combines: 4 when
/// K ≤ 4, as states K…7 are 0 in α̃ and their rows of A are 0, so the 4 terms they add to each
/// of the first 4 partial sums of `combine_states` are +0 and leave those sums' bits as they are
/// (the sums are ≥ +0: no −0 to turn into +0). Half the broadcasts and products.
static inline __attribute__((always_inline)) int
fused_forward_step(v8s *a, const emz_v8 *bt, const v8s *rows, double *alpha_t, double *scale_t,
                   int64_t *exponents, const size_t lanes) {
  v8i mx, biased;
  // Of α̃_{t−1}: off the chain of the product below, but the longer of the two chains, so with
  // 4 lanes it takes two lane swaps instead of three (lanes 4…7 then hold their own maximum, 0,
  // and their 2^−e multiplies b̃ = 0 there).
  if (lanes == 4)
    max_state_4(&mx, a);
  else
    max_state(&mx, a);
  if (mx[0] <= 0 || mx[0] >= 0x7ff0000000000000) return 0;  // all 0, or ∞/NaN
  v8s inv;
  inverse_power_of_two_lanes(&inv, &biased, &mx);
  *exponents += biased[0] - 1023;
  *scale_t = inv[0];
  v8s next;
  combine_states(&next, a, rows, lanes);
  const v8s bv = *bt;
  *a = next * (bv * inv);
  *(emz_v8 *)alpha_t = *a;
  return 1;
}

/// Backward step t ≥ 1: from β̂_t (in `beta`), b̃_t and 2^−e_t, adds α̃_{t−1} ⊗ u_t
/// (u_t = b̃_t ∘ β̂_t 2^−e_t) to `outer` and leaves β̂_{t−1} = A u_t in `beta`. With `lanes` = 4
/// (K ≤ 4, as in `fused_forward_step`: u is 0 in states K…7) only the first 4 rows of `outer`
/// are updated; the others are never read.
static inline __attribute__((always_inline)) void
fused_backward_step(v8s *beta, const double *bt, double scale_t, const double *alpha_prev,
                    const v8s *columns, v8s *outer, const size_t lanes) {
  v8s u = *(const emz_v8 *)bt;
  u = *beta * (u * scale_t);
  // α̃_{t−1}(i) broadcast straight from memory (as in forward_backward_states).
  for (size_t i = 0; i < lanes; i++) outer[i] += alpha_prev[i] * u;
  v8s next;
  combine_states(&next, &u, columns, lanes);
  *beta = next;
}

/// Σ_t ξ_t(i, j) = A_ij Σ_t α̃_t(i) u_{t+1}(j), added to trans_acc.
static inline __attribute__((always_inline)) void
fused_transition_statistics(double *trans_acc, const double *transition, const v8s *outer,
                            size_t K) {
  for (size_t i = 0; i < K; i++)
    for (size_t j = 0; j < K; j++) trans_acc[i * K + j] += transition[i * K + j] * outer[i][j];
}

#endif
