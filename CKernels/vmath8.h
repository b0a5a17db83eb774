// exp and log on eight lanes at once, for kernels that hold their data in explicit 8-double
// vectors (the register-blocked block kernels, the HMM's state vectors): the same operations
// in the same order as `emz_exp_floored` and `emz_log` (vmath.h), so each lane gives the
// scalar function's result bit for bit under the same instruction set (FMA contraction
// included). Written with vector extensions, not intrinsics: each isa_*.c copy compiles them
// at its own width (one AVX-512 register, two AVX2 or four SSE2 registers). A lane-wise
// choice is a compare mask and a bit select, since C has no vector `?:`.
#ifndef EMZ_VMATH8_H
#define EMZ_VMATH8_H

#include "vmath.h"

#include <stdint.h>

/// Eight doubles (any alignment of the memory they come from is fine: loads are unaligned).
typedef double emz_v8 __attribute__((vector_size(64), aligned(8)));
/// Eight 64-bit integers: bit patterns and comparison masks (−1 true, 0 false) of emz_v8.
typedef int64_t emz_v8i __attribute__((vector_size(64), aligned(8)));

/// The same as unsigned integers (the bit arithmetic, with the scalar code's wrap-around).
typedef uint64_t emz_v8u __attribute__((vector_size(64), aligned(8)));

/// mask ? a : b, lane by lane. (Macros, not functions: a function taking or returning a
/// 64-byte vector by value changes its calling convention with the instruction set.)
#define emz_v8_select(mask, a, b) \
  ((emz_v8)(((emz_v8i)(mask) & (emz_v8i)(a)) | (~(emz_v8i)(mask) & (emz_v8i)(b))))
/// v in every lane (v is evaluated once per lane: pass a constant or a variable).
#define emz_v8_splat(v) ((emz_v8){(v), (v), (v), (v), (v), (v), (v), (v)})

/// The common part of the two exps below: e^x from the argument clamped to [−700, 710]
/// (`xc`, NaN passed through), and 0 where x ≤ −700.
static inline __attribute__((always_inline)) void emz_v8_exp_from_clamped(emz_v8 *out,
                                                                         const emz_v8 *x,
                                                                         const emz_v8 *xc) {
  const double shift = 0x1.8p52, log2e = 0x1.71547652b82fep0;
  const double ln2_hi = 0x1.62e42fee00000p-1, ln2_lo = 0x1.a39ef35793c76p-33;
  emz_v8 kd = *xc * log2e + shift;
  const emz_v8u ki = (emz_v8u)kd;  // n in the low bits
  kd -= shift;
  const emz_v8 r = (*xc - kd * ln2_hi) - kd * ln2_lo;
  emz_v8 p = emz_v8_splat(EMZ_EXP_P9);
  EMZ_EXP_HORNER(p, r);
  const emz_v8 er = 1.0 + (r + r * r * p);
  const emz_v8 y = (er * 2.0) * (emz_v8)((ki + 1022) << 52);  // e^r · 2 · 2ⁿ⁻¹
  *out = emz_v8_select(*x <= -700.0, emz_v8_splat(0.0), y);
}

/// `emz_exp_floored` on every lane (e^x for x > −700, 0 for x ≤ −700, +∞ above 709.78, NaN
/// for NaN). By pointer: a 64-byte vector passed by value would change the calling
/// convention with the instruction set (-Wpsabi).
static inline __attribute__((always_inline)) void emz_v8_exp_floored(emz_v8 *out,
                                                                    const emz_v8 *x) {
  emz_v8 xc = emz_v8_select(*x < -700.0, emz_v8_splat(-700.0), *x);  // NaN passes
  xc = emz_v8_select(xc > 710.0, emz_v8_splat(710.0), xc);            // n ≤ 1024 (e^x = +∞)
  emz_v8_exp_from_clamped(out, x, &xc);
}

