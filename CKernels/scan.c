// Whole-block scans the Swift side runs once per E step.
#include "CKernels.h"

int emz_has_nan(const double *x, size_t count) {
  // An OR over the block with no early exit per element, so the loop vectorises (whatever the
  // instruction set: a compare and an OR per vector); an exit per 4096 entries keeps a block
  // whose first rows are incomplete cheap.
  for (size_t start = 0; start < count; start += 4096) {
    const size_t end = count - start < 4096 ? count : start + 4096;
    int any = 0;
    for (size_t i = start; i < end; i++) any |= x[i] != x[i];
    if (any) return 1;
  }
  return 0;
}

size_t emz_count_byte(const uint8_t *p, size_t count, uint8_t byte) {
  // Per block of 4096 bytes into a 32-bit counter, so the compare-and-add loop vectorises.
  size_t total = 0;
  for (size_t start = 0; start < count; start += 4096) {
    const size_t end = count - start < 4096 ? count : start + 4096;
    uint32_t n = 0;
    for (size_t i = start; i < end; i++) n += p[i] == byte;
    total += n;
  }
  return total;
}

// The data checks below run once per fit over every entry (10⁷ and more), so they have the shape
// of `emz_has_nan`: a branch-free OR per block of 4096 entries (the compares of `x == 0 || x == 1`
// per entry were a mispredicted branch on every other entry of random bits: 30 ms for 200 000 ×
// 64 bits), then the entry is found inside the failing block.

/// The index of the first of the `count` values at x with `ok(x, limit)` false, or `count`.
/// Always inlined with a constant `ok`, which is inlined in turn, so each block's loop vectorises.
static inline __attribute__((always_inline)) size_t
first_failing(const double *x, size_t count, double limit, int (*ok)(double, double)) {
  for (size_t start = 0; start < count; start += 4096) {
    const size_t end = count - start < 4096 ? count : start + 4096;
    int bad = 0;
    for (size_t i = start; i < end; i++) bad |= !ok(x[i], limit);
    if (!bad) continue;
    for (size_t i = start; i < end; i++)
      if (!ok(x[i], limit)) return i;
  }
  return count;
}

/// 0, 1 or NaN (missing).
static inline int binary_ok(double v, double unused) {
  (void)unused;
  return (v == 0.0) | (v == 1.0) | (v != v);
}

/// An integer in [0, limit), or NaN (missing), for limit ≤ 2⁵²: for 0 ≤ v < 2⁵², (v + 2⁵²) − 2⁵²
/// is v rounded to an integer, so it equals v exactly when v is one (a `floor` would be a
/// library call per entry below SSE4.1, and the loop would not vectorise).
static inline int count_ok(double v, double limit) {
  const double rounded = (v + 0x1p52) - 0x1p52;
  return (v != v) | ((v >= 0.0) & (v < limit) & (rounded == v));
}

/// Of magnitude below `bound`, or NaN (missing).
static inline int bounded_ok(double v, double bound) { return (v != v) | (__builtin_fabs(v) < bound); }

size_t emz_first_not_binary(const double *x, size_t count) { return first_failing(x, count, 0, binary_ok); }

size_t emz_first_not_count(const double *x, size_t count, double limit) {
  return first_failing(x, count, limit, count_ok);
}

size_t emz_first_not_bounded(const double *x, size_t count, double bound) {
  return first_failing(x, count, bound, bounded_ok);
}
