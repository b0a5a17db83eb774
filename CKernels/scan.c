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
// 64 bits, as long as the fit's E steps), then the entry is found inside the failing block.

size_t emz_first_not_binary(const double *x, size_t count) {
  for (size_t start = 0; start < count; start += 4096) {
    const size_t end = count - start < 4096 ? count : start + 4096;
    int bad = 0;
    for (size_t i = start; i < end; i++) bad |= !((x[i] == 0.0) | (x[i] == 1.0) | (x[i] != x[i]));
    if (!bad) continue;
    for (size_t i = start; i < end; i++)
      if (!((x[i] == 0.0) | (x[i] == 1.0) | (x[i] != x[i]))) return i;
  }
  return count;
}

/// Whether v is a valid count: an integer in [0, limit) (NaN, missing, passes). Written with
/// `floor` and compares only, so the block loop vectorises.
static inline int count_ok(double v, double limit) {
  return (v != v) | ((v >= 0.0) & (v < limit) & (__builtin_floor(v) == v));
}

size_t emz_first_not_count(const double *x, size_t count, double limit) {
  for (size_t start = 0; start < count; start += 4096) {
    const size_t end = count - start < 4096 ? count : start + 4096;
    int bad = 0;
    for (size_t i = start; i < end; i++) bad |= !count_ok(x[i], limit);
    if (!bad) continue;
    for (size_t i = start; i < end; i++)
      if (!count_ok(x[i], limit)) return i;
  }
  return count;
}

static inline int bounded_ok(double v, double bound) { return (v != v) | (__builtin_fabs(v) < bound); }

size_t emz_first_not_bounded(const double *x, size_t count, double bound) {
  for (size_t start = 0; start < count; start += 4096) {
    const size_t end = count - start < 4096 ? count : start + 4096;
    int bad = 0;
    for (size_t i = start; i < end; i++) bad |= !bounded_ok(x[i], bound);
    if (!bad) continue;
    for (size_t i = start; i < end; i++)
      if (!bounded_ok(x[i], bound)) return i;
  }
  return count;
}
