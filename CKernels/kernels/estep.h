// Fused mixture E steps: for each block of EMZ_BLOCK rows, the component log-densities,
// the responsibilities (log-sum-exp fused with normalisation) and the weighted statistics,
// all on one transposed block that stays in L1 (the block kernels are in blocks.h).
#include "CKernels.h"
#include "../blocks.h"

/// Asks for the rows EMZ_PREFETCH_BLOCKS blocks ahead of `start` (a chunk is read once per E
/// step, straight from memory when the data outgrows the caches): with few columns the first
/// reads of a block otherwise stall the kernel, whose work per block is shorter than the
/// memory's latency. Wider blocks (d > 8: over 4 KiB) are left to the hardware prefetcher,
/// so that four of them ahead do not crowd the current one out of L1.
#define EMZ_PREFETCH_BLOCKS 4
static inline void emz_prefetch_block(const double *x, size_t start, size_t n, size_t d) {
  const size_t ahead = start + EMZ_PREFETCH_BLOCKS * EMZ_BLOCK;
  if (ahead >= n || d > 8) return;
  const size_t rows = n - ahead < EMZ_BLOCK ? n - ahead : EMZ_BLOCK;
  const char *p = (const char *)(x + ahead * d), *end = (const char *)(x + (ahead + rows) * d);
  for (; p < end; p += 64) __builtin_prefetch(p, 0, 3);
}

#define EMZ_FUSED_BUFFERS                                                  \
  double xt[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK] __attribute__((aligned(64)));  \
  double lp[EMZ_MAX_COMPONENTS * EMZ_BLOCK] __attribute__((aligned(64))); \
  double totals[EMZ_MAX_COMPONENTS];                                       \
  double loglik = 0

/// Vectors of chunk-long sums in the Gaussian E steps (K·(1 + d + d²) of them for full
/// covariances: K = 8 components of d = 8 take 584, 37 KiB of stack; K·(1 + 3d) diagonal).
#define EMZ_FULL_CHUNK_SUMS 640

static double EMZ_FN(mixture_estep_diag)(const double *x, size_t n, size_t d, size_t K,
                                         const double *means, const double *precisions,
                                         const double *half_log_terms, const double *log_w,
                                         double *stats) {
  EMZ_FUSED_BUFFERS;
  // Chunk-long lane sums for complete full blocks, as in mixture_estep_full (there the
  // observed counts equal the count: one sum serves both).
  const emz_gaussian_diag_layout L = emz_gaussian_diag_layout_make(d);
  const int lanes = K * L.stride <= EMZ_FULL_CHUNK_SUMS;
  emz_v8 sums[EMZ_FULL_CHUNK_SUMS];
  if (lanes)
    for (size_t e = 0; e < K * L.stride; e++) sums[e] = emz_v8_splat(0.0);
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    emz_prefetch_block(x, start, n, d);
    int complete = transpose_block(x + start * d, nb, d, xt);
    block_logpdf_diag(xt, nb, d, K, complete, means, precisions, half_log_terms, lp);
    loglik += block_normalize(lp, nb, K, log_w);
    if (lanes && complete && nb == EMZ_BLOCK) {
      for (size_t k = 0; k < K; k++) {
        const emz_v8 *w = (const emz_v8 *)(lp + k * EMZ_BLOCK);
        emz_v8 *s = sums + k * L.stride;
        emz_v8 count = s[L.count];
        for (size_t v = 0; v < EMZ_VECTORS; v++) count += w[v];
        s[L.count] = count;
        for (size_t j = 0; j < d; j++) {
          const emz_v8 *xj = (const emz_v8 *)(xt + j * EMZ_BLOCK);
          const double cj = means[k * d + j];
          emz_v8 s1 = s[L.sum + L.per_dimension * j], s2 = s[L.square + L.per_dimension * j];
          for (size_t v = 0; v < EMZ_VECTORS; v++) {
            const emz_v8 e = xj[v] - cj, we = w[v] * e;
            s1 += we;
            s2 += we * e;
          }
          s[L.sum + L.per_dimension * j] = s1;
          s[L.square + L.per_dimension * j] = s2;
        }
      }
      continue;
    }
    block_totals(lp, nb, K, totals);
    block_accumulate_diag(xt, nb, d, K, complete, lp, totals, means, stats);
  }
  if (lanes)
    for (size_t k = 0; k < K; k++) {
      const emz_v8 *s = sums + k * L.stride;
      double *out = stats + k * L.stride;
      const double total = horizontal_sum((const v8d *)&s[L.count]);
      out[L.count] += total;
      for (size_t j = 0; j < d; j++) {
        out[L.observed + L.per_dimension * j] += total;
        out[L.sum + L.per_dimension * j] += horizontal_sum((const v8d *)&s[L.sum + L.per_dimension * j]);
        out[L.square + L.per_dimension * j] += horizontal_sum((const v8d *)&s[L.square + L.per_dimension * j]);
      }
    }
  return loglik;
}

