// Block kernels shared by the fused mixture E steps (kernels/estep.h) and the separate
// density and statistics kernels (kernels/gaussian.h, discrete.h): one implementation of
// each formula.
//
// A block is EMZ_BLOCK rows transposed to xt[j*EMZ_BLOCK + r] (`transpose_block`); per-block
// density and weight buffers are k-major: lp[k*EMZ_BLOCK + r]. Every inner loop runs over the
// block's rows (contiguous, vectorised), and the block layout is fixed, so results do not
// depend on the number of threads.
#ifndef EMZ_BLOCKS_H
#define EMZ_BLOCKS_H

#include "internal.h"
#include "vmath.h"
#include "vmath8.h"

#include <math.h>
#include <stddef.h>

/// Eight doubles: the register-blocked full-block paths below keep a whole block's 64 rows of
/// one component in eight of these (AVX-512 registers where the machine has them).
typedef double v8d __attribute__((vector_size(64), aligned(8)));  // unaligned loads are fine
#define EMZ_VECTORS (EMZ_BLOCK / 8)

/// By pointer: a 64-byte vector passed by value would change the calling convention with the
/// instruction set (AVX-512 or not: -Wpsabi).
static inline double horizontal_sum(const v8d *v) {
  return (((*v)[0] + (*v)[4]) + ((*v)[1] + (*v)[5])) + (((*v)[2] + (*v)[6]) + ((*v)[3] + (*v)[7]));
}

/// `block_normalize` for a full block (nb = EMZ_BLOCK), eight rows at a time in explicit
/// 8-lane vectors: a row group's K log-densities, their maximum, the K exps, the log of the
/// sum and the scaling all run while the group's K vectors are in L1, at the full vector width
/// of the instruction set (the loop vectoriser prefers half-width AVX-512 vectors). The
/// same formulas as the general path, except that log Σ_k is taken once per lane of the
/// product of the eight row groups' sums; the log-likelihood is summed per lane and then
/// across the lanes, a fixed order (the block layout does not depend on the thread count).
static inline double block_normalize_full(double *lp, size_t K, const double *log_w) {
  emz_v8 total = emz_v8_splat(0.0), product = emz_v8_splat(1.0);
  double bad = 0;  // −∞ or NaN when some row is impossible (or undefined)
  for (size_t v = 0; v < EMZ_VECTORS; v++) {
    emz_v8 m = emz_v8_splat(-INFINITY);
    for (size_t k = 0; k < K; k++) {
      emz_v8 *row = (emz_v8 *)(lp + k * EMZ_BLOCK) + v;
      const emz_v8 x = *row + log_w[k];
      *row = x;
      m = emz_v8_select(x > m, x, m);
    }
    if (__builtin_reduce_or(~(emz_v8i)(m > -INFINITY)) != 0) {
      // Rare: a row impossible under every component (or NaN) becomes uniform, as below.
      for (size_t lane = 0; lane < 8; lane++) {
        if (m[lane] > -INFINITY) continue;
        bad += (m[lane] != m[lane]) ? NAN : -INFINITY;
        for (size_t k = 0; k < K; k++) lp[k * EMZ_BLOCK + 8 * v + lane] = 0;
        m[lane] = 0;
      }
    }
    emz_v8 s = emz_v8_splat(0.0);
    for (size_t k = 0; k < K; k++) {
      emz_v8 *row = (emz_v8 *)(lp + k * EMZ_BLOCK) + v;
      const emz_v8 shifted = *row - m;
      emz_v8 e;
      emz_v8_exp_nonpositive(&e, &shifted);  // terms below e⁻⁷⁰⁰ of the largest become 0
      *row = e;
      s += e;
    }
    // 1 ≤ s ≤ K (the largest term is e⁰): the eight row groups' sums multiply to at most
    // K⁸ ≤ 2⁴⁸ per lane, so one log of the product replaces eight logs (and their divisions).
    product *= s;
    total += m;
    const emz_v8 inverse = 1.0 / s;
    for (size_t k = 0; k < K; k++) ((emz_v8 *)(lp + k * EMZ_BLOCK))[v] *= inverse;
  }
  emz_v8 log_product;
  emz_v8_log(&log_product, &product);
  total += log_product;
  const double sum = (((total[0] + total[4]) + (total[1] + total[5])) +
                      ((total[2] + total[6]) + (total[3] + total[7])));
  return bad != 0 ? bad : sum;
}

