// Gaussian log-densities and weighted sufficient statistics.
//
// The log-density of a full-covariance Gaussian with Σ = L Lᵀ is
//   log N(x | μ, Σ) = −d/2 log 2π − Σ_j log L_jj − ½ ‖L⁻¹(x − μ)‖²,
// computed with the precomputed inverse factor, so the inner loop is a triangular
// matrix–vector product with no divisions.
//
// Speed: rows are processed in blocks of EMZ_BLOCK, transposed so that the innermost loops
// run over rows (contiguous, vectorised with `omp simd`, reductions included). The block
// structure is fixed, so the floating-point order, and every result bit, is the same
// whatever the number of threads.
#include "CKernels.h"
#include "internal.h"

#include <math.h>
#include <string.h>

void emz_gaussian_logpdf_full(const double *x, size_t n, size_t d, size_t K,
                              const double *means, const double *inv_chols,
                              const double *log_consts, double *out) {
  double xt[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK];
  double diff[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK];
  double q[EMZ_BLOCK], z[EMZ_BLOCK];
  if (d > EMZ_MAX_BLOCK_DIM) {  // very wide data: the plain row-by-row loop
    double e[d];
    for (size_t i = 0; i < n; i++)
      for (size_t k = 0; k < K; k++) {
        const double *mu = means + k * d, *M = inv_chols + k * d * d;
        for (size_t j = 0; j < d; j++) e[j] = x[i * d + j] - mu[j];
        double s = 0;
        for (size_t j = 0; j < d; j++) {
          double t = 0;
          for (size_t l = 0; l <= j; l++) t += M[j * d + l] * e[l];
          s += t * t;
        }
        out[i * K + k] = log_consts[k] - 0.5 * s;
      }
    return;
  }
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    transpose_block(x + start * d, nb, d, xt);
    for (size_t k = 0; k < K; k++) {
      const double *mu = means + k * d, *M = inv_chols + k * d * d;
      for (size_t l = 0; l < d; l++) {
        const double m = mu[l];
        double *dl = diff + l * EMZ_BLOCK;
        const double *xl = xt + l * EMZ_BLOCK;
#pragma omp simd
        for (size_t r = 0; r < nb; r++) dl[r] = xl[r] - m;
      }
#pragma omp simd
      for (size_t r = 0; r < nb; r++) q[r] = 0;
      for (size_t j = 0; j < d; j++) {
#pragma omp simd
        for (size_t r = 0; r < nb; r++) z[r] = 0;
        for (size_t l = 0; l <= j; l++) {
          const double m = M[j * d + l];
          const double *dl = diff + l * EMZ_BLOCK;
#pragma omp simd
          for (size_t r = 0; r < nb; r++) z[r] += m * dl[r];
        }
#pragma omp simd
        for (size_t r = 0; r < nb; r++) q[r] += z[r] * z[r];
      }
      const double c = log_consts[k];
      for (size_t r = 0; r < nb; r++) out[(start + r) * K + k] = c - 0.5 * q[r];
    }
  }
}

void emz_gaussian_accumulate_full(const double *x, size_t n, size_t d, size_t K,
                                  const double *weights, const double *centers,
                                  double *stats) {
  const size_t stride = 1 + d + d * d;
  double xt[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK];
  double diff[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK];
  double wdiff[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK];
  double w[EMZ_BLOCK];
  if (d > EMZ_MAX_BLOCK_DIM) {
    double e[d];
    for (size_t i = 0; i < n; i++)
      for (size_t k = 0; k < K; k++) {
        double wk = weights[i * K + k];
        if (wk == 0) continue;
        double *s = stats + k * stride;
        const double *c = centers + k * d;
        s[0] += wk;
        for (size_t j = 0; j < d; j++) {
          e[j] = x[i * d + j] - c[j];
          s[1 + j] += wk * e[j];
        }
        for (size_t j = 0; j < d; j++)
          for (size_t l = 0; l <= j; l++) s[1 + d + j * d + l] += wk * e[j] * e[l];
      }
    return;
  }
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    transpose_block(x + start * d, nb, d, xt);
    for (size_t k = 0; k < K; k++) {
      double total = 0;
      for (size_t r = 0; r < nb; r++) {
        w[r] = weights[(start + r) * K + k];
        total += w[r];
      }
      if (total == 0) continue;
      double *s = stats + k * stride;
      const double *c = centers + k * d;
      s[0] += total;
      for (size_t j = 0; j < d; j++) {
        const double cj = c[j];
        const double *xj = xt + j * EMZ_BLOCK;
        double *dj = diff + j * EMZ_BLOCK, *wj = wdiff + j * EMZ_BLOCK;
        double s1 = 0;
#pragma omp simd reduction(+ : s1)
        for (size_t r = 0; r < nb; r++) {
          dj[r] = xj[r] - cj;
          wj[r] = w[r] * dj[r];
          s1 += wj[r];
        }
        s[1 + j] += s1;
      }
      double *s2 = s + 1 + d;
      for (size_t j = 0; j < d; j++) {
        const double *wj = wdiff + j * EMZ_BLOCK;
        for (size_t l = 0; l <= j; l++) {
          const double *dl = diff + l * EMZ_BLOCK;
          double acc = 0;
#pragma omp simd reduction(+ : acc)
          for (size_t r = 0; r < nb; r++) acc += wj[r] * dl[r];
          s2[j * d + l] += acc;
        }
      }
    }
  }
}