static double EMZ_FN(mixture_estep_full)(const double *x, size_t n, size_t d, size_t K,
                                         const double *means, const double *inv_chols,
                                         const double *log_consts, const double *log_w,
                                         double *stats) {
  EMZ_FUSED_BUFFERS;
  double diff[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK], wdiff[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK];
  // Chunk-long vector sums (as `emz_gaussian_full_layout`, one 8-lane vector per statistic)
  // when they fit in EMZ_FULL_CHUNK_SUMS vectors: a full block then adds its weighted sums
  // lane by lane, and each statistic is reduced across lanes once per chunk, not per block.
  const emz_gaussian_full_layout L = emz_gaussian_full_layout_make(d);
  const int lanes = K * L.stride <= EMZ_FULL_CHUNK_SUMS;
  emz_v8 sums[EMZ_FULL_CHUNK_SUMS];
  if (lanes)
    for (size_t e = 0; e < K * L.stride; e++) sums[e] = emz_v8_splat(0.0);
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    transpose_block(x + start * d, nb, d, xt);
    block_logpdf_full(xt, nb, d, K, means, inv_chols, log_consts, diff, lp);
    loglik += block_normalize(lp, nb, K, log_w);
    if (lanes && nb == EMZ_BLOCK) {
      block_accumulate_full_lanes(xt, d, K, lp, means, diff, wdiff, sums);
      continue;
    }
    block_totals(lp, nb, K, totals);
    block_accumulate_full(xt, nb, d, K, lp, totals, means, diff, wdiff, stats);
  }
  if (lanes)
    for (size_t e = 0; e < K * L.stride; e++) stats[e] += horizontal_sum((const v8d *)&sums[e]);
  return loglik;
}

/// Vector accumulators kept over a whole chunk when K·d is at most this (K + K·d vectors,
/// 4 KiB + 0.5 KiB): a complete full block then adds its weighted sums lane by lane instead
/// of reducing each of the K·d sums across its lanes (a dozen shuffles and adds) per block.
#define EMZ_LINEAR_CHUNK_SUMS 64

static double EMZ_FN(mixture_estep_linear)(const double *x, size_t n, size_t d, size_t K,
                                           const double *a, const double *b, const double *log_w,
                                           double *stats) {
  EMZ_FUSED_BUFFERS;
  const int lanes = K * d <= EMZ_LINEAR_CHUNK_SUMS;
  emz_v8 weight_sums[EMZ_LINEAR_CHUNK_SUMS], weighted_x[EMZ_LINEAR_CHUNK_SUMS];
  if (lanes)
    for (size_t e = 0; e < K * d || e < K; e++) {
      if (e < K) weight_sums[e] = emz_v8_splat(0.0);
      if (e < K * d) weighted_x[e] = emz_v8_splat(0.0);
    }
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    emz_prefetch_block(x, start, n, d);
    int complete = transpose_block(x + start * d, nb, d, xt);
    block_logpdf_linear(xt, nb, d, K, complete, a, b, lp);
    loglik += block_normalize(lp, nb, K, log_w);
    if (lanes && complete && nb == EMZ_BLOCK) {
      // Σ_r w_rk and Σ_r w_rk x_rj, per lane (rows r ≡ lane mod 8) until the chunk's end.
      for (size_t k = 0; k < K; k++) {
        const emz_v8 *w = (const emz_v8 *)(lp + k * EMZ_BLOCK);
        emz_v8 t = weight_sums[k];
        for (size_t v = 0; v < EMZ_VECTORS; v++) t += w[v];
        weight_sums[k] = t;
        for (size_t j = 0; j < d; j++) {
          const emz_v8 *xj = (const emz_v8 *)(xt + j * EMZ_BLOCK);
          emz_v8 acc = weighted_x[k * d + j];
          for (size_t v = 0; v < EMZ_VECTORS; v++) acc += w[v] * xj[v];
          weighted_x[k * d + j] = acc;
        }
      }
      continue;
    }
    block_totals(lp, nb, K, totals);
    block_accumulate_independent(xt, nb, d, K, complete, lp, totals, stats);
  }
  if (lanes) {
    const emz_independent_layout L = emz_independent_layout_make(d);
    for (size_t k = 0; k < K; k++) {
      const double total = horizontal_sum((const v8d *)&weight_sums[k]);
      double *s = stats + k * L.stride;
      s[L.count] += total;
      for (size_t j = 0; j < d; j++) {
        s[L.observed + j] += total;
        s[L.sum + j] += horizontal_sum((const v8d *)&weighted_x[k * d + j]);
      }
    }
  }
  return loglik;
}