/// Adds log w_k, turns each row's K log-densities into responsibilities, and returns
/// Σ_r log Σ_k w_k f_k(x_r) (−∞ if a row is impossible under every component, NaN if NaN).
static inline double block_normalize(double *lp, size_t nb, size_t K, const double *log_w) {
  if (nb == EMZ_BLOCK) return block_normalize_full(lp, K, log_w);
  double m[EMZ_BLOCK], s[EMZ_BLOCK];
  for (size_t r = 0; r < nb; r++) m[r] = -INFINITY;
  for (size_t k = 0; k < K; k++) {
    const double lw = log_w[k];
    double *row = lp + k * EMZ_BLOCK;
    EMZ_SIMD
    for (size_t r = 0; r < nb; r++) {
      double v = row[r] + lw;
      row[r] = v;
      m[r] = v > m[r] ? v : m[r];
    }
  }
  double bad = 0;  // −∞ or NaN when some row is impossible (or undefined)
  for (size_t r = 0; r < nb; r++) {
    if (!(m[r] > -INFINITY)) {
      bad += (m[r] != m[r]) ? NAN : -INFINITY;
      for (size_t k = 0; k < K; k++) lp[k * EMZ_BLOCK + r] = 0;  // uniform after normalising
      m[r] = 0;
    }
    s[r] = 0;
  }
  for (size_t k = 0; k < K; k++) {
    double *row = lp + k * EMZ_BLOCK;
    EMZ_SIMD
    for (size_t r = 0; r < nb; r++) {
      // Terms below e⁻⁷⁰⁰ relative to the largest change nothing: they become 0.
      double e = emz_exp_floored(row[r] - m[r]);
      row[r] = e;
      s[r] += e;
    }
  }
  double total = 0;
  EMZ_SIMD
  for (size_t r = 0; r < nb; r++) {
    total += m[r] + emz_log(s[r]);
    s[r] = 1.0 / s[r];
  }
  for (size_t k = 0; k < K; k++) {
    double *row = lp + k * EMZ_BLOCK;
    EMZ_SIMD
    for (size_t r = 0; r < nb; r++) row[r] *= s[r];
  }
  return bad != 0 ? bad : total;
}

/// Σ_r w[k*B + r] for every k into totals; returns whether any is nonzero.
static inline void block_totals(const double *w, size_t nb, size_t K, double *totals) {
  for (size_t k = 0; k < K; k++) {
    const double *wk = w + k * EMZ_BLOCK;
    double t = 0;
    EMZ_SIMD
    for (size_t r = 0; r < nb; r++) t += wk[r];
    totals[k] = t;
  }
}

