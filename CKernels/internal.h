// Shared constants of the kernels (not part of the public header).
#ifndef EMZ_INTERNAL_H
#define EMZ_INTERNAL_H

/// Rows per block in the blocked kernels: a block of d ≤ EMZ_MAX_BLOCK_DIM columns fits in L1.
#define EMZ_BLOCK 64
/// Wider data falls back to row-by-row loops.
#define EMZ_MAX_BLOCK_DIM 64
/// The fused mixture E steps take at most this many components (more: the unfused path).
#define EMZ_MAX_COMPONENTS 64

#include <stddef.h>

/// Marks a loop whose iterations are independent (no dependences through memory; reductions
/// may be reassociated): what `#pragma omp simd` says, without needing -fopenmp-simd. The
/// order of a reduction then depends on the vector width, never on the number of threads.
#if defined(__clang__)
#define EMZ_SIMD _Pragma("clang loop vectorize(assume_safety)")
#else
#define EMZ_SIMD
#endif

/// xt[j*EMZ_BLOCK + r] = x[r*d + j] for r < nb (rows to columns, so the kernels' inner loops
/// run over rows); returns whether no entry is missing (NaN).
static inline int transpose_block(const double *x, size_t nb, size_t d, double *xt) {
  // The NaN check runs over the contiguous rows; fused into the transpose it made the
  // compiler emit gathers and scatters at twice the cost.
  // x − x is 0 for every finite entry and NaN for a missing one (data is finite or NaN).
  double probe = 0;
  const size_t count = nb * d;
  EMZ_SIMD
  for (size_t e = 0; e < count; e++) probe += x[e] - x[e];
  int complete = probe == probe;
  for (size_t j = 0; j < d; j++)
    for (size_t r = 0; r < nb; r++) xt[j * EMZ_BLOCK + r] = x[r * d + j];
  return complete;
}

#endif
