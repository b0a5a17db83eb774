// The Bernoulli mixture E step on bit-packed rows (`emz_bits_pack`) with byte tables
// ("four Russians"): each row costs ⌈d/8⌉ lookups of K-vectors for its log-densities and
// ⌈d/4⌉ K-vector additions for its statistics, instead of d·K multiply-adds each way.
//
//   log f_k(x) = Σ_{j observed} x_j·a_kj + b_kj     (a = log p − log(1 − p), b = log(1 − p))
//              = Σ_b T[b][x byte b][k] + (complete row ? c_k : Σ_b O[b][mask byte b][k])
//
// with T[b][v][k] = Σ_{bits t of v} a_{k,8b+t}, O likewise over b, and c_k = Σ_j b_kj
// (`emz_bernoulli_byte_tables`, once per iteration; 2 KiB·K per byte position, read from L2).
// For the statistics the kernel adds each row's responsibilities to S[p][x nibble p] (and, for
// incomplete rows, to M[p][mask nibble p]); at the end of the call Σ_i r_ik x_ij =
// Σ_{v: bit t of v} S[p][v][k] for j = 4p + t. Nibbles rather than bytes there: the 16-entry
// tables (8 KiB·⌈K/8⌉ per 64 columns) stay in L1 and cost little to zero and expand per call;
// 256-entry ones were slower in spite of half the additions (measured, d = 64, K = 10).
// Row blocks of EMZ_BLOCK go through `block_normalize` like the dense kernels.
#include "CKernels.h"
#include "../blocks.h"

#include <stdint.h>
#include <string.h>

typedef long long bern_v8l __attribute__((vector_size(64), aligned(8)));
typedef _Bool bern_v8b __attribute__((ext_vector_type(8)));

/// The 8 comparison results of a lane mask as the bits of a byte (one `vcmppd` into a mask
/// register with AVX-512, compares and `pmovmskb` with SSE2). By pointer, like
/// `horizontal_sum`: a 64-byte vector argument would change the ABI with the instruction set.
static inline uint64_t bern_byte(const bern_v8l *mask) {
  bern_v8b bits = __builtin_convertvector(*mask, bern_v8b);
  uint8_t byte;
  memcpy(&byte, &bits, 1);
  return byte;
}

/// The bits of one word: entries first, first + 1, … (count ≤ 64) equal to 1, and not NaN;
/// `bad` gets the entries that are neither 0, 1 nor NaN.
static inline void bern_pack_word(const double *x, size_t count, uint64_t *one, uint64_t *seen,
                                  uint64_t *bad) {
  uint64_t o = 0, s = 0, wrong = 0;
  if (count == 64) {
    const v8d ones = {1, 1, 1, 1, 1, 1, 1, 1}, zeros = {0};
    for (size_t g = 0; g < 8; g++) {
      const v8d v = *(const v8d *)(x + 8 * g);
      const bern_v8l isOne = v == ones, isSeen = v == v, isZero = v == zeros;
      const bern_v8l isWrong = isSeen & ~isOne & ~isZero;
      o |= bern_byte(&isOne) << (8 * g);
      s |= bern_byte(&isSeen) << (8 * g);
      wrong |= bern_byte(&isWrong);
    }
  } else {
    for (size_t t = 0; t < count; t++) {
      const double v = x[t];
      o |= (uint64_t)(v == 1.0) << t;
      s |= (uint64_t)(v == v) << t;
      wrong |= (uint64_t)((v == v) & (v != 0.0) & (v != 1.0));
    }
  }
  *one = o;
  *seen = s;
  *bad |= wrong;
}

static int EMZ_FN(bits_pack)(const double *x, size_t n, size_t d, uint64_t *values,
                             uint64_t *observed) {
  const size_t W = (d + 63) / 64;
  const uint64_t last = d % 64 ? ((uint64_t)1 << (d % 64)) - 1 : ~(uint64_t)0;
  uint64_t bad = 0, missing = 0;
  for (size_t i = 0; i < n; i++) {
    for (size_t w = 0; w < W; w++) {
      const size_t count = d - 64 * w < 64 ? d - 64 * w : 64;
      bern_pack_word(x + i * d + 64 * w, count, values + i * W + w, observed + i * W + w, &bad);
      missing |= observed[i * W + w] ^ (w + 1 < W ? ~(uint64_t)0 : last);
    }
  }
  return bad ? 0 : 1 | (missing ? 2 : 0);
}