/// lp[k] = log N(x | μ_k, diag σ²_k) = Σ_j h_kj − ½ p_kj (x_j − μ_kj)², skipping missing x_j.
static inline void block_logpdf_diag(const double *xt, size_t nb, size_t d, size_t K, int complete,
                                     const double *means, const double *precisions,
                                     const double *half_log_terms, double *lp) {
  // log N(x | μ_k, diag σ²_k) = Σ_j h_kj − ½ p_kj (x_j − μ_kj)², skipping missing x_j.
  for (size_t k = 0; k < K; k++) {
    const double *mu = means + k * d, *prec = precisions + k * d, *h = half_log_terms + k * d;
    double *out = lp + k * EMZ_BLOCK;
    if (complete && nb == EMZ_BLOCK) {
      // A full block: the 64 rows' accumulators stay in registers across the d coordinates.
      double c = 0;
      for (size_t j = 0; j < d; j++) c += h[j];
      v8d acc[EMZ_VECTORS];
      for (size_t v = 0; v < EMZ_VECTORS; v++) acc[v] = (v8d){c, c, c, c, c, c, c, c};
      for (size_t j = 0; j < d; j++) {
        const double m = mu[j], p = -0.5 * prec[j];
        const v8d *xj = (const v8d *)(xt + j * EMZ_BLOCK);
        for (size_t v = 0; v < EMZ_VECTORS; v++) {
          v8d e = xj[v] - m;
          acc[v] += p * e * e;
        }
      }
      for (size_t v = 0; v < EMZ_VECTORS; v++) ((v8d *)out)[v] = acc[v];
    } else if (complete) {
      double c = 0;
      for (size_t j = 0; j < d; j++) c += h[j];
      EMZ_SIMD
      for (size_t r = 0; r < nb; r++) out[r] = c;
      for (size_t j = 0; j < d; j++) {
        const double m = mu[j], p = -0.5 * prec[j], *xj = xt + j * EMZ_BLOCK;
        EMZ_SIMD
        for (size_t r = 0; r < nb; r++) {
          double e = xj[r] - m;
          out[r] += p * e * e;
        }
      }
    } else {
      EMZ_SIMD
      for (size_t r = 0; r < nb; r++) out[r] = 0;
      for (size_t j = 0; j < d; j++) {
        const double m = mu[j], p = -0.5 * prec[j], hj = h[j], *xj = xt + j * EMZ_BLOCK;
        EMZ_SIMD
        for (size_t r = 0; r < nb; r++) {
          double e = xj[r] - m;
          out[r] += (e == e) ? hj + p * e * e : 0.0;  // a missing entry adds nothing
        }
      }
    }
  }
}

/// Statistics centred on `means` (the current means): per k [Σw, then per j (Σ_obs w, Σ_obs w(x−c), Σ_obs w(x−c)²)].
static inline void block_accumulate_diag(const double *xt, size_t nb, size_t d, size_t K, int complete,
                                         const double *lp, const double *totals,
                                         const double *means, double *stats) {
  const emz_gaussian_diag_layout L = emz_gaussian_diag_layout_make(d);
  for (size_t k = 0; k < K; k++) {
    if (totals[k] == 0) continue;
    const double *w = lp + k * EMZ_BLOCK, *c = means + k * d;
    double *s = stats + k * L.stride;
    s[L.count] += totals[k];
    for (size_t j = 0; j < d; j++) {
      const double cj = c[j], *xj = xt + j * EMZ_BLOCK;
      double n0 = 0, s1 = 0, s2 = 0;
      if (complete && nb == EMZ_BLOCK) {
        n0 = totals[k];
        v8d a1 = {0}, a2 = {0};
        for (size_t v = 0; v < EMZ_VECTORS; v++) {
          v8d e = ((const v8d *)xj)[v] - cj, we = ((const v8d *)w)[v] * e;
          a1 += we;
          a2 += we * e;
        }
        s1 = horizontal_sum(&a1);
        s2 = horizontal_sum(&a2);
      } else if (complete) {
        n0 = totals[k];
        EMZ_SIMD
        for (size_t r = 0; r < nb; r++) {
          double e = xj[r] - cj, we = w[r] * e;
          s1 += we;
          s2 += we * e;
        }
      } else {
        EMZ_SIMD
        for (size_t r = 0; r < nb; r++) {
          double e = xj[r] - cj;
          int seen = (e == e);
          double we = seen ? w[r] * e : 0.0;
          n0 += seen ? w[r] : 0.0;
          s1 += we;
          s2 += seen ? we * e : 0.0;
        }
      }
      s[L.observed + L.per_dimension * j] += n0;
      s[L.sum + L.per_dimension * j] += s1;
      s[L.square + L.per_dimension * j] += s2;
    }
  }
}

