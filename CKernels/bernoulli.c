// The byte tables of the packed Bernoulli mixture E step, once per iteration (the packing and
// the E step itself are dispatched: kernels/bernoulli.h).
#include "CKernels.h"

#include <string.h>

/// T[b][v] = T[b][v without its highest bit] + w[8b + that bit]: one K-vector addition per
/// entry, and each entry's terms added in increasing order of the bit.
static void byte_table(size_t d, size_t K, size_t Kp, const double *w, double *table) {
  const size_t B = (d + 7) / 8;
  double column[8][64];  // the byte's 8 columns as padded K-vectors (0 past K and past d)
  for (size_t b = 0; b < B; b++) {
    for (size_t t = 0; t < 8; t++)
      for (size_t k = 0; k < Kp; k++) column[t][k] = (k < K && 8 * b + t < d) ? w[k * d + 8 * b + t] : 0;
    double *entries = table + b * 256 * Kp;
    memset(entries, 0, Kp * sizeof(double));
    for (size_t high = 0; high < 8; high++) {
      const size_t bit = (size_t)1 << high;
      for (size_t v = bit; v < 2 * bit; v++) {
        const double *lower = entries + (v ^ bit) * Kp, *add = column[high];
        double *entry = entries + v * Kp;
        for (size_t k = 0; k < Kp; k++) entry[k] = lower[k] + add[k];
      }
    }
  }
}

void emz_bernoulli_byte_tables(size_t d, size_t K, const double *a, const double *b,
                               int with_missing, double *tables) {
  const emz_bernoulli_tables_layout L = emz_bernoulli_tables_layout_make(d, K, with_missing);
  byte_table(d, K, L.stride, a, tables + L.value);
  if (with_missing) byte_table(d, K, L.stride, b, tables + L.observed);
  double *c = tables + L.complete;
  for (size_t k = 0; k < L.stride; k++) {
    double total = 0;
    if (k < K)
      for (size_t j = 0; j < d; j++) total += b[k * d + j];
    c[k] = total;
  }
}