/// One block of nb ≤ EMZ_BLOCK rows, with nv = Kp/8 a constant after inlining (so the row's
/// K-vectors stay in registers): densities by lookups, responsibilities, byte sums S and M.
static inline __attribute__((always_inline)) double
bern_block(const uint64_t *values, const uint64_t *observed, size_t nb, size_t d, size_t K,
           const emz_bernoulli_tables_layout T, const double *tables, const double *log_w,
           double *S, double *M, double *counts, double *completeCounts, const size_t nv) {
  const size_t W = (d + 63) / 64, B = (d + 7) / 8, P = (d + 3) / 4;
  const uint64_t last = d % 64 ? ((uint64_t)1 << (d % 64)) - 1 : ~(uint64_t)0;
  const v8d *value = (const v8d *)(tables + T.value), *offset = (const v8d *)(tables + T.observed);
  const v8d *complete_offset = (const v8d *)(tables + T.complete);
  double lp[EMZ_MAX_COMPONENTS * EMZ_BLOCK] __attribute__((aligned(64)));
  char complete[EMZ_BLOCK];
  for (size_t r = 0; r < nb; r++) {
    const uint64_t *x = values + r * W;
    int full = 1;
    if (observed) {
      const uint64_t *m = observed + r * W;
      for (size_t w = 0; w + 1 < W; w++) full &= m[w] == ~(uint64_t)0;
      full &= m[W - 1] == last;
    }
    complete[r] = (char)full;
    v8d acc[EMZ_MAX_COMPONENTS / 8];
    for (size_t v = 0; v < nv; v++) acc[v] = full ? complete_offset[v] : (v8d){0};
    for (size_t b = 0; b < B; b++) {
      const size_t byte = (size_t)(x[b / 8] >> (8 * (b % 8))) & 0xFF;
      const v8d *t = value + (b * 256 + byte) * nv;
      for (size_t v = 0; v < nv; v++) acc[v] += t[v];
    }
    if (!full) {
      const uint64_t *m = observed + r * W;
      for (size_t b = 0; b < B; b++) {
        const size_t byte = (size_t)(m[b / 8] >> (8 * (b % 8))) & 0xFF;
        const v8d *t = offset + (b * 256 + byte) * nv;
        for (size_t v = 0; v < nv; v++) acc[v] += t[v];
      }
    }
    const double *a = (const double *)acc;
    for (size_t k = 0; k < K; k++) lp[k * EMZ_BLOCK + r] = a[k];
  }
  const double loglik = block_normalize(lp, nb, K, log_w);
  // The block's responsibility totals of complete and incomplete rows, in registers.
  v8d completeTotal[EMZ_MAX_COMPONENTS / 8], incompleteTotal[EMZ_MAX_COMPONENTS / 8];
  for (size_t v = 0; v < nv; v++) completeTotal[v] = incompleteTotal[v] = (v8d){0};
  for (size_t r = 0; r < nb; r++) {
    v8d resp[EMZ_MAX_COMPONENTS / 8];
    double *rr = (double *)resp;
    for (size_t k = 0; k < nv * 8; k++) rr[k] = k < K ? lp[k * EMZ_BLOCK + r] : 0;
    const v8d isComplete = complete[r] ? (v8d){1, 1, 1, 1, 1, 1, 1, 1} : (v8d){0};
    for (size_t v = 0; v < nv; v++) {
      completeTotal[v] += isComplete * resp[v];
      incompleteTotal[v] += resp[v] - isComplete * resp[v];
    }
    const uint64_t *x = values + r * W;
    for (size_t p = 0; p < P; p++) {
      const size_t nibble = (size_t)(x[p / 16] >> (4 * (p % 16))) & 0xF;
      v8d *s = (v8d *)(S + (p * 16 + nibble) * nv * 8);
      for (size_t v = 0; v < nv; v++) s[v] += resp[v];
    }
    if (!complete[r]) {
      const uint64_t *m = observed + r * W;
      for (size_t p = 0; p < P; p++) {
        const size_t nibble = (size_t)(m[p / 16] >> (4 * (p % 16))) & 0xF;
        v8d *s = (v8d *)(M + (p * 16 + nibble) * nv * 8);
        for (size_t v = 0; v < nv; v++) s[v] += resp[v];
      }
    }
  }
  const double *c = (const double *)completeTotal, *i = (const double *)incompleteTotal;
  for (size_t k = 0; k < K; k++) {
    completeCounts[k] += c[k];
    counts[k] += i[k];
  }
  return loglik;
}