/// `block_logpdf_full` for a full block and d = D ≤ 8 (a constant after inlining): for each
/// 8-row vector the d differences, the triangular product and the squared norm stay in
/// registers (the general loops below store and reload z and q for every coordinate). The
/// same operations in the same order, so the same bits.
static inline __attribute__((always_inline)) void
block_logpdf_full_small(const double *xt, const size_t D, size_t K, const double *means,
                        const double *inv_chols, const double *log_consts, double *lp) {
  for (size_t k = 0; k < K; k++) {
    const double *mu = means + k * D, *M = inv_chols + k * D * D;
    const double c = log_consts[k];
    emz_v8 *out = (emz_v8 *)(lp + k * EMZ_BLOCK);
    for (size_t v = 0; v < EMZ_VECTORS; v++) {
      emz_v8 e[8], q = emz_v8_splat(0.0);
      for (size_t l = 0; l < D; l++) e[l] = ((const emz_v8 *)(xt + l * EMZ_BLOCK))[v] - mu[l];
      for (size_t j = 0; j < D; j++) {
        emz_v8 z = emz_v8_splat(0.0);
        for (size_t l = 0; l <= j; l++) z += M[j * D + l] * e[l];
        q += z * z;
      }
      out[v] = c - 0.5 * q;
    }
  }
}

/// lp[k] = log N(x | μ_k, Σ_k) = c_k − ½ ‖L_k⁻¹ (x − μ_k)‖²; `diff` is d×EMZ_BLOCK scratch.
static inline void block_logpdf_full(const double *xt, size_t nb, size_t d, size_t K,
                                     const double *means, const double *inv_chols,
                                     const double *log_consts, double *diff, double *lp) {
  if (nb == EMZ_BLOCK && d >= 1 && d <= 8) {
    switch (d) {
#define EMZ_FULL_CASE(D) \
      case D: block_logpdf_full_small(xt, D, K, means, inv_chols, log_consts, lp); return;
      EMZ_FULL_CASE(1) EMZ_FULL_CASE(2) EMZ_FULL_CASE(3) EMZ_FULL_CASE(4)
      EMZ_FULL_CASE(5) EMZ_FULL_CASE(6) EMZ_FULL_CASE(7) EMZ_FULL_CASE(8)
#undef EMZ_FULL_CASE
    }
  }
  double q[EMZ_BLOCK], z[EMZ_BLOCK];
  // log N(x | μ_k, Σ_k) = c_k − ½ ‖L_k⁻¹ (x − μ_k)‖².
  for (size_t k = 0; k < K; k++) {
    const double *mu = means + k * d, *M = inv_chols + k * d * d;
    for (size_t l = 0; l < d; l++) {
      const double m = mu[l], *xl = xt + l * EMZ_BLOCK;
      double *dl = diff + l * EMZ_BLOCK;
      EMZ_SIMD
      for (size_t r = 0; r < nb; r++) dl[r] = xl[r] - m;
    }
    EMZ_SIMD
    for (size_t r = 0; r < nb; r++) q[r] = 0;
    for (size_t j = 0; j < d; j++) {
      EMZ_SIMD
      for (size_t r = 0; r < nb; r++) z[r] = 0;
      for (size_t l = 0; l <= j; l++) {
        const double m = M[j * d + l], *dl = diff + l * EMZ_BLOCK;
        EMZ_SIMD
        for (size_t r = 0; r < nb; r++) z[r] += m * dl[r];
      }
      EMZ_SIMD
      for (size_t r = 0; r < nb; r++) q[r] += z[r] * z[r];
    }
    const double c = log_consts[k];
    double *out = lp + k * EMZ_BLOCK;
    EMZ_SIMD
    for (size_t r = 0; r < nb; r++) out[r] = c - 0.5 * q[r];
  }
}

