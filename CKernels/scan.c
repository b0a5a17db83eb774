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
