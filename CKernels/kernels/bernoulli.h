// The Bernoulli mixture E step on bit-packed rows (`emz_bits_pack`) with byte tables
// ("four Russians") for the densities and register-tiled multiply-adds for the statistics:
//
//   log f_k(x) = Σ_{j observed} x_j·a_kj + b_kj     (a = log p − log(1 − p), b = log(1 − p))
//              = Σ_b T[b][x byte b][k] + (complete row ? c_k : Σ_b O[b][mask byte b][k])
//
// with T[b][v][k] = Σ_{bits t of v} a_{k,8b+t}, O likewise over b, and c_k = Σ_j b_kj
// (`emz_bernoulli_byte_tables`, once per iteration; read from L2, K split into 8-lane vectors
// and a 2- or 4-lane tail so that K = 10 reads 80 bytes a lookup, not 128, and the tables start
// on a 64-byte boundary so that an 8-lane entry is one cache line): ⌈d/8⌉ lookups a row.
// The statistics Σ_i r_ik x_ij (and Σ_i r_ik [x_ij observed] in blocks with a missing entry):
// with AVX-512 they are dense, but x_ij is 0 or 1: each byte of a row becomes eight 0.0/1.0
// lanes (one load from `emz_bernoulli_bit_lanes`), and a tile of 2 bytes × up to 12 components
// keeps its 8-column sums in registers over the block's rows, one multiply-add (exact: 0 or r)
// per lane: d·K/8 vector multiply-adds a row and no stores, against ⌈d/4⌉·⌈K/8⌉
// read-modify-writes of nibble tables, which were fewer but cost 1.5× as much (d = 64, K = 10).
// Without AVX-512 (16 registers, vectors of 4 or 2 doubles) the tiles would be small and the
// multiply-adds 2–4 times as many instructions, so the kernels there keep the nibble tables:
// each row adds its responsibilities to S[p][x nibble p], and Σ_i r_ik x_ij =
// Σ_{v: bit t of v} S[p][v][k] for j = 4p + t at the end of the call. Either way each column
// adds its rows in the same order whatever the thread count (chunks are summed in order
// outside), and with AVX-512 the densities go to the k-major block 8 rows at a time by
// shuffles in registers (8 × 8 transposes, and 8 × 2 or 8 × 4 for the tail) instead of lane
// by lane.
// Row blocks of EMZ_BLOCK go through `block_normalize` like the dense kernels.
#include "CKernels.h"
#include "../blocks.h"

#include <stdint.h>
#include <string.h>

/// 256 × 8 doubles: the bits of a byte as 0.0/1.0 lanes (CKernels/bernoulli.c).
extern const double emz_bernoulli_bit_lanes[256][8];

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

/// With AVX-512: the tile of one pass of `bern_sums_pass`, G 8-column groups (of one 64-column
/// word) by up to S components, G·S accumulators and G groups of 0/1 lanes in registers
/// (2 × 12 + 2 of the 32).
#if defined(EMZ_AVX512)
#define EMZ_BERN_GROUPS 2
#define EMZ_BERN_STATES 12

/// Σ_r w[k][r]·bit(8g + t of words[r]) for the columns of word w, groups g0 … g0 + G − 1 and
/// components k0 … k0 + S − 1, added to sums[(k·W + w)·64 + 8g + t]: the 0/1 lanes of a byte
/// come from `emz_bernoulli_bit_lanes`, each is multiplied by the row's broadcast
/// responsibility (exact: 0 or r) and added in row order.
static inline __attribute__((always_inline)) void
bern_sums_pass(const uint64_t *words, size_t W, size_t w, size_t nb, const double *lp, size_t k0,
               double *sums, const size_t g0, const size_t G, const size_t S) {
  v8d acc[EMZ_BERN_STATES][EMZ_BERN_GROUPS];
  for (size_t s = 0; s < S; s++)
    for (size_t g = 0; g < G; g++) acc[s][g] = *(const v8d *)(sums + ((k0 + s) * W + w) * 64 + 8 * (g0 + g));
  const double *resp = lp + k0 * EMZ_BLOCK;
  for (size_t r = 0; r < nb; r++) {
    const uint64_t x = words[r * W + w] >> (8 * g0);
    v8d lanes[EMZ_BERN_GROUPS];
    for (size_t g = 0; g < G; g++) lanes[g] = *(const v8d *)emz_bernoulli_bit_lanes[(x >> (8 * g)) & 0xFF];
    for (size_t s = 0; s < S; s++) {
      const double b = resp[s * EMZ_BLOCK + r];
      for (size_t g = 0; g < G; g++) acc[s][g] += lanes[g] * b;
    }
  }
  for (size_t s = 0; s < S; s++)
    for (size_t g = 0; g < G; g++) *(v8d *)(sums + ((k0 + s) * W + w) * 64 + 8 * (g0 + g)) = acc[s][g];
}