/// Statistics centred on `means`: per k [Σw, Σw(x−c) (d), Σw(x−c)(x−c)ᵀ (d×d, lower)];
/// `diff` and `wdiff` are d×EMZ_BLOCK scratch.
static inline void block_accumulate_full(const double *xt, size_t nb, size_t d, size_t K,
                                         const double *lp, const double *totals, const double *means,
                                         double *diff, double *wdiff, double *stats) {
  const emz_gaussian_full_layout L = emz_gaussian_full_layout_make(d);
  // Statistics centred on the current means: Σw, Σw(x−c), Σw(x−c)(x−c)ᵀ (lower triangle).
  for (size_t k = 0; k < K; k++) {
    if (totals[k] == 0) continue;
    const double *w = lp + k * EMZ_BLOCK, *c = means + k * d;
    double *s = stats + k * L.stride;
    s[L.count] += totals[k];
    for (size_t j = 0; j < d; j++) {
      const double cj = c[j], *xj = xt + j * EMZ_BLOCK;
      double *dj = diff + j * EMZ_BLOCK, *wj = wdiff + j * EMZ_BLOCK;
      double s1 = 0;
      EMZ_SIMD
      for (size_t r = 0; r < nb; r++) {
        dj[r] = xj[r] - cj;
        wj[r] = w[r] * dj[r];
        s1 += wj[r];
      }
      s[L.sum + j] += s1;
    }
    double *s2 = s + L.scatter;
    for (size_t j = 0; j < d; j++) {
      const double *wj = wdiff + j * EMZ_BLOCK;
      for (size_t l = 0; l <= j; l++) {
        const double *dl = diff + l * EMZ_BLOCK;
        double acc = 0;
        EMZ_SIMD
        for (size_t r = 0; r < nb; r++) acc += wj[r] * dl[r];
        s2[j * d + l] += acc;
      }
    }
  }
}

/// `block_accumulate_full` for a full block into 8-lane sums (`sums`: one vector per entry
/// of `emz_gaussian_full_layout`, lanes = rows mod 8), added to `stats` by the caller at the
/// end of its chunk. The same products, summed in another order.
static inline void block_accumulate_full_lanes(const double *xt, size_t d, size_t K,
                                               const double *lp, const double *means,
                                               double *diff, double *wdiff, emz_v8 *sums) {
  const emz_gaussian_full_layout L = emz_gaussian_full_layout_make(d);
  for (size_t k = 0; k < K; k++) {
    const emz_v8 *w = (const emz_v8 *)(lp + k * EMZ_BLOCK);
    const double *c = means + k * d;
    emz_v8 *s = sums + k * L.stride;
    emz_v8 count = s[L.count];
    for (size_t v = 0; v < EMZ_VECTORS; v++) count += w[v];
    s[L.count] = count;
    for (size_t j = 0; j < d; j++) {
      const emz_v8 *xj = (const emz_v8 *)(xt + j * EMZ_BLOCK);
      emz_v8 *dj = (emz_v8 *)(diff + j * EMZ_BLOCK), *wj = (emz_v8 *)(wdiff + j * EMZ_BLOCK);
      emz_v8 s1 = s[L.sum + j];
      for (size_t v = 0; v < EMZ_VECTORS; v++) {
        dj[v] = xj[v] - c[j];
        wj[v] = w[v] * dj[v];
        s1 += wj[v];
      }
      s[L.sum + j] = s1;
    }
    for (size_t j = 0; j < d; j++) {
      const emz_v8 *wj = (const emz_v8 *)(wdiff + j * EMZ_BLOCK);
      for (size_t l = 0; l <= j; l++) {
        const emz_v8 *dl = (const emz_v8 *)(diff + l * EMZ_BLOCK);
        emz_v8 acc = s[L.scatter + j * d + l];
        for (size_t v = 0; v < EMZ_VECTORS; v++) acc += wj[v] * dl[v];
        s[L.scatter + j * d + l] = acc;
      }
    }
  }
}

