// Count, binary and categorical log-probabilities and their weighted statistics.
#include "CKernels.h"
#include "internal.h"

#include <math.h>

void emz_linear_logpmf(const double *x, size_t n, size_t d, size_t K, const double *a,
                          const double *b, double *out) {
  if (d > EMZ_MAX_BLOCK_DIM) {
    for (size_t i = 0; i < n; i++)
      for (size_t k = 0; k < K; k++) {
        double acc = 0;
        for (size_t j = 0; j < d; j++) {
          double v = x[i * d + j];
          if (v == v) acc += a[k * d + j] * v + b[k * d + j];
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
#pragma omp simd
      for (size_t r = 0; r < nb; r++) acc[r] = 0;
      for (size_t j = 0; j < d; j++) {
        const double aj = a[k * d + j], bj = b[k * d + j];
        const double *xj = xt + j * EMZ_BLOCK;
        if (complete) {
#pragma omp simd
          for (size_t r = 0; r < nb; r++) acc[r] += aj * xj[r] + bj;
        } else {
#pragma omp simd
          for (size_t r = 0; r < nb; r++) {
            double v = xj[r];
            acc[r] += (v == v) ? aj * v + bj : 0.0;  // a missing entry adds nothing
          }
        }
      }
      for (size_t r = 0; r < nb; r++) out[(start + r) * K + k] = acc[r];
    }
  }
}

void emz_independent_accumulate(const double *x, size_t n, size_t d, size_t K,
                                const double *weights, double *stats) {
  const size_t stride = 1 + 2 * d;
  if (d > EMZ_MAX_BLOCK_DIM) {
    for (size_t i = 0; i < n; i++)
      for (size_t k = 0; k < K; k++) {
        double w = weights[i * K + k];
        if (w == 0) continue;
        double *s = stats + k * stride;
        s[0] += w;
        for (size_t j = 0; j < d; j++) {
          double v = x[i * d + j];
          if (v != v) continue;
          s[1 + 2 * j] += w;
          s[2 + 2 * j] += w * v;
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
        const double *xj = xt + j * EMZ_BLOCK;
        double n0 = 0, s1 = 0;
        if (complete) {
          n0 = total;
#pragma omp simd reduction(+ : s1)
          for (size_t r = 0; r < nb; r++) s1 += w[r] * xj[r];
        } else {
#pragma omp simd reduction(+ : n0, s1)
          for (size_t r = 0; r < nb; r++) {
            double v = xj[r];
            int seen = (v == v);
            n0 += seen ? w[r] : 0.0;
            s1 += seen ? w[r] * v : 0.0;
          }
        }
        s[1 + 2 * j] += n0;
        s[2 + 2 * j] += s1;
      }
    }
  }
}

void emz_categorical_logpmf(const double *x, size_t n, size_t K, size_t M,
                            const double *log_p, double *out) {
  for (size_t i = 0; i < n; i++) {
    double v = x[i];
    if (v != v) {
      for (size_t k = 0; k < K; k++) out[i * K + k] = 0;
      continue;
    }
    size_t s = (size_t)v;
    for (size_t k = 0; k < K; k++) out[i * K + k] = log_p[k * M + s];
  }
}

void emz_categorical_accumulate(const double *x, size_t n, size_t K, size_t M,
                                const double *weights, double *stats) {
  const size_t stride = 1 + M;
  for (size_t i = 0; i < n; i++) {
    double v = x[i];
    for (size_t k = 0; k < K; k++) {
      double w = weights[i * K + k];
      stats[k * stride] += w;
      if (v == v) stats[k * stride + 1 + (size_t)v] += w;
    }
  }
}