/// `bern_sums_pass` with the tile's group count G a constant.
static inline __attribute__((always_inline)) void
bern_sums_states(const uint64_t *words, size_t W, size_t w, size_t nb, const double *lp, size_t k0,
                 size_t S, double *sums, size_t g0, const size_t G) {
  switch (S) {
#define EMZ_BERN_S(SS) \
  case SS:             \
    bern_sums_pass(words, W, w, nb, lp, k0, sums, g0, G, SS); \
    break;
    EMZ_BERN_S(1)
    EMZ_BERN_S(2)
    EMZ_BERN_S(3)
    EMZ_BERN_S(4)
    EMZ_BERN_S(5)
    EMZ_BERN_S(6)
    EMZ_BERN_S(7)
    EMZ_BERN_S(8)
    EMZ_BERN_S(9)
    EMZ_BERN_S(10)
    EMZ_BERN_S(11)
    EMZ_BERN_S(12)
#undef EMZ_BERN_S
  }
}

/// Σ_r w_kr x_rj of a block for every component and column into sums[(k·W + w)·64 + j % 64]
/// (j = 64w + …), by tiles of `bern_sums_pass` over the block's rows. The components are split
/// into equal groups of at most EMZ_BERN_STATES.
static inline void bern_sums(const uint64_t *words, size_t W, size_t d, size_t nb, size_t K,
                             const double *lp, double *sums) {
  const size_t passes = (K + EMZ_BERN_STATES - 1) / EMZ_BERN_STATES;
  const size_t S = (K + passes - 1) / passes;
  for (size_t w = 0; w < W; w++) {
    const size_t bytes = d - 64 * w >= 64 ? 8 : (d - 64 * w + 7) / 8;  // the word's used bytes
    for (size_t g0 = 0; g0 < bytes; g0 += EMZ_BERN_GROUPS)
      for (size_t k = 0; k < K; k += S) {
        const size_t states = K - k < S ? K - k : S;
        if (bytes - g0 < EMZ_BERN_GROUPS) {
          bern_sums_states(words, W, w, nb, lp, k, states, sums, g0, 1);
          continue;
        }
        bern_sums_states(words, W, w, nb, lp, k, states, sums, g0, EMZ_BERN_GROUPS);
      }
  }
}
#endif

#if !defined(EMZ_AVX512)
/// Without AVX-512 (16 vector registers: the multiply-add tiles of `bern_sums` would be 1 × 5 or
/// 1 × 2 and cost 8·K/8 vector multiply-adds a byte, twice or four times over at 256 or 128
/// bits), the statistics are sums of the responsibilities per value of each 4-bit nibble:
/// each row adds its K-vector (Kp = nvp·8 lanes) to S[p][x nibble p] for the ⌈d/4⌉ nibbles p,
/// and `bern_nibbles_expand` turns S into the column sums at the end of the call.
static inline __attribute__((always_inline)) void
bern_nibbles_add(const uint64_t *words, size_t W, size_t d, size_t nb, size_t K, const double *lp,
                 double *S, const size_t nvp) {
  const size_t P = (d + 3) / 4;
  for (size_t r = 0; r < nb; r++) {
    v8d resp[EMZ_MAX_COMPONENTS / 8];
    double *rr = (double *)resp;
    for (size_t k = 0; k < nvp * 8; k++) rr[k] = k < K ? lp[k * EMZ_BLOCK + r] : 0;
    const uint64_t *x = words + r * W;
    for (size_t p = 0; p < P; p++) {
      const size_t nibble = (size_t)(x[p / 16] >> (4 * (p % 16))) & 0xF;
      v8d *s = (v8d *)(S + (p * 16 + nibble) * nvp * 8);
      for (size_t v = 0; v < nvp; v++) s[v] += resp[v];
    }
  }
}