/// `emz_v8_exp_floored` for arguments x ≤ 0 (or NaN) only, such as log-densities minus
/// their maximum: the same results without the clamp against overflow.
static inline __attribute__((always_inline)) void emz_v8_exp_nonpositive(emz_v8 *out,
                                                                        const emz_v8 *x) {
#if defined(EMZ_AVX512)
  // AVX-512: 2ⁿ·e^r by vscalefpd (one instruction for the exponent bits, the two products and
  // the clamp), with the lanes x ≤ −700 zeroed by its mask (a NaN lane compares false and
  // stays NaN; there the unclamped reduction may be garbage, but it is masked). For
  // −700 < x ≤ 0 the result is normal, so e^r·2ⁿ is exact either way: the same bits as the
  // portable code.
  const double shift = 0x1.8p52, log2e = 0x1.71547652b82fep0;
  const double ln2_hi = 0x1.62e42fee00000p-1, ln2_lo = 0x1.a39ef35793c76p-33;
  emz_v8 kd = *x * log2e + shift;
  kd -= shift;
  const emz_v8 r = (*x - kd * ln2_hi) - kd * ln2_lo;
  emz_v8 p = emz_v8_splat(EMZ_EXP_P9);
  EMZ_EXP_HORNER(p, r);
  const emz_v8 er = 1.0 + (r + r * r * p);
  const __mmask8 keep = _mm512_cmp_pd_mask((__m512d)*x, _mm512_set1_pd(-700.0), _CMP_NLE_UQ);
  *out = (emz_v8)_mm512_maskz_scalef_pd(keep, (__m512d)er, (__m512d)kd);
#else
  const emz_v8 xc = emz_v8_select(*x < -700.0, emz_v8_splat(-700.0), *x);  // NaN passes
  emz_v8_exp_from_clamped(out, x, &xc);
#endif
}

/// `emz_log` on every lane (fdlibm's e_log.c; −∞ at 0, NaN below 0 and for NaN, +∞ at +∞).
static inline __attribute__((always_inline)) void emz_v8_log(emz_v8 *out, const emz_v8 *in) {
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const double lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01,
               lg3 = 2.857142874366239149e-01, lg4 = 2.222219843214978396e-01,
               lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01,
               lg7 = 1.479819860511658591e-01;
  const emz_v8 x = *in;
  const emz_v8i tiny = x < 0x1p-1022;  // subnormal (scaled by 2⁵² first), zero or negative
  const emz_v8u ix = (emz_v8u)emz_v8_select(tiny, x * 0x1p52, x);
  // top = k + 1024, where k makes 2⁻ᵏx fall in [√½, √2) (0x3fe6a09e667f3bcd: √½).
  const emz_v8u top = (ix + (0x4000000000000000u - 0x3fe6a09e667f3bcdu)) >> 52;
  const emz_v8 k = ((emz_v8)(top | 0x4330000000000000) - 0x1p52) -
                   emz_v8_select(tiny, emz_v8_splat(1076.0), emz_v8_splat(1024.0));
  const emz_v8 f = (emz_v8)(ix - ((top - 1024) << 52)) - 1.0;
  const emz_v8 s = f / (2.0 + f), s2 = s * s, w = s2 * s2;
  const emz_v8 t1 = w * (lg2 + w * (lg4 + w * lg6));
  const emz_v8 t2 = s2 * (lg1 + w * (lg3 + w * (lg5 + w * lg7)));
  const emz_v8 hfsq = 0.5 * f * f;
  emz_v8 y = k * ln2_hi - ((hfsq - (s * (hfsq + (t2 + t1)) + k * ln2_lo)) - f);
  y = emz_v8_select(x > 0, y, emz_v8_select(x == 0, emz_v8_splat(-INFINITY), emz_v8_splat(NAN)));
  *out = emz_v8_select(x == INFINITY, emz_v8_splat(INFINITY), y);
}

#endif
