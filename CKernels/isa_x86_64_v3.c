// The kernels for x86-64-v3: AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE. dispatch.c calls them
// only when the CPU (and the OS) support all of it.
#include "CKernels.h"
#include "dispatch.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>  // every system header before the target region below

#if defined(__x86_64__)
#define EMZ_FN(name) name##_x86_64_v3
#pragma clang attribute push(__attribute__((target("arch=x86-64-v3"))), apply_to = function)
#include "kernels.h"
#pragma clang attribute pop

EMZ_KERNEL_TABLE(emz_kernels_x86_64_v3, "x86-64-v3");
#endif
