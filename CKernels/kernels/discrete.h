// Count, binary and categorical log-probabilities and their weighted statistics, each on
// its own (the HMM uses them; mixtures go through estep.h). Up to 64 columns and 64
// components go through the block kernels of blocks.h; wider data through plain loops.
#include "CKernels.h"
#include "../blocks.h"

#include <math.h>

static void EMZ_FN(linear_logpmf)(const double *x, size_t n, size_t d, size_t K, const double *a,
                                  const double *b, double *out) {
  if (d > EMZ_MAX_BLOCK_DIM || K > EMZ_MAX_COMPONENTS) {
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
  double xt[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK] __attribute__((aligned(64)));
  double lp[EMZ_MAX_COMPONENTS * EMZ_BLOCK] __attribute__((aligned(64)));
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    int complete = transpose_block(x + start * d, nb, d, xt);
    block_logpdf_linear(xt, nb, d, K, complete, a, b, lp);
    scatter_densities(lp, nb, K, out + start * K);
  }
}

static void EMZ_FN(independent_accumulate)(const double *x, size_t n, size_t d, size_t K,
                                           const double *weights, double *stats) {
  if (d > EMZ_MAX_BLOCK_DIM || K > EMZ_MAX_COMPONENTS) {
    const emz_independent_layout L = emz_independent_layout_make(d);
    for (size_t i = 0; i < n; i++)
      for (size_t k = 0; k < K; k++) {
        double w = weights[i * K + k];
        if (w == 0) continue;
        double *s = stats + k * L.stride;
        s[L.count] += w;
        for (size_t j = 0; j < d; j++) {
          double v = x[i * d + j];
          if (v != v) continue;
          s[L.observed + j] += w;
          s[L.sum + j] += w * v;
        }
      }
    return;
  }
  double xt[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK] __attribute__((aligned(64)));
  double w[EMZ_MAX_COMPONENTS * EMZ_BLOCK] __attribute__((aligned(64)));
  double totals[EMZ_MAX_COMPONENTS];
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    int complete = transpose_block(x + start * d, nb, d, xt);
    gather_weights(weights + start * K, nb, K, w);
    block_totals(w, nb, K, totals);
    block_accumulate_independent(xt, nb, d, K, complete, w, totals, stats);
  }
}

static void EMZ_FN(categorical_logpmf)(const double *x, size_t n, size_t K, size_t M,
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

static void EMZ_FN(categorical_accumulate)(const double *x, size_t n, size_t K, size_t M,
                                           const double *weights, double *stats) {
  const emz_categorical_layout L = emz_categorical_layout_make(M);
  enum { LOCAL = 4096 };
  if ((M + 1) * K > LOCAL) {
    for (size_t i = 0; i < n; i++) {
      double v = x[i];
      for (size_t k = 0; k < K; k++) {
        double w = weights[i * K + k];
        stats[k * L.stride + L.count] += w;
        if (v == v) stats[k * L.stride + L.symbols + (size_t)v] += w;
      }
    }
    return;
  }
  // Per symbol (row M: missing), the weight rows add as whole K-vectors (contiguous,
  // vectorised); the sums go to the per-state layout once at the end.
  double counts[LOCAL];
  for (size_t e = 0; e < (M + 1) * K; e++) counts[e] = 0;
  for (size_t i = 0; i < n; i++) {
    double v = x[i];
    const double *w = weights + i * K;
    double *target = counts + (v == v ? (size_t)v : M) * K;
    EMZ_SIMD
    for (size_t k = 0; k < K; k++) target[k] += w[k];
  }
  for (size_t k = 0; k < K; k++) {
    double total = counts[M * K + k];
    for (size_t s = 0; s < M; s++) {
      stats[k * L.stride + L.symbols + s] += counts[s * K + k];
      total += counts[s * K + k];
    }
    stats[k * L.stride + L.count] += total;
  }
}

static double EMZ_FN(categorical_scaled_densities)(const double *x, size_t n, size_t K,
                                                   const double *table, const double *log_max,
                                                   double *out) {
  double shift = 0;
  for (size_t i = 0; i < n; i++) {
    double v = x[i];
    double *row = out + i * K;
    if (v != v) {
      for (size_t k = 0; k < K; k++) row[k] = 1;
      continue;
    }
    const double *src = table + (size_t)v * K;
    for (size_t k = 0; k < K; k++) row[k] = src[k];
    shift += log_max[(size_t)v];
  }
  return shift;
}