/// Σ_i r_ik x_ij = Σ_{v: bit t of v} S[p][v][k] for j = 4p + t, into sums[(k·W + w)·64 + j % 64].
static void bern_nibbles_expand(const double *S, size_t d, size_t K, size_t Kp, double *sums) {
  const size_t W = (d + 63) / 64, P = (d + 3) / 4;
  for (size_t p = 0; p < P; p++)
    for (size_t t = 0; t < 4 && 4 * p + t < d; t++) {
      const size_t j = 4 * p + t;
      double total[EMZ_MAX_COMPONENTS] = {0};
      for (size_t v = (size_t)1 << t; v < 16; v = (v + 1) | ((size_t)1 << t))
        for (size_t k = 0; k < K; k++) total[k] += S[(p * 16 + v) * Kp + k];
      for (size_t k = 0; k < K; k++) sums[(k * W + j / 64) * 64 + j % 64] = total[k];
    }
}
#endif

typedef double bern_v4d __attribute__((vector_size(32), aligned(8)));
typedef double bern_v2d __attribute__((vector_size(16), aligned(8)));

/// One row's log-densities from the byte tables at `main` (nv 8-lane vectors an entry) and
/// `tail` (tw = 0, 2 or 4 lanes), added to acc and accTail: ⌈d/8⌉ lookups of each part.
#define EMZ_BERN_LOOKUPS(words, main, tail)                                                 \
  for (size_t b = 0; b < B; b++) {                                                          \
    const size_t byte = (size_t)((words)[b / 8] >> (8 * (b % 8))) & 0xFF;                   \
    const v8d *t = (main) + (b * 256 + byte) * nv;                                          \
    for (size_t v = 0; v < nv; v++) acc[v] += t[v];                                         \
    if (tw == 2) tail2 += *(const bern_v2d *)((tail) + (b * 256 + byte) * 2);               \
    if (tw == 4) tail4 += *(const bern_v4d *)((tail) + (b * 256 + byte) * 4);               \
  }

