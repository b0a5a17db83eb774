// Vector exp and log for the kernels, called explicitly (no -fveclib): glibc's libmvec at the
// width of the instruction set the including file is compiled for. The isa_*.c files set
// EMZ_ISA_X86_64_V4 (AVX-512: 8 lanes) or EMZ_ISA_X86_64_V3 (AVX2: 4 lanes); otherwise x86-64
// takes libmvec's SSE2 functions (2 lanes) and other architectures scalar libm, two at a time.
// Every lane is computed on its own, so a value's result never depends on its neighbours.
#ifndef EMZ_VMATH_H
#define EMZ_VMATH_H

#include <math.h>
#include <stddef.h>

#if defined(__x86_64__) && defined(EMZ_ISA_X86_64_V4)
#define EMZ_VW 8
typedef double emz_vd __attribute__((vector_size(64)));
emz_vd _ZGVeN8v_exp(emz_vd);  // libmvec's names: the x86-64 vector function ABI's mangling
emz_vd _ZGVeN8v_log(emz_vd);
#define emz_vexp _ZGVeN8v_exp
#define emz_vlog _ZGVeN8v_log
#elif defined(__x86_64__) && defined(EMZ_ISA_X86_64_V3)
#define EMZ_VW 4
typedef double emz_vd __attribute__((vector_size(32)));
emz_vd _ZGVdN4v_exp(emz_vd);
emz_vd _ZGVdN4v_log(emz_vd);
#define emz_vexp _ZGVdN4v_exp
#define emz_vlog _ZGVdN4v_log
#elif defined(__x86_64__)
#define EMZ_VW 2
typedef double emz_vd __attribute__((vector_size(16)));
emz_vd _ZGVbN2v_exp(emz_vd);
emz_vd _ZGVbN2v_log(emz_vd);
#define emz_vexp _ZGVbN2v_exp
#define emz_vlog _ZGVbN2v_log
#else
#define EMZ_VW 2
typedef double emz_vd __attribute__((vector_size(16)));
static inline emz_vd emz_vexp(emz_vd v) { return (emz_vd){exp(v[0]), exp(v[1])}; }
static inline emz_vd emz_vlog(emz_vd v) { return (emz_vd){log(v[0]), log(v[1])}; }
#endif

/// The same vector, loaded from and stored to any double-aligned address.
typedef emz_vd emz_vd_unaligned __attribute__((aligned(8)));
/// A comparison's result: all ones where true.
typedef __typeof__((emz_vd){0} < (emz_vd){0}) emz_vmask;

static inline emz_vd emz_vload(const double *p) { return *(const emz_vd_unaligned *)p; }
static inline void emz_vstore(double *p, emz_vd v) { *(emz_vd_unaligned *)p = v; }
/// mask ? a : b, lane by lane.
static inline emz_vd emz_vselect(emz_vmask mask, emz_vd a, emz_vd b) {
  return (emz_vd)(((emz_vmask)a & mask) | ((emz_vmask)b & ~mask));
}

/// exp(v), and 0 where v ≤ −700 (NaN stays NaN). The kernels exponentiate log-densities
/// relative to their row's largest: terms below e⁻⁷⁰⁰ of it change no sum, and clamping them
/// before the vector exp keeps it off its slow scalar path and subnormals out of what follows.
static inline emz_vd emz_vexp_floored(emz_vd v) {
  const emz_vd floor = (emz_vd){0} - 700.0, zero = {0};
  const emz_vmask low = v <= floor;
  return emz_vselect(low, zero, emz_vexp(emz_vselect(low, floor, v)));
}

/// a[e] ← `emz_vexp_floored`(a[e]) for e < count; a last partial vector goes through a
/// zero-padded copy (no read or write past count).
static inline void emz_exp_floored_array(double *a, size_t count) {
  size_t e = 0;
  for (; e + EMZ_VW <= count; e += EMZ_VW) emz_vstore(a + e, emz_vexp_floored(emz_vload(a + e)));
  if (e < count) {
    emz_vd v = {0};
    for (size_t l = 0; e + l < count; l++) v[l] = a[e + l];
    v = emz_vexp_floored(v);
    for (size_t l = 0; e + l < count; l++) a[e + l] = v[l];
  }
}

/// a[e] ← log a[e] for e < count (a last partial vector padded with ones).
static inline void emz_log_array(double *a, size_t count) {
  size_t e = 0;
  for (; e + EMZ_VW <= count; e += EMZ_VW) emz_vstore(a + e, emz_vlog(emz_vload(a + e)));
  if (e < count) {
    emz_vd v = (emz_vd){0} + 1.0;
    for (size_t l = 0; e + l < count; l++) v[l] = a[e + l];
    v = emz_vlog(v);
    for (size_t l = 0; e + l < count; l++) a[e + l] = v[l];
  }
}

#endif
