// Every dispatched kernel (dispatch.h), for one instruction set. Included once by each
// isa_*.c, which first includes the system headers, defines EMZ_FN(name) (the copy's name:
// name plus the level), and opens a `#pragma clang attribute` target region around this
// file; then EMZ_KERNEL_TABLE names the copy's functions. The kernels are `static`: only
// the tables leave those files.
#ifndef EMZ_KERNELS_H
#define EMZ_KERNELS_H

#ifndef EMZ_FN
#error "kernels.h is included by the isa_*.c files, which define EMZ_FN"
#endif

#include "dispatch.h"
#include "internal.h"
#include "vmath.h"
#include "blocks.h"

#include "kernels/bernoulli.h"
#include "kernels/discrete.h"
#include "kernels/estep.h"
#include "kernels/gaussian.h"
#include "kernels/hmm.h"
#include "kernels/hmm_gaussian.h"
#include "kernels/hmm_linear.h"
#include "kernels/mixture.h"
#include "kernels/patterns.h"

#endif
