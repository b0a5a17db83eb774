// exp and log for the vectorised loops, in plain C: inlined into an EMZ_SIMD loop, they
// vectorise at the width of whatever instruction set the loop is compiled for, with no
// library call and no compiler flag. (Not -fveclib=libmvec: a flag. Not libmvec's
// _ZGV* functions called by hand either: clang picks the calling convention of a 256- or
// 512-bit vector argument per file, not per target attribute, so from a file compiled for
// the x86-64 baseline such a vector reaches them in memory instead of in a register.)
//
// Both stay within 1 ulp of glibc's libm on 4–8M random arguments (glibc: < 1 ulp; mean
// difference 0.1 ulp), compiled for SSE2, AVX2+FMA and AVX-512; special values are libm's
// except where noted.
#ifndef EMZ_VMATH_H
#define EMZ_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t emz_bits(double x) {
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

static inline double emz_from_bits(uint64_t u) {
  double x;
  memcpy(&x, &u, sizeof x);
  return x;
}

/// The exps' polynomial, written once for the scalar and the 8-lane versions: P(r) by Horner
/// from the highest coefficient `EMZ_EXP_P9` (`p` must hold it), the same operations in the
/// same order for a double or a vector, hence the same bits in every lane.
#define EMZ_EXP_P9 0x1.af38a9b0ec855p-26
#define EMZ_EXP_HORNER(p, r)              \
  do {                                    \
    p = p * r + 0x1.289185613a3d6p-22;    \
    p = p * r + 0x1.71de0dae63bb3p-19;    \
    p = p * r + 0x1.a019b90d2ae7ap-16;    \
    p = p * r + 0x1.a01a01a7c41d5p-13;    \
    p = p * r + 0x1.6c16c1788bd90p-10;    \
    p = p * r + 0x1.11111111109b3p-7;     \
    p = p * r + 0x1.5555555553d63p-5;     \
    p = p * r + 0x1.5555555555556p-3;     \
    p = p * r + 0x1.0000000000001p-1;     \
  } while (0)

/// e^x for x > −700, and 0 for x ≤ −700 (−∞ included); +∞ above 709.78, NaN for NaN. The
/// kernels exponentiate log-densities relative to their row's largest: terms below e⁻⁷⁰⁰ of it
/// change no sum, and zeroing them keeps subnormals out of what follows.
/// With n = round(x / ln 2) and r = x − n ln 2 (|r| ≤ ½ ln 2, Cody–Waite: n·ln2_hi is exact),
/// e^x = 2ⁿ e^r, and e^r = 1 + r + r² P(r) with P of degree 9 (Chebyshev fit to
/// (e^r − 1 − r)/r², relative error 2e-17). No conversion to an integer (which SSE2 and AVX2
/// cannot vectorise): n comes out of the low bits of x/ln 2 + 1.5·2⁵², and 2ⁿ⁻¹ is built
/// from them as a bit pattern.
static inline double emz_exp_floored(double x) {
  const double shift = 0x1.8p52, log2e = 0x1.71547652b82fep0;
  const double ln2_hi = 0x1.62e42fee00000p-1, ln2_lo = 0x1.a39ef35793c76p-33;
  double xc = x < -700.0 ? -700.0 : x;  // NaN passes
  xc = xc > 710.0 ? 710.0 : xc;         // keeps n ≤ 1024 (and e^x = +∞)
  double kd = xc * log2e + shift;
  const uint64_t ki = emz_bits(kd);  // n in the low bits
  kd -= shift;
  const double r = (xc - kd * ln2_hi) - kd * ln2_lo;
  double p = EMZ_EXP_P9;
  EMZ_EXP_HORNER(p, r);
  const double er = 1.0 + (r + r * r * p);
  const double y = (er * 2.0) * emz_from_bits((ki + 1022) << 52);  // e^r · 2 · 2ⁿ⁻¹
  return x <= -700.0 ? 0.0 : y;
}

/// log x: fdlibm's e_log.c (x = 2ᵏ(1 + f) with 1 + f in [√½, √2), log(1 + f) from
/// s = f/(2 + f) and a polynomial in s²), its normalisation done on the bit pattern, without
/// branches or integer conversions. −∞ at 0, NaN below 0 and for NaN, +∞ at +∞.
static inline double emz_log(double x) {
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const double lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01,
               lg3 = 2.857142874366239149e-01, lg4 = 2.222219843214978396e-01,
               lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01,
               lg7 = 1.479819860511658591e-01;
  const int tiny = x < 0x1p-1022;  // subnormal (scaled by 2⁵² first), zero or negative
  const uint64_t ix = emz_bits(tiny ? x * 0x1p52 : x);
  // top = k + 1024, where k makes 2⁻ᵏx fall in [√½, √2) (0x3fe6a09e667f3bcd: √½).
  const uint64_t top = (ix + (0x4000000000000000u - 0x3fe6a09e667f3bcdu)) >> 52;
  const double k = (emz_from_bits(0x4330000000000000u | top) - 0x1p52) - (tiny ? 1076.0 : 1024.0);
  const double f = emz_from_bits(ix - ((top - 1024) << 52)) - 1.0;
  const double s = f / (2.0 + f), s2 = s * s, w = s2 * s2;
  const double t1 = w * (lg2 + w * (lg4 + w * lg6));
  const double t2 = s2 * (lg1 + w * (lg3 + w * (lg5 + w * lg7)));
  const double hfsq = 0.5 * f * f;
  double y = k * ln2_hi - ((hfsq - (s * (hfsq + (t2 + t1)) + k * ln2_lo)) - f);
  y = x > 0 ? y : (x == 0 ? -INFINITY : NAN);
  return x == INFINITY ? INFINITY : y;
}

#endif
