// The byte tables of the packed Bernoulli mixture E step, once per iteration (the packing and
// the E step itself are dispatched: kernels/bernoulli.h).
#include "CKernels.h"

#include <stdint.h>
#include <string.h>

/// Entry v: 1.0 in lane t where bit t of v is set, else 0.0 (the packed E step's statistics
/// multiply a row's responsibility by the 0/1 lanes of each byte of its bits).
#define EMZ_BIT_LANES(v) \
  {(v) & 1, (v) >> 1 & 1, (v) >> 2 & 1, (v) >> 3 & 1, (v) >> 4 & 1, (v) >> 5 & 1, (v) >> 6 & 1, (v) >> 7 & 1}
#define EMZ_BIT_LANES4(v) EMZ_BIT_LANES(v), EMZ_BIT_LANES(v + 1), EMZ_BIT_LANES(v + 2), EMZ_BIT_LANES(v + 3)
#define EMZ_BIT_LANES16(v) EMZ_BIT_LANES4(v), EMZ_BIT_LANES4(v + 4), EMZ_BIT_LANES4(v + 8), EMZ_BIT_LANES4(v + 12)
#define EMZ_BIT_LANES64(v) \
  EMZ_BIT_LANES16(v), EMZ_BIT_LANES16(v + 16), EMZ_BIT_LANES16(v + 32), EMZ_BIT_LANES16(v + 48)
const double emz_bernoulli_bit_lanes[256][8] __attribute__((aligned(64))) = {
  EMZ_BIT_LANES64(0), EMZ_BIT_LANES64(64), EMZ_BIT_LANES64(128), EMZ_BIT_LANES64(192)};

/// T[b][v] = T[b][v without its highest bit] + w[8b + that bit], for the components k0 …
/// k0 + width − 1 (0 past K): one vector addition per entry, and each entry's terms added in
/// increasing order of the bit.
static void byte_table(size_t d, size_t K, size_t k0, size_t width, const double *w, double *table) {
  const size_t B = (d + 7) / 8;
  double column[8][64];  // the byte's 8 columns as padded vectors (0 past K and past d)
  for (size_t b = 0; b < B; b++) {
    for (size_t t = 0; t < 8; t++)
      for (size_t k = 0; k < width; k++)
        column[t][k] = (k0 + k < K && 8 * b + t < d) ? w[(k0 + k) * d + 8 * b + t] : 0;
    double *entries = table + b * 256 * width;
    memset(entries, 0, width * sizeof(double));
    for (size_t high = 0; high < 8; high++) {
      const size_t bit = (size_t)1 << high;
      for (size_t v = bit; v < 2 * bit; v++) {
        const double *lower = entries + (v ^ bit) * width, *add = column[high];
        double *entry = entries + v * width;
        for (size_t k = 0; k < width; k++) entry[k] = lower[k] + add[k];
      }
    }
  }
}

void emz_bernoulli_byte_tables(size_t d, size_t K, const double *a, const double *b,
                               int with_missing, double *buffer) {
  const emz_bernoulli_tables_layout L = emz_bernoulli_tables_layout_make(d, K, with_missing);
  // Every double of the buffer gets a value, the alignment padding too, so that two buffers of
  // the same tables compare equal (a NaN left in the padding of uninitialised memory did not).
  memset(buffer, 0, L.total * sizeof(double));
  const uintptr_t after = (uintptr_t)(buffer + 1), boundary = (after + 63) & ~(uintptr_t)63;
  buffer[0] = (double)(1 + (boundary - after) / sizeof(double));
  double *tables = buffer + (size_t)buffer[0];
  byte_table(d, K, 0, L.stride, a, tables + L.value);
  byte_table(d, K, L.stride, L.tail, a, tables + L.value_tail);
  if (with_missing) {
    byte_table(d, K, 0, L.stride, b, tables + L.observed);
    byte_table(d, K, L.stride, L.tail, b, tables + L.observed_tail);
  }
  double *c = tables + L.complete;
  for (size_t k = 0; k < L.stride + L.tail; k++) {
    double total = 0;
    if (k < K)
      for (size_t j = 0; j < d; j++) total += b[k * d + j];
    c[k] = total;
  }
}
