// Responsibilities: log-sum-exp fused with normalisation.
#include "CKernels.h"
#include "../internal.h"
#include "../vmath.h"

#include <math.h>

static double EMZ_FN(normalize_rows)(double *a, size_t n, size_t K, const double *log_w) {
  // Pass 1: add the log-weights and shift each row by its maximum (kept in `shift`).
  // Pass 2: one long vectorised exp over the whole block (vmath.h).
  // Pass 3: row sums, normalisation, and ℓᵢ = shiftᵢ + log Σₖ.
  enum { CHUNK = 256 };
  double total = 0;
  double shift[CHUNK], sums[CHUNK], logs[CHUNK];
  for (size_t start = 0; start < n; start += CHUNK) {
    size_t nb = n - start < CHUNK ? n - start : CHUNK;
    double *block = a + start * K;
    int impossible = 0;
    for (size_t r = 0; r < nb; r++) {
      double *row = block + r * K;
      double m = -INFINITY;
      for (size_t k = 0; k < K; k++) {
        row[k] += log_w[k];
        if (row[k] > m) m = row[k];
      }
      if (!(m > -INFINITY)) {
        // Impossible under every component (or NaN): the likelihood is zero (or undefined).
        impossible = 1;
        total += (m != m) ? NAN : -INFINITY;
        for (size_t k = 0; k < K; k++) row[k] = 0;  // exp(0) = 1, then uniform after normalising
        m = 0;
      }
      shift[r] = m;
      for (size_t k = 0; k < K; k++) row[k] -= m;
    }
    size_t count = nb * K;
    EMZ_SIMD
    for (size_t e = 0; e < count; e++) block[e] = emz_exp_floored(block[e]);  // 0 below e⁻⁷⁰⁰
    for (size_t r = 0; r < nb; r++) {
      double s = 0;
      for (size_t k = 0; k < K; k++) s += block[r * K + k];
      sums[r] = s;
    }
    EMZ_SIMD
    for (size_t r = 0; r < nb; r++) logs[r] = emz_log(sums[r]);
    for (size_t r = 0; r < nb; r++) {
      double inv = 1.0 / sums[r];
      double *row = block + r * K;
      for (size_t k = 0; k < K; k++) row[k] *= inv;
    }
    double local = 0;
    for (size_t r = 0; r < nb; r++) local += shift[r] + logs[r];
    if (!impossible) total += local;
  }
  return total;
}
