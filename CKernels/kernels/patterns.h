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

/// squares[a*o + b] += r[a] r[b] for b ≤ a < o.
static inline __attribute__((always_inline)) void add_lower_outer(double *squares, const double *r,
                                                                 int32_t o) {
  for (int32_t a = 0; a < o; a++) {
    const double ra = r[a];
    double *sa = squares + a * o;
    for (int32_t b = 0; b <= a; b++) sa[b] += ra * r[b];
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
    const emz_residual_sums_layout L = emz_residual_sums_layout_make((size_t)o);
    double *sum = sums + sum_start[g] + L.sum, *squares = sums + sum_start[g] + L.squares;
    counts[g] += 1;
    for (int32_t a = 0; a < o; a++) {
      r[a] = row[columns[start + a]] - means[start + a];
      sum[a] += r[a];
    }
    switch (o) {  // small groups with their size a constant: fully unrolled
      case 1: add_lower_outer(squares, r, 1); break;
      case 2: add_lower_outer(squares, r, 2); break;
      case 3: add_lower_outer(squares, r, 3); break;
      case 4: add_lower_outer(squares, r, 4); break;
      case 5: add_lower_outer(squares, r, 5); break;
      case 6: add_lower_outer(squares, r, 6); break;
      case 7: add_lower_outer(squares, r, 7); break;
      case 8: add_lower_outer(squares, r, 8); break;
      default: add_lower_outer(squares, r, o); break;
    }
  }
}
