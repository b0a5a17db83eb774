// Missing-value patterns of rows, and per-pattern residual sums (missing-data regression).
#include "CKernels.h"

static void EMZ_FN(missing_pattern_bits)(const double *x, size_t n, size_t width,
                                         const int32_t *order, size_t D, uint64_t *bits) {
  for (size_t i = 0; i < n; i++) {
    const double *row = x + i * width;
    uint64_t b = 0;
    for (size_t a = 0; a < D; a++) {
      double v = row[order[a]];
      b |= (uint64_t)(v == v) << a;
    }
    bits[i] = b;
  }
}

static void EMZ_FN(pattern_residual_sums)(const double *x, size_t n, size_t width,
                                          const int32_t *group_of_row, const int32_t *columns,
                                          const double *means,
                                          const int32_t *coordinate_start, const int32_t *sizes,
                                          const int32_t *sum_start, double *counts, double *sums) {
  double r[64];
  for (size_t i = 0; i < n; i++) {
    const double *row = x + i * width;
    const int32_t g = group_of_row[i];
    const int32_t start = coordinate_start[g], o = sizes[g];
    double *sum = sums + sum_start[g], *squares = sum + o;
    counts[g] += 1;
    for (int32_t a = 0; a < o; a++) {
      r[a] = row[columns[start + a]] - means[start + a];
      sum[a] += r[a];
    }
    for (int32_t a = 0; a < o; a++) {
      const double ra = r[a];
      double *sa = squares + a * o;
      for (int32_t b = 0; b <= a; b++) sa[b] += ra * r[b];
    }
  }
}