/// lp[k] = Σ_j a_kj x_j + b_kj over the observed x_j.
static inline void block_logpdf_linear(const double *xt, size_t nb, size_t d, size_t K, int complete,
                                       const double *a, const double *b, double *lp) {
  // log f_k(x) = Σ_j a_kj x_j + b_kj over the observed x_j.
  for (size_t k = 0; k < K; k++) {
    const double *ak = a + k * d, *bk = b + k * d;
    double *out = lp + k * EMZ_BLOCK;
    if (complete && nb == EMZ_BLOCK) {
      double c = 0;
      for (size_t j = 0; j < d; j++) c += bk[j];
      v8d acc[EMZ_VECTORS];
      for (size_t v = 0; v < EMZ_VECTORS; v++) acc[v] = (v8d){c, c, c, c, c, c, c, c};
      for (size_t j = 0; j < d; j++) {
        const double aj = ak[j];
        const v8d *xj = (const v8d *)(xt + j * EMZ_BLOCK);
        for (size_t v = 0; v < EMZ_VECTORS; v++) acc[v] += aj * xj[v];
      }
      for (size_t v = 0; v < EMZ_VECTORS; v++) ((v8d *)out)[v] = acc[v];
    } else if (complete) {
      double c = 0;
      for (size_t j = 0; j < d; j++) c += bk[j];
      EMZ_SIMD
      for (size_t r = 0; r < nb; r++) out[r] = c;
      for (size_t j = 0; j < d; j++) {
        const double aj = ak[j], *xj = xt + j * EMZ_BLOCK;
        EMZ_SIMD
        for (size_t r = 0; r < nb; r++) out[r] += aj * xj[r];
      }
    } else {
      EMZ_SIMD
      for (size_t r = 0; r < nb; r++) out[r] = 0;
      for (size_t j = 0; j < d; j++) {
        const double aj = ak[j], bj = bk[j], *xj = xt + j * EMZ_BLOCK;
        EMZ_SIMD
        for (size_t r = 0; r < nb; r++) {
          double v = xj[r];
          out[r] += (v == v) ? aj * v + bj : 0.0;
        }
      }
    }
  }
}

/// Per k [Σw, Σ_obs w (d), Σ_obs w·x (d)].
static inline void block_accumulate_independent(const double *xt, size_t nb, size_t d,
                                                size_t K, int complete, const double *lp,
                                                const double *totals, double *stats) {
  const emz_independent_layout L = emz_independent_layout_make(d);
  for (size_t k = 0; k < K; k++) {
    if (totals[k] == 0) continue;
    const double *w = lp + k * EMZ_BLOCK;
    double *s = stats + k * L.stride, *observed = s + L.observed, *sums = s + L.sum;
    s[L.count] += totals[k];
    for (size_t j = 0; j < d; j++) {
      const double *xj = xt + j * EMZ_BLOCK;
      double n0 = 0, s1 = 0;
      if (complete && nb == EMZ_BLOCK) {
        n0 = totals[k];
        v8d a1 = {0}, a2 = {0};
        for (size_t v = 0; v < EMZ_VECTORS; v += 2) {
          a1 += ((const v8d *)w)[v] * ((const v8d *)xj)[v];
          a2 += ((const v8d *)w)[v + 1] * ((const v8d *)xj)[v + 1];
        }
        a1 += a2;
        s1 = horizontal_sum(&a1);
      } else if (complete) {
        n0 = totals[k];
        EMZ_SIMD
        for (size_t r = 0; r < nb; r++) s1 += w[r] * xj[r];
      } else {
        EMZ_SIMD
        for (size_t r = 0; r < nb; r++) {
          double v = xj[r];
          int seen = (v == v);
          n0 += seen ? w[r] : 0.0;
          s1 += seen ? w[r] * v : 0.0;
        }
      }
      observed[j] += n0;
      sums[j] += s1;
    }
  }
}

/// lp[k*EMZ_BLOCK + r] = weights[(start + r)*K + k]: row-major weights to a k-major block.
static inline void gather_weights(const double *weights, size_t nb, size_t K, double *lp) {
  for (size_t r = 0; r < nb; r++)
    for (size_t k = 0; k < K; k++) lp[k * EMZ_BLOCK + r] = weights[r * K + k];
}

/// out[r*K + k] = lp[k*EMZ_BLOCK + r]: a k-major block to row-major densities.
static inline void scatter_densities(const double *lp, size_t nb, size_t K, double *out) {
  for (size_t k = 0; k < K; k++)
    for (size_t r = 0; r < nb; r++) out[r * K + k] = lp[k * EMZ_BLOCK + r];
}

#endif
