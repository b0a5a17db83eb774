// The kernels for the compiler's baseline target (x86-64: SSE2 only), on every CPU and
// architecture; dispatch.c's fallback.
#include "CKernels.h"
#include "dispatch.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define EMZ_FN(name) name##_baseline
#include "kernels.h"

EMZ_KERNEL_TABLE(emz_kernels_baseline, "baseline");
