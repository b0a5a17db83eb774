// The kernels for x86-64-v4: AVX-512 (F, BW, CD, DQ, VL) on top of x86-64-v3. dispatch.c
// calls them only when the CPU (and the OS) support all of it.
#include "CKernels.h"
#include "dispatch.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>  // every system header before the target region below

#if defined(__x86_64__)
#include <immintrin.h>
/// vmath8.h may use AVX-512 instructions the vector extensions cannot express (vscalefpd).
#define EMZ_AVX512 1
#define EMZ_FN(name) name##_x86_64_v4
// min_vector_width(512): the 8-double register blocks (v8d in blocks.h, v8s in hmm.h) stay
// in zmm registers. Without it the x86-64-v4 tuning, which prefers 256-bit vectors (kept
// for the vectorised loops), splits every 512-bit vector in two.
#pragma clang attribute push(__attribute__((target("arch=x86-64-v4"), min_vector_width(512))), \
                             apply_to = function)
#include "kernels.h"
#pragma clang attribute pop

EMZ_KERNEL_TABLE(emz_kernels_x86_64_v4, "x86-64-v4");
#endif