static double EMZ_FN(bernoulli_mixture_estep_packed)(const uint64_t *values, const uint64_t *observed,
                                                     size_t n, size_t d, size_t K,
                                                     const double *tables, const double *log_w,
                                                     double *work, double *stats) {
  const emz_bernoulli_tables_layout T = emz_bernoulli_tables_layout_make(d, K, observed != NULL);
  const size_t Kp = T.stride, W = (d + 63) / 64;
  const emz_independent_layout L = emz_independent_layout_make(d);
  // S (and M for incomplete rows): P·16 K-vectors each in `work`, zeroed once per call.
  const size_t P = (d + 3) / 4, tableDoubles = P * 16 * Kp;
  double *S = work, *M = observed ? work + tableDoubles : NULL;
  memset(work, 0, (observed ? 2 : 1) * tableDoubles * sizeof(double));
  double counts[EMZ_MAX_COMPONENTS] = {0}, completeCounts[EMZ_MAX_COMPONENTS] = {0};
  double loglik = 0;
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    const size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    const uint64_t *x = values + start * W, *m = observed ? observed + start * W : NULL;
#define EMZ_BERN_CASE(NV)                                                                       \
  case NV:                                                                                     \
    loglik += bern_block(x, m, nb, d, K, T, tables, log_w, S, M, counts, completeCounts, NV); \
    break;
    switch (Kp / 8) {
      EMZ_BERN_CASE(1)
      EMZ_BERN_CASE(2)
      EMZ_BERN_CASE(3)
      EMZ_BERN_CASE(4)
      EMZ_BERN_CASE(5)
      EMZ_BERN_CASE(6)
      EMZ_BERN_CASE(7)
      default:
        loglik += bern_block(x, m, nb, d, K, T, tables, log_w, S, M, counts, completeCounts, 8);
    }
#undef EMZ_BERN_CASE
  }
  // Expand the nibble sums into the per-column statistics of `emz_independent_layout`:
  // Σ_i r_ik x_ij = Σ_{v: bit t of v} S[p][v][k] for j = 4p + t.
  for (size_t k = 0; k < K; k++) stats[k * L.stride + L.count] += completeCounts[k] + counts[k];
  for (size_t p = 0; p < P; p++) {
    for (size_t t = 0; t < 4 && 4 * p + t < d; t++) {
      const size_t j = 4 * p + t;
      double sums[EMZ_MAX_COMPONENTS] = {0}, seen[EMZ_MAX_COMPONENTS] = {0};
      for (size_t v = (size_t)1 << t; v < 16; v = (v + 1) | ((size_t)1 << t)) {
        const double *s = S + (p * 16 + v) * Kp;
        for (size_t k = 0; k < K; k++) sums[k] += s[k];
        if (M) {
          const double *o = M + (p * 16 + v) * Kp;
          for (size_t k = 0; k < K; k++) seen[k] += o[k];
        }
      }
      for (size_t k = 0; k < K; k++) {
        double *s = stats + k * L.stride;
        s[L.sum + j] += sums[k];
        s[L.observed + j] += M ? completeCounts[k] + seen[k] : completeCounts[k];
      }
    }
  }
  return loglik;
}