#if defined(EMZ_AVX512)
/// Columns of an 8 × 8 block: rows[i] (8 vectors, lane t = entry (i, t)) becomes cols[t]
/// (lane i = entry (i, t)), by three rounds of two-vector shuffles.
static inline __attribute__((always_inline)) void bern_transpose8(const v8d *rows, v8d *cols) {
  v8d t[8], u[8];
  for (size_t i = 0; i < 8; i += 2) {
    t[i] = __builtin_shufflevector(rows[i], rows[i + 1], 0, 8, 2, 10, 4, 12, 6, 14);
    t[i + 1] = __builtin_shufflevector(rows[i], rows[i + 1], 1, 9, 3, 11, 5, 13, 7, 15);
  }
  for (size_t i = 0; i < 8; i += 4) {
    u[i] = __builtin_shufflevector(t[i], t[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    u[i + 1] = __builtin_shufflevector(t[i + 1], t[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    u[i + 2] = __builtin_shufflevector(t[i], t[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    u[i + 3] = __builtin_shufflevector(t[i + 1], t[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
  for (size_t i = 0; i < 4; i++) {
    cols[i] = __builtin_shufflevector(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    cols[i + 4] = __builtin_shufflevector(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
  }
}
#endif

/// One block of nb ≤ EMZ_BLOCK rows, with nv = stride/8 and tw = the tables' tail constants
/// after inlining (so the row's K-vector stays in registers): densities by lookups,
/// responsibilities, and the column sums of the responsibilities over x (and, when some row
/// of the block has a missing entry, over the observed mask; otherwise the block's totals go
/// to `fullTotals`).
static inline __attribute__((always_inline)) double
bern_block(const uint64_t *values, const uint64_t *observed, size_t nb, size_t d, size_t K,
           const emz_bernoulli_tables_layout T, const double *tables, const double *log_w,
           double *sums, double *seen, double *counts, double *fullTotals, const size_t nv,
           const size_t tw) {
  const size_t W = (d + 63) / 64, B = (d + 7) / 8;
  const uint64_t last = d % 64 ? ((uint64_t)1 << (d % 64)) - 1 : ~(uint64_t)0;
  const v8d *value = (const v8d *)(tables + T.value), *offset = (const v8d *)(tables + T.observed);
  const double *valueTail = tables + T.value_tail, *offsetTail = tables + T.observed_tail;
  const double *c = tables + T.complete;
  double lp[EMZ_MAX_COMPONENTS * EMZ_BLOCK] __attribute__((aligned(64)));
#if defined(EMZ_AVX512)
  v8d group[EMZ_MAX_COMPONENTS] __attribute__((aligned(64)));  // 8 rows' 8-lane parts
  double tails[8 * 4] __attribute__((aligned(64)));             // and their tails (tw lanes)
#endif
  int blockComplete = 1;
  for (size_t r = 0; r < nb; r++) {
    const uint64_t *x = values + r * W;
    int full = 1;
    if (observed) {
      const uint64_t *m = observed + r * W;
      for (size_t w = 0; w + 1 < W; w++) full &= m[w] == ~(uint64_t)0;
      full &= m[W - 1] == last;
    }
    blockComplete &= full;
    v8d acc[EMZ_MAX_COMPONENTS / 8];
    bern_v2d tail2 = {0};
    bern_v4d tail4 = {0};
    for (size_t v = 0; v < nv; v++) acc[v] = full ? ((const v8d *)c)[v] : (v8d){0};
    if (full && tw == 2) tail2 = *(const bern_v2d *)(c + 8 * nv);
    if (full && tw == 4) tail4 = *(const bern_v4d *)(c + 8 * nv);
    EMZ_BERN_LOOKUPS(x, value, valueTail)
    if (!full) {
      const uint64_t *m = observed + r * W;
      EMZ_BERN_LOOKUPS(m, offset, offsetTail)
    }
    // Into the k-major block: with AVX-512, 8 rows at a time through `group` and `tails`,
    // transposed in registers; else lane by lane.
#if !defined(EMZ_AVX512)
    for (size_t k = 8 * nv; k < K; k++) lp[k * EMZ_BLOCK + r] = tw == 2 ? tail2[k - 8 * nv] : tail4[(k - 8 * nv) & 3];
    const double *a = (const double *)acc;
    for (size_t k = 0; k < K && k < 8 * nv; k++) lp[k * EMZ_BLOCK + r] = a[k];
#else
    for (size_t v = 0; v < nv; v++) group[(r % 8) * nv + v] = acc[v];
    if (tw == 2) *(bern_v2d *)(tails + 2 * (r % 8)) = tail2;
    if (tw == 4) *(bern_v4d *)(tails + 4 * (r % 8)) = tail4;
    if (r % 8 == 7) {
      for (size_t v = 0; v < nv; v++) {
        v8d rows[8], cols[8];
        for (size_t i = 0; i < 8; i++) rows[i] = group[i * nv + v];
        bern_transpose8(rows, cols);
        for (size_t t = 0; t < 8; t++) *(v8d *)(lp + (8 * v + t) * EMZ_BLOCK + r - 7) = cols[t];
      }
      double *out = lp + 8 * nv * EMZ_BLOCK + r - 7;  // the tail's k-major rows (K − 8·nv of them)
      const v8d *t = (const v8d *)tails;
      if (tw == 2) {
        *(v8d *)out = __builtin_shufflevector(t[0], t[1], 0, 2, 4, 6, 8, 10, 12, 14);
        if (K - 8 * nv > 1) *(v8d *)(out + EMZ_BLOCK) = __builtin_shufflevector(t[0], t[1], 1, 3, 5, 7, 9, 11, 13, 15);
      }
      if (tw == 4) {
        // Rows 0–3 and 4–7 by component pairs, then the pairs apart.
        const v8d low01 = __builtin_shufflevector(t[0], t[1], 0, 4, 8, 12, 1, 5, 9, 13);
        const v8d low23 = __builtin_shufflevector(t[0], t[1], 2, 6, 10, 14, 3, 7, 11, 15);
        const v8d high01 = __builtin_shufflevector(t[2], t[3], 0, 4, 8, 12, 1, 5, 9, 13);
        const v8d high23 = __builtin_shufflevector(t[2], t[3], 2, 6, 10, 14, 3, 7, 11, 15);
        const v8d parts[4] = {
          __builtin_shufflevector(low01, high01, 0, 1, 2, 3, 8, 9, 10, 11),
          __builtin_shufflevector(low01, high01, 4, 5, 6, 7, 12, 13, 14, 15),
          __builtin_shufflevector(low23, high23, 0, 1, 2, 3, 8, 9, 10, 11),
          __builtin_shufflevector(low23, high23, 4, 5, 6, 7, 12, 13, 14, 15),
        };
        for (size_t k = 0; k < K - 8 * nv; k++) *(v8d *)(out + k * EMZ_BLOCK) = parts[k];
      }
    }
#endif
  }
#if defined(EMZ_AVX512)
  for (size_t r = nb & ~(size_t)7; r < nb; r++) {
    const double *a = (const double *)(group + (r % 8) * nv);
    for (size_t k = 0; k < K && k < 8 * nv; k++) lp[k * EMZ_BLOCK + r] = a[k];
    for (size_t k = 8 * nv; k < K; k++) lp[k * EMZ_BLOCK + r] = tails[tw * (r % 8) + k - 8 * nv];
  }
#endif
  const double loglik = block_normalize(lp, nb, K, log_w);
  double totals[EMZ_MAX_COMPONENTS];
  block_totals(lp, nb, K, totals);
  for (size_t k = 0; k < K; k++) counts[k] += totals[k];
#if defined(EMZ_AVX512)
  bern_sums(values, W, d, nb, K, lp, sums);
  if (!blockComplete) bern_sums(observed, W, d, nb, K, lp, seen);
#else
  // sums and seen hold the nibble tables S and M until the end of the call.
  bern_nibbles_add(values, W, d, nb, K, lp, sums, nv + (tw != 0));
  if (!blockComplete) bern_nibbles_add(observed, W, d, nb, K, lp, seen, nv + (tw != 0));
#endif
  if (blockComplete)
    for (size_t k = 0; k < K; k++) fullTotals[k] += totals[k];
  return loglik;
}

static double EMZ_FN(bernoulli_mixture_estep_packed)(const uint64_t *values, const uint64_t *observed,
                                                     size_t n, size_t d, size_t K,
                                                     const double *tables, const double *log_w,
                                                     double *work, double *stats) {
  const emz_bernoulli_tables_layout T = emz_bernoulli_tables_layout_make(d, K, observed != NULL);
  const double *origin = emz_bernoulli_tables_start(tables);
  const size_t W = (d + 63) / 64;
  const emz_independent_layout L = emz_independent_layout_make(d);
  // The call's column sums over x (and over the observed masks in blocks with a missing entry):
  // K·W·64 doubles each in `work`; without AVX-512 the nibble tables S and M, ⌈d/4⌉·16·Kp
  // doubles each, come first.
  const size_t sumDoubles = K * W * 64;
#if defined(EMZ_AVX512)
  double *sums = work, *seen = observed ? work + sumDoubles : NULL;
  memset(work, 0, (observed ? 2 : 1) * sumDoubles * sizeof(double));
#else
  const size_t Kp = T.stride + (T.tail ? 8 : 0), nibbleDoubles = (d + 3) / 4 * 16 * Kp;
  double *S = work + 2 * sumDoubles, *M = observed ? S + nibbleDoubles : NULL;
  memset(S, 0, (observed ? 2 : 1) * nibbleDoubles * sizeof(double));
  double *sums = S, *seen = M;
#endif
  double counts[EMZ_MAX_COMPONENTS] = {0}, fullTotals[EMZ_MAX_COMPONENTS] = {0};
  double loglik = 0;
  for (size_t start = 0; start < n; start += EMZ_BLOCK) {
    const size_t nb = n - start < EMZ_BLOCK ? n - start : EMZ_BLOCK;
    const uint64_t *x = values + start * W, *m = observed ? observed + start * W : NULL;
#define EMZ_BERN_CASE(NV, TW)                                                                          \
  case 8 * NV + TW:                                                                                   \
    loglik += bern_block(x, m, nb, d, K, T, origin, log_w, sums, seen, counts, fullTotals, NV, TW); \
    break;
#define EMZ_BERN_CASES(NV) EMZ_BERN_CASE(NV, 0) EMZ_BERN_CASE(NV, 2) EMZ_BERN_CASE(NV, 4)
    switch (T.stride + T.tail) {
      EMZ_BERN_CASE(0, 2)
      EMZ_BERN_CASE(0, 4)
      EMZ_BERN_CASES(1)
      EMZ_BERN_CASES(2)
      EMZ_BERN_CASES(3)
      EMZ_BERN_CASES(4)
      EMZ_BERN_CASES(5)
      EMZ_BERN_CASES(6)
      EMZ_BERN_CASES(7)
      default:
        loglik += bern_block(x, m, nb, d, K, T, origin, log_w, sums, seen, counts, fullTotals, 8, 0);
    }
#undef EMZ_BERN_CASES
#undef EMZ_BERN_CASE
  }
#if !defined(EMZ_AVX512)
  sums = work;
  seen = observed ? work + sumDoubles : NULL;
  bern_nibbles_expand(S, d, K, Kp, sums);
  if (observed) bern_nibbles_expand(M, d, K, Kp, seen);
#endif
  for (size_t k = 0; k < K; k++) {
    double *s = stats + k * L.stride;
    s[L.count] += counts[k];
    for (size_t j = 0; j < d; j++) {
      const size_t at = (k * W + j / 64) * 64 + j % 64;
      s[L.sum + j] += sums[at];
      s[L.observed + j] += seen ? fullTotals[k] + seen[at] : counts[k];
    }
  }
  return loglik;
}