void emz_gaussian_logpdf_diag(const double *x, size_t n, size_t d, size_t K,
                              const double *means, const double *precisions,
                              const double *half_log_terms, double *out) {
  if (d > EMZ_MAX_BLOCK_DIM) {  // very wide data: the plain row-by-row loop
    for (size_t i = 0; i < n; i++)
      for (size_t k = 0; k < K; k++) {
        double acc = 0;
        for (size_t j = 0; j < d; j++) {
          double e = x[i * d + j] - means[k * d + j];
          if (e == e) acc += half_log_terms[k * d + j] - 0.5 * precisions[k * d + j] * e * e;
        }
        out[i * K + k] = acc;
      }
    return;
  }
  double xt[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK];
  double acc[EMZ_BLOCK];
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    int complete = transpose_block(x + start * d, nb, d, xt);
    for (size_t k = 0; k < K; k++) {
      const double *mu = means + k * d, *prec = precisions + k * d, *h = half_log_terms + k * d;
#pragma omp simd
      for (size_t r = 0; r < nb; r++) acc[r] = 0;
      for (size_t j = 0; j < d; j++) {
        const double m = mu[j], p = -0.5 * prec[j], hj = h[j];
        const double *xj = xt + j * EMZ_BLOCK;
        if (complete) {
#pragma omp simd
          for (size_t r = 0; r < nb; r++) {
            double e = xj[r] - m;
            acc[r] += hj + p * e * e;
          }
        } else {
#pragma omp simd
          for (size_t r = 0; r < nb; r++) {
            double e = xj[r] - m;
            // A missing entry (NaN) is marginalised out: it adds nothing.
            acc[r] += (e == e) ? hj + p * e * e : 0.0;
          }
        }
      }
      for (size_t r = 0; r < nb; r++) out[(start + r) * K + k] = acc[r];
    }
  }
}

void emz_gaussian_accumulate_diag(const double *x, size_t n, size_t d, size_t K,
                                  const double *weights, const double *centers,
                                  double *stats) {
  const size_t stride = 1 + 3 * d;
  if (d > EMZ_MAX_BLOCK_DIM) {
    for (size_t i = 0; i < n; i++)
      for (size_t k = 0; k < K; k++) {
        double wk = weights[i * K + k];
        if (wk == 0) continue;
        double *s = stats + k * stride;
        s[0] += wk;
        for (size_t j = 0; j < d; j++) {
          double e = x[i * d + j] - centers[k * d + j];
          if (e != e) continue;
          s[1 + 3 * j] += wk;
          s[2 + 3 * j] += wk * e;
          s[3 + 3 * j] += wk * e * e;
        }
      }
    return;
  }
  double xt[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK];
  double w[EMZ_BLOCK];
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    int complete = transpose_block(x + start * d, nb, d, xt);
    for (size_t k = 0; k < K; k++) {
      double total = 0;
      for (size_t r = 0; r < nb; r++) {
        w[r] = weights[(start + r) * K + k];
        total += w[r];
      }
      if (total == 0) continue;
      double *s = stats + k * stride;
      s[0] += total;
      for (size_t j = 0; j < d; j++) {
        const double cj = centers[k * d + j];
        const double *xj = xt + j * EMZ_BLOCK;
        double n0 = 0, s1 = 0, s2 = 0;
        if (complete) {
          n0 = total;
#pragma omp simd reduction(+ : s1, s2)
          for (size_t r = 0; r < nb; r++) {
            double e = xj[r] - cj, we = w[r] * e;
            s1 += we;
            s2 += we * e;
          }
        } else {
#pragma omp simd reduction(+ : n0, s1, s2)
          for (size_t r = 0; r < nb; r++) {
            double e = xj[r] - cj;
            int seen = (e == e);
            double we = seen ? w[r] * e : 0.0;
            n0 += seen ? w[r] : 0.0;
            s1 += we;
            s2 += seen ? we * e : 0.0;
          }
        }
        s[1 + 3 * j] += n0;
        s[2 + 3 * j] += s1;
        s[3 + 3 * j] += s2;
      }
    }
  }
}
