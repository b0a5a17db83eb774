// Responsibilities: log-sum-exp fused with normalisation.
#include "CKernels.h"

#include <math.h>

double emz_normalize_rows(double *a, size_t n, size_t K, const double *log_w) {
  double total = 0;
  for (size_t i = 0; i < n; i++) {
    double *row = a + i * K;
    double m = -INFINITY;
    for (size_t k = 0; k < K; k++) {
      row[k] += log_w[k];
      if (row[k] > m) m = row[k];
    }
    if (!(m > -INFINITY)) {
      // Impossible under every component (or NaN): the likelihood is zero (or undefined).
      for (size_t k = 0; k < K; k++) row[k] = 1.0 / (double)K;
      total += (m != m) ? NAN : -INFINITY;
      continue;
    }
    double s = 0;
    for (size_t k = 0; k < K; k++) {
      row[k] = exp(row[k] - m);
      s += row[k];
    }
    double inv = 1.0 / s;
    for (size_t k = 0; k < K; k++) row[k] *= inv;
    total += m + log(s);
  }
  return total;
}
