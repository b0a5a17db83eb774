// Fused mixture E steps: for each block of EMZ_BLOCK rows, the component log-densities,
// the responsibilities (log-sum-exp fused with normalisation) and the weighted statistics,
// all on one transposed block that stays in L1 (the block kernels are in blocks.h).
#include "CKernels.h"
#include "../blocks.h"

/// Asks for the rows EMZ_PREFETCH_BLOCKS blocks ahead of `start` (a chunk is read once per E
/// step, straight from memory when the data outgrows the caches): the first reads of a block
/// otherwise stall the kernel, whose work per block is shorter than the memory's latency.
#define EMZ_PREFETCH_BLOCKS 4
static inline void emz_prefetch_block(const double *x, size_t start, size_t n, size_t d) {
  const size_t ahead = start + EMZ_PREFETCH_BLOCKS * EMZ_BLOCK;
  if (ahead >= n) return;
  const size_t rows = n - ahead < EMZ_BLOCK ? n - ahead : EMZ_BLOCK;
  const char *p = (const char *)(x + ahead * d), *end = (const char *)(x + (ahead + rows) * d);
  for (; p < end; p += 64) __builtin_prefetch(p, 0, 3);
}

#define EMZ_FUSED_BUFFERS                                                  \
  double xt[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK] __attribute__((aligned(64)));  \
  double lp[EMZ_MAX_COMPONENTS * EMZ_BLOCK] __attribute__((aligned(64))); \
  double totals[EMZ_MAX_COMPONENTS];                                       \
  double loglik = 0

static double EMZ_FN(mixture_estep_diag)(const double *x, size_t n, size_t d, size_t K,
                                         const double *means, const double *precisions,
                                         const double *half_log_terms, const double *log_w,
                                         double *stats) {
  EMZ_FUSED_BUFFERS;
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    int complete = transpose_block(x + start * d, nb, d, xt);
    block_logpdf_diag(xt, nb, d, K, complete, means, precisions, half_log_terms, lp);
    loglik += block_normalize(lp, nb, K, log_w);
    block_totals(lp, nb, K, totals);
    block_accumulate_diag(xt, nb, d, K, complete, lp, totals, means, stats);
  }
  return loglik;
}

static double EMZ_FN(mixture_estep_full)(const double *x, size_t n, size_t d, size_t K,
                                         const double *means, const double *inv_chols,
                                         const double *log_consts, const double *log_w,
                                         double *stats) {
  EMZ_FUSED_BUFFERS;
  double diff[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK], wdiff[EMZ_MAX_BLOCK_DIM * EMZ_BLOCK];
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    transpose_block(x + start * d, nb, d, xt);
    block_logpdf_full(xt, nb, d, K, means, inv_chols, log_consts, diff, lp);
    loglik += block_normalize(lp, nb, K, log_w);
    block_totals(lp, nb, K, totals);
    block_accumulate_full(xt, nb, d, K, lp, totals, means, diff, wdiff, stats);
  }
  return loglik;
}

static double EMZ_FN(mixture_estep_linear)(const double *x, size_t n, size_t d, size_t K,
                                           const double *a, const double *b, const double *log_w,
                                           double *stats) {
  EMZ_FUSED_BUFFERS;
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    emz_prefetch_block(x, start, n, d);
    int complete = transpose_block(x + start * d, nb, d, xt);
    block_logpdf_linear(xt, nb, d, K, complete, a, b, lp);
    loglik += block_normalize(lp, nb, K, log_w);
    block_totals(lp, nb, K, totals);
    block_accumulate_independent(xt, nb, d, K, complete, lp, totals, stats);
  }
  return loglik;
}
