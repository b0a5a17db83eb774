// Gaussian log-densities and weighted sufficient statistics, each on its own (the HMM and
// the mixture's missing-value path use them; complete mixture rows go through estep.h).
//
// The log-density of a full-covariance Gaussian with Σ = L Lᵀ is
//   log N(x | μ, Σ) = −d/2 log 2π − Σ_j log L_jj − ½ ‖L⁻¹(x − μ)‖²,
// computed with the precomputed inverse factor (a triangular product, no divisions). Data
// of up to 64 columns and 64 components goes through the block kernels of blocks.h; wider
// data through plain row-by-row loops.
#include "CKernels.h"
#include "../blocks.h"

#include <math.h>

#define EMZ_BLOCKED(d, K) ((d) <= EMZ_MAX_BLOCK_DIM && (K) <= EMZ_MAX_COMPONENTS)

static void EMZ_FN(gaussian_logpdf_full)(const double *x, size_t n, size_t d, size_t K,
                                         const double *means, const double *inv_chols,
                                         const double *log_consts, double *out) {
  if (!EMZ_BLOCKED(d, K)) {
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
  double xt[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK], diff[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK];
  double lp[EMZ_MAX_COMPONENTS * EMZ_BLOCK];
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    transpose_block(x + start * d, nb, d, xt);
    block_logpdf_full(xt, nb, d, K, means, inv_chols, log_consts, diff, lp);
    scatter_densities(lp, nb, K, out + start * K);
  }
}

static void EMZ_FN(gaussian_accumulate_full)(const double *x, size_t n, size_t d, size_t K,
                                             const double *weights, const double *centers,
                                             double *stats) {
  if (!EMZ_BLOCKED(d, K)) {
    const emz_gaussian_full_layout L = emz_gaussian_full_layout_make(d);
    double e[d];
    for (size_t i = 0; i < n; i++)
      for (size_t k = 0; k < K; k++) {
        double wk = weights[i * K + k];
        if (wk == 0) continue;
        double *s = stats + k * L.stride;
        const double *c = centers + k * d;
        s[L.count] += wk;
        for (size_t j = 0; j < d; j++) {
          e[j] = x[i * d + j] - c[j];
          s[L.sum + j] += wk * e[j];
        }
        for (size_t j = 0; j < d; j++)
          for (size_t l = 0; l <= j; l++) s[L.scatter + j * d + l] += wk * e[j] * e[l];
      }
    return;
  }
  double xt[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK], diff[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK];
  double wdiff[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK];
  double w[EMZ_MAX_COMPONENTS * EMZ_BLOCK] __attribute__((aligned(64)));
  double totals[EMZ_MAX_COMPONENTS];
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    transpose_block(x + start * d, nb, d, xt);
    gather_weights(weights + start * K, nb, K, w);
    block_totals(w, nb, K, totals);
    block_accumulate_full(xt, nb, d, K, w, totals, centers, diff, wdiff, stats);
  }
}

static void EMZ_FN(gaussian_logpdf_diag)(const double *x, size_t n, size_t d, size_t K,
                                         const double *means, const double *precisions,
                                         const double *half_log_terms, double *out) {
  if (!EMZ_BLOCKED(d, K)) {
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
  double xt[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK] __attribute__((aligned(64)));
  double lp[EMZ_MAX_COMPONENTS * EMZ_BLOCK] __attribute__((aligned(64)));
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    int complete = transpose_block(x + start * d, nb, d, xt);
    block_logpdf_diag(xt, nb, d, K, complete, means, precisions, half_log_terms, lp);
    scatter_densities(lp, nb, K, out + start * K);
  }
}

static void EMZ_FN(gaussian_accumulate_diag)(const double *x, size_t n, size_t d, size_t K,
                                             const double *weights, const double *centers,
                                             double *stats) {
  if (!EMZ_BLOCKED(d, K)) {
    const emz_gaussian_diag_layout L = emz_gaussian_diag_layout_make(d);
    for (size_t i = 0; i < n; i++)
      for (size_t k = 0; k < K; k++) {
        double wk = weights[i * K + k];
        if (wk == 0) continue;
        double *s = stats + k * L.stride;
        s[L.count] += wk;
        for (size_t j = 0; j < d; j++) {
          double e = x[i * d + j] - centers[k * d + j];
          if (e != e) continue;
          s[L.observed + L.per_dimension * j] += wk;
          s[L.sum + L.per_dimension * j] += wk * e;
          s[L.square + L.per_dimension * j] += wk * e * e;
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
    block_accumulate_diag(xt, nb, d, K, complete, w, totals, centers, stats);
  }
}
