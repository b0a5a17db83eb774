// CKernels: emzoo's C layer. GSL (random numbers, samplers, special functions, Cholesky)
// and the hot E-step loops live here; Swift sees only these plain `emz_*` functions.
//
// Conventions: matrices are row-major `double` arrays; a data block is `n` rows of `d`
// columns; NaN marks a missing entry; outputs come last in every argument list.
#ifndef EMZ_CKERNELS_H
#define EMZ_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "layouts.h"
#include "kmeans.h"

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - Random numbers (GSL's MT19937, seeded)

/// An opaque GSL random number generator (MT19937).
typedef struct emz_rng emz_rng;

/// A new MT19937 generator seeded with `seed` (GSL reduces the seed to 32 bits; seed 0 is
/// GSL's default seed 4357, so emzoo maps it to a fixed nonzero value first).
emz_rng *emz_rng_create(uint64_t seed);
void emz_rng_destroy(emz_rng *rng);
/// Uniform on [0, 1).
double emz_rng_uniform(emz_rng *rng);
/// Uniform integer on 0..<n (n ≥ 1).
unsigned long emz_rng_uniform_int(emz_rng *rng, unsigned long n);
/// Normal(0, sigma²).
double emz_rng_gaussian(emz_rng *rng, double sigma);
/// Poisson(mu).
unsigned int emz_rng_poisson(emz_rng *rng, double mu);
/// Bernoulli(p): 1 with probability p.
unsigned int emz_rng_bernoulli(emz_rng *rng, double p);
/// Gamma(shape, scale).
double emz_rng_gamma(emz_rng *rng, double shape, double scale);
/// A draw from Dirichlet(alpha[0..k-1]) into out[0..k-1].
void emz_rng_dirichlet(emz_rng *rng, size_t k, const double *alpha, double *out);
/// A draw from N(mean, L Lᵀ) into out[0..d-1]; `chol` is the lower Cholesky factor (d×d).
int emz_rng_multivariate_gaussian(emz_rng *rng, size_t d, const double *mean,
                                  const double *chol, double *out);
/// A draw from the categorical distribution with probabilities p[0..k-1] (need not be
/// normalised), by GSL's Walker alias table built once per call site.
typedef struct emz_discrete emz_discrete;
emz_discrete *emz_discrete_create(size_t k, const double *p);
void emz_discrete_destroy(emz_discrete *table);
size_t emz_discrete_draw(emz_rng *rng, const emz_discrete *table);

// MARK: - Special functions (GSL, status-returning forms; NaN on a domain error)

/// log Γ(x) for x > 0.
double emz_lngamma(double x);
/// log x! = log Γ(x + 1) for x ≥ 0 (x need not fit an int).
double emz_lnfact(double x);
/// log B(a, b).
double emz_lnbeta(double a, double b);

// MARK: - Scans

/// 1 when some of the `count` values at x is NaN (a missing entry), else 0.
int emz_has_nan(const double *x, size_t count);

/// The number of bytes equal to `byte` among the `count` at p (a CSV file's line ends).
size_t emz_count_byte(const uint8_t *p, size_t count, uint8_t byte);

/// The index of the first of the `count` values at x that is neither 0, 1 nor NaN (missing),
/// or `count` when there is none: the Bernoulli families' check of their data.
size_t emz_first_not_binary(const double *x, size_t count);

/// The index of the first of the `count` values at x that is not NaN (missing) and not an
/// integer in [0, limit) (limit ≤ 2⁵²), or `count` when there is none: the Poisson and
/// categorical families' check.
size_t emz_first_not_count(const double *x, size_t count, double limit);

/// The index of the first of the `count` values at x that is not NaN (missing) and not of
/// magnitude below `bound`, or `count` when there is none: the Gaussian families' check.
size_t emz_first_not_bounded(const double *x, size_t count, double bound);

// MARK: - Dense linear algebra (small matrices)

/// In-place Cholesky factorisation of the symmetric d×d matrix `a` (lower triangle read):
/// on success `a` holds L (lower, zeros above) with a = L Lᵀ and 0 is returned; a matrix
/// that is not positive definite returns a nonzero status and leaves `a` unspecified.
int emz_cholesky(size_t d, double *a);
/// Inverse of a lower-triangular d×d matrix, in place (zeros above the diagonal stay).
int emz_lower_triangular_invert(size_t d, double *l);

// MARK: - Gaussian kernels

/// out[i*K + k] = log N(x_i | means_k, Σ_k) for full covariances, every constant included.
/// `inv_chols` holds K lower-triangular L_k⁻¹ (Σ_k = L_k L_kᵀ) and `log_consts[k]` is
/// −d/2·log 2π − Σ_j log L_k[j,j]. Rows with NaN are not allowed here.
void emz_gaussian_logpdf_full(const double *x, size_t n, size_t d, size_t K,
                              const double *means, const double *inv_chols,
                              const double *log_consts, double *out);
/// Accumulates, for every component k, weighted statistics centred at `centers_k`, laid out by
/// `emz_gaussian_full_layout`: Σ w, Σ w(x−c), Σ w(x−c)(x−c)ᵀ (lower triangle), w = weights[i*K+k].
void emz_gaussian_accumulate_full(const double *x, size_t n, size_t d, size_t K,
                                  const double *weights, const double *centers,
                                  double *stats);
/// out[i*K + k] = Σ_{j observed} log N(x_ij | means_kj, variances_kj): independent
/// dimensions, so a missing entry (NaN) is marginalised out by skipping it.
/// `precisions` = 1/variances and `half_log_precisions` = ½log(precision) − ½log 2π.
void emz_gaussian_logpdf_diag(const double *x, size_t n, size_t d, size_t K,
                              const double *means, const double *precisions,
                              const double *half_log_terms, double *out);
/// Adds statistics laid out by `emz_gaussian_diag_layout`: Σ w, then per dimension j
/// Σ_{obs} w, Σ_{obs} w(x−c), Σ_{obs} w(x−c)².
void emz_gaussian_accumulate_diag(const double *x, size_t n, size_t d, size_t K,
                                  const double *weights, const double *centers,
                                  double *stats);

// MARK: - Count and binary kernels (independent dimensions, NaN skipped)

/// out[i*K + k] = Σ_{j observed} (a_kj x_ij + b_kj): the log-pmfs of the exponential families
/// with independent dimensions, up to a parameter-free term. Bernoulli: a = log p − log(1 − p),
/// b = log(1 − p). Poisson, relative to a reference rate m_j per column (for accuracy with
/// large counts): a = log λ − log m_j, b = −(λ − m_j); the rest is `emz_poisson_constant`.
void emz_linear_logpmf(const double *x, size_t n, size_t d, size_t K, const double *a,
                       const double *b, double *out);
/// Adds statistics laid out by `emz_independent_layout`: Σ w, Σ_{obs} w and Σ_{obs} w x per
/// dimension.
void emz_independent_accumulate(const double *x, size_t n, size_t d, size_t K,
                                const double *weights, double *stats);
/// Σ_i Σ_{j observed} (x_ij log m_j − m_j − log x_ij!): the parameter-free rest of the Poisson
/// log-pmf after `emz_linear_logpmf` with reference rates m_j.
double emz_poisson_constant(const double *x, size_t n, size_t d, const double *reference,
                            const double *log_reference);

/// out[i*K + k] = log p[k, x_i] for one column of symbols 0..M-1 (NaN gives 0: missing).
void emz_categorical_logpmf(const double *x, size_t n, size_t K, size_t M,
                            const double *log_p, double *out);
/// Adds statistics laid out by `emz_categorical_layout`: Σ w, then the counts per symbol.
void emz_categorical_accumulate(const double *x, size_t n, size_t K, size_t M,
                                const double *weights, double *stats);

// MARK: - Mixtures and hidden Markov models

/// Posterior normalisation fused with log-sum-exp: for each row i,
///   ℓ_i = log Σ_k exp(a[i,k] + log_w[k]),  a[i,k] ← exp(a[i,k] + log_w[k] − ℓ_i),
/// and returns Σ_i ℓ_i. Rows become responsibilities that sum to 1.
double emz_normalize_rows(double *a, size_t n, size_t K, const double *log_w);

/// Fused mixture E steps over n rows: component log-densities, responsibilities and weighted
/// statistics block by block, with the statistics laid out as the separate kernels'
/// (`emz_gaussian_accumulate_diag`, `_full`, `emz_independent_accumulate`). Return
/// Σᵢ log Σₖ wₖ fₖ(xᵢ) without parameter-free constants. Require d ≤ 64 and K ≤ 64;
/// `_full` requires complete rows (no NaN).
double emz_mixture_estep_diag(const double *x, size_t n, size_t d, size_t K, const double *means,
                              const double *precisions, const double *half_log_terms,
                              const double *log_w, double *stats);
double emz_mixture_estep_full(const double *x, size_t n, size_t d, size_t K, const double *means,
                              const double *inv_chols, const double *log_consts,
                              const double *log_w, double *stats);
double emz_mixture_estep_linear(const double *x, size_t n, size_t d, size_t K, const double *a,
                                const double *b, const double *log_w, double *stats);

/// Scaled forward–backward (Rabiner 1989) over one sequence of T steps and K states.
/// `logb` holds log emission densities (T×K) and is overwritten with the posterior state
/// probabilities γ. Accumulates into init_acc (K: γ_0), trans_acc (K×K: Σ_t ξ_t).
/// `alpha` is scratch of T×K, `scale` of T, `work` of 3K. Returns log P(sequence), or
/// −infinity when the sequence is impossible under the parameters (NaN for a NaN density);
/// then `logb` is left unspecified and nothing is accumulated.
double emz_hmm_forward_backward(size_t T, size_t K, double *logb, const double *initial,
                                const double *transition, double *alpha, double *scale,
                                double *work, double *init_acc, double *trans_acc);
/// The same from emission densities b (T×K, any positive scale per row, e.g. divided by the
/// row's largest; overwritten with γ). Returns log P(sequence) minus Σ_t log(row t's scale).
double emz_hmm_forward_backward_densities(size_t T, size_t K, double *b, const double *initial,
                                          const double *transition, double *alpha, double *scale,
                                          double *work, double *init_acc, double *trans_acc);
/// The HMM E step over one sequence of T complete rows x (T×d, no NaN) with full-covariance
/// Gaussian emissions (`emz_gaussian_logpdf_full`'s parameters), for K ≤ 8 states and d ≤ 8:
/// the emission densities are computed inside the forward pass and the emission statistics
/// (`emz_gaussian_full_layout`, centred at `means`, weighted by γ) inside the backward pass,
/// state by state in vector lanes. Accumulates init_acc (K), trans_acc (K×K) and stats (K
/// emission blocks) as `emz_hmm_forward_backward` + `emz_gaussian_accumulate_full` do, and
/// returns log P(sequence) with every constant; −∞ when the sequence is impossible (NaN for a
/// NaN density: then nothing is accumulated). Scratch: `b` and `alpha` T×8, `scale` T.
/// Returns NaN without touching anything for d > 8 or K > 8.
double emz_hmm_estep_gaussian_full(size_t T, size_t d, size_t K, const double *x,
                                   const double *means, const double *inv_chols,
                                   const double *log_consts, const double *initial,
                                   const double *transition, double *b, double *alpha,
                                   double *scale, double *init_acc, double *trans_acc,
                                   double *stats);
/// The HMM E step over one sequence of T rows x (T×d, NaN for a missing entry) whose emission
/// log-densities are linear in x, log b_t(k) = Σ_j slopes_kj x_tj + offsets_kj over the
/// observed x_tj (`emz_linear_logpmf`'s parameters: Poisson counts, x ≥ 0 for speed), for
/// K ≤ 8 states and d ≤ 64: the densities are computed inside the forward pass and the
/// statistics (`emz_independent_layout`, weighted by γ; a row with every entry missing adds
/// none) inside the backward pass, state by state in vector lanes. Accumulates init_acc (K),
/// trans_acc (K×K) and stats (K emission blocks) as `emz_hmm_forward_backward` +
/// `emz_independent_accumulate` do, and returns log P(sequence) relative to the
/// parameter-free terms left out of the densities; −∞ when the sequence is impossible (NaN for
/// a NaN density: then nothing is accumulated). Scratch: `b` and `alpha` T×8, `scale` T.
/// Returns NaN without touching anything for d > 64 or K > 8.
double emz_hmm_estep_linear(size_t T, size_t d, size_t K, const double *x, const double *slopes,
                            const double *offsets, const double *initial,
                            const double *transition, double *b, double *alpha, double *scale,
                            double *init_acc, double *trans_acc, double *stats);
/// Categorical emission densities scaled per symbol: out[i*K + k] = table[x_i*K + k] (the
/// probabilities of symbol x_i divided by their largest), 1 for a missing x_i; returns
/// Σ_i log_max[x_i] (the scales' logarithms).
double emz_categorical_scaled_densities(const double *x, size_t n, size_t K, const double *table,
                                        const double *log_max, double *out);

/// Viterbi path in log space: `logb` T×K log emission densities, `log_initial` K,
/// `log_transition` K×K; `delta` scratch 2K, `back` scratch T×K. Writes path[0..T-1] and
/// returns the log probability of the best path.
double emz_hmm_viterbi(size_t T, size_t K, const double *logb, const double *log_initial,
                       const double *log_transition, double *delta, int32_t *back,
                       int32_t *path);

// MARK: - Missing-value patterns (missing-data regression)

/// bits[i]: bit a set when row i's column order[a] is observed (a < D ≤ 64).
void emz_missing_pattern_bits(const double *x, size_t n, size_t width, const int32_t *order,
                              size_t D, uint64_t *bits);
/// For each row i of pattern group g = group_of_row[i] with o = sizes[g] observed coordinates
/// (data columns columns[coordinate_start[g] + a], means means[coordinate_start[g] + a]), the
/// residual r = x − mean: counts[g] += 1; sums[sum_start[g] ..]: Σ r and Σ r rᵀ (lower
/// triangle) laid out by `emz_residual_sums_layout`. At most 64 coordinates.
void emz_pattern_residual_sums(const double *x, size_t n, size_t width, const int32_t *group_of_row,
                               const int32_t *columns, const double *means,
                               const int32_t *coordinate_start, const int32_t *sizes,
                               const int32_t *sum_start, double *counts, double *sums);
/// The completed-data statistics of one chunk from its patterns' moments (missing-data
/// regression). Group g has observed coordinates the set bits of bits[g] (of D), counts[g]
/// rows and, at moments + moment_start[g] (`emz_residual_sums_layout`), S = Σ (z_O − c_O) and
/// Q = Σ (z_O − c_O)(z_O − c_O)ᵀ about the fixed `reference` c. With d = μ − c the residuals
/// r = z_O − μ_O have Σ r = S − n d and Σ r rᵀ = Q − S dᵀ − d (Σ r)ᵀ; then, with the pattern's
/// factors at factors + factor_start[bits[g]] (`emz_pattern_factor_layout`) and A = [I; B]:
/// s1 += A Σ r, s2 (D×D, lower triangle) += A (Σ r rᵀ) Aᵀ + n C. Returns
/// Σ_g n log c_O − ½ tr(Σ_OO⁻¹ Σ r rᵀ). `work`: 2D + 3D² doubles; D ≤ 64.
double emz_pattern_completed_statistics(size_t D, size_t groups, const uint64_t *bits,
                                        const double *counts, const double *moments,
                                        const size_t *moment_start, const double *reference,
                                        const double *mean, const double *factors,
                                        const size_t *factor_start, double *s1, double *s2,
                                        double *work);

// MARK: - Parsing

/// Parses a decimal floating-point number from exactly `len` bytes (no surrounding
/// spaces); returns 1 and stores it on success, 0 when the text is not a whole number.
/// Short decimals take an exact fast path (Clinger 1990); the rest go to strtod.
int emz_parse_double(const char *text, size_t len, double *out);

enum { EMZ_CSV_OK = 0, EMZ_CSV_FIELD_COUNT = 1, EMZ_CSV_NOT_A_NUMBER = 2, EMZ_CSV_NOT_FINITE = 3,
       EMZ_CSV_EMPTY_LINE = 4, EMZ_CSV_NUMBER_AFTER_TEXT = 5 };

/// What the CSV parser carries from one buffer to the next, and its error report.
typedef struct {
  int error;               ///< EMZ_CSV_* of the first problem, 0 if none
  size_t error_row;        ///< the data row (from 0, over all calls) with the problem
  size_t error_field;      ///< the field index (or, for EMZ_CSV_FIELD_COUNT, the count found)
  size_t rows_total;       ///< data rows parsed by all calls so far
  int pending_blank_line;  ///< a blank line was seen; only more blank lines may follow
  size_t blank_row;        ///< the data-row position of the first blank line
  int has_sequence;
  size_t sequence_length;
  char sequence[64];       ///< the previous row's `sequence` field (up to 64 bytes)
  char *long_sequence;     ///< the previous row's longer `sequence` field (heap), or NULL
  size_t long_capacity;
  /// Optional, per field (NULL: every selected field must be a number): the first row whose
  /// text is not a number, and the first row with a number (−1: none yet). Text before any
  /// number is recorded (the entry stored as NaN); a number after text, or text after a
  /// number, is EMZ_CSV_NUMBER_AFTER_TEXT / EMZ_CSV_NOT_A_NUMBER.
  int64_t *text_rows;
  int64_t *number_rows;
} emz_csv_state;

/// Frees what the parser allocated in `state` (a long sequence id).
void emz_csv_state_free(emz_csv_state *state);

/// Parses whole lines of `buf` (rows after the header) into `values` (row-major, `columns`
/// per row): field f goes to slot slots[f] (−1: skipped); empty, NA and NaN are missing (NaN).
/// Field `sequence_field` (−1: none) sets sequence_starts[row] = 1 where its text differs from
/// the previous row's; field `latent_field` (−1: none) is parsed into latent[row] (NaN if not
/// a number). Stops at `capacity` rows, at an incomplete last line unless `final`, or at the
/// first error (reported in `state`). Returns the bytes consumed and stores the rows parsed.
size_t emz_csv_parse(const char *buf, size_t len, int final, size_t fields, const int32_t *slots,
                     size_t columns, int32_t sequence_field, int32_t latent_field,
                     emz_csv_state *state, double *values, double *latent,
                     uint8_t *sequence_starts, size_t capacity, size_t *rows);

/// Interrupted writes: emz_output_guard_install() makes SIGINT, SIGTERM, SIGHUP and SIGQUIT
/// unlink the registered path (emz_output_guard_set; at most 4095 bytes, else -1) and then
/// re-raise the signal with its default action; emz_output_guard_clear() forgets the path.
int emz_output_guard_install(void);
int emz_output_guard_set(const char *path);
void emz_output_guard_clear(void);

/// Files that shrink under a mapping: reading a mapped page past the file's new end raises
/// SIGBUS. emz_mapped_guard_add registers [start, start + length) with the one-line message to
/// print (at most 511 bytes, truncated), and returns a slot for emz_mapped_guard_remove (-1 when
/// all 64 slots are taken: that mapping is then unguarded). The first call installs a SIGBUS
/// handler: a fault inside a registered range unlinks the output guard's path, writes
/// "emzoo: <message>" to standard error and exits with status 2; any other SIGBUS keeps its
/// default action.
int emz_mapped_guard_add(const void *start, size_t length, const char *message);
void emz_mapped_guard_remove(int slot);

// MARK: - Bit-packed binary rows (Bernoulli mixtures; CKernels/bernoulli.c, kernels/bernoulli.h)

/// Packs n rows of d entries that are 0, 1 or NaN (missing) into W = ⌈d/64⌉ words per row:
/// bit j % 64 of values[i·W + j/64] is 1 where x_ij = 1, and of observed[i·W + j/64] where
/// x_ij is not NaN; bits past d are 0. Returns 0 (and leaves the output unspecified) when some
/// entry is neither 0, 1 nor NaN; otherwise 1, plus 2 when some entry is missing.
int emz_bits_pack(const double *x, size_t n, size_t d, uint64_t *values, uint64_t *observed);

/// Where the per-iteration byte tables of `emz_bernoulli_mixture_estep_packed` live, in doubles,
/// for B = ⌈d/8⌉ byte positions. The K components are split into `stride` (a multiple of 8) read
/// as 8-lane vectors and a `tail` of 0, 2 or 4 more (K = 10: 8 + 2), each part a table of its
/// own, so that an entry takes one cache line and a quarter instead of two lines at K padded to 16:
///
///     [ T (B×256×stride) | T tail (B×256×tail) | O, O tail (only with missing entries) | c ]
///
/// T[b][v][k] = Σ_{bits t of v, 8b+t < d} a_{k,8b+t}, O the same over b, c_k = Σ_j b_kj; entries
/// past K are 0. The offsets count from `emz_bernoulli_tables_start`, a 64-byte boundary, so that
/// each 8-lane entry is one cache line, not two (a Swift array or malloc'd buffer is aligned to
/// 16 bytes only; split entries made the E step 7 % slower at d = 64, K = 10).
typedef struct {
  size_t value;          ///< T[b][v][k] at value + (b·256 + v)·stride + k, for k < stride
  size_t value_tail;     ///< T[b][v][stride + t] at value_tail + (b·256 + v)·tail + t
  size_t observed;       ///< O likewise (only with missing entries)
  size_t observed_tail;  ///< O's tail likewise
  size_t complete;       ///< c_k at complete + k, for k < stride + tail
  size_t stride;         ///< components in 8-lane vectors (K rounded down to a multiple of 8, or up when 5…7 remain)
  size_t tail;           ///< the others, padded to 2 or 4 (0 when none)
  size_t total;          ///< doubles of the buffer, with the 8 before the start
} emz_bernoulli_tables_layout;

/// Where the tables start in the buffer filled by `emz_bernoulli_byte_tables`: at the first
/// 64-byte boundary after buffer[0], which records the distance (so a copy of the buffer at
/// another alignment still reads right, only slower).
static inline const double *emz_bernoulli_tables_start(const double *buffer) {
  return buffer + (size_t)buffer[0];
}

static inline emz_bernoulli_tables_layout emz_bernoulli_tables_layout_make(size_t d, size_t K,
                                                                           int with_missing) {
  size_t stride = K & ~(size_t)7, tail = K - stride;
  if (tail > 4) {
    stride += 8;
    tail = 0;
  } else if (tail > 0) {
    tail = tail <= 2 ? 2 : 4;
  }
  const size_t entries = ((d + 7) / 8) * 256, table = entries * (stride + tail);
  emz_bernoulli_tables_layout layout;
  layout.value = 0;
  layout.value_tail = entries * stride;
  layout.observed = with_missing ? table : 0;
  layout.observed_tail = layout.observed + entries * stride;
  layout.complete = with_missing ? 2 * table : table;
  layout.stride = stride;
  layout.tail = tail;
  layout.total = 8 + layout.complete + stride + tail;
  return layout;
}

/// Doubles of the `work` buffer of `emz_bernoulli_mixture_estep_packed`: the call's column sums
/// of the responsibilities over x and over the observed masks (K·⌈d/64⌉·64 doubles each), then,
/// for the kernels without AVX-512, one (with missing entries two) ⌈d/4⌉×16×Kp tables of nibble
/// sums (Kp: K rounded up to a multiple of 8).
static inline size_t emz_bernoulli_work_size(size_t d, size_t K, int with_missing) {
  return 2 * K * ((d + 63) / 64) * 64 + (with_missing ? 2 : 1) * ((d + 3) / 4) * 16 * ((K + 7) & ~(size_t)7);
}

/// Fills the tables laid out by `emz_bernoulli_tables_layout` from a = log p − log(1 − p) and
/// b = log(1 − p) (K×d each, row-major). Each entry adds one term to an entry with one bit less,
/// so T[b][v][k] sums its (at most 8) terms in increasing order of the bit.
void emz_bernoulli_byte_tables(size_t d, size_t K, const double *a, const double *b,
                               int with_missing, double *buffer);

/// The fused Bernoulli mixture E step on packed rows (`emz_bits_pack`; observed NULL when no
/// entry is missing) with the byte tables of `emz_bernoulli_byte_tables`: adds statistics laid
/// out by `emz_independent_layout` and returns Σ_i log Σ_k w_k f_k(x_i), the same quantities as
/// `emz_mixture_estep_linear` summed in another order (the statistics through per-nibble sums
/// of the responsibilities, expanded to columns at the end of the call). K ≤ 64; `work` holds
/// `emz_bernoulli_work_size` doubles.
double emz_bernoulli_mixture_estep_packed(const uint64_t *values, const uint64_t *observed, size_t n,
                                          size_t d, size_t K, const double *tables,
                                          const double *log_w, double *work, double *stats);

/// For tests: `emz_bernoulli_mixture_estep_packed` with the kernels of `level` ("baseline",
/// "x86-64-v3" or "x86-64-v4") instead of the CPU's best, its log-likelihood in *loglik.
/// Returns 0 (and computes nothing) when the CPU does not run that level, else 1.
int emz_bernoulli_mixture_estep_packed_at(const char *level, const uint64_t *values,
                                          const uint64_t *observed, size_t n, size_t d, size_t K,
                                          const double *tables, const double *log_w, double *work,
                                          double *stats, double *loglik);

// MARK: - MPI, loaded at run time (CKernels/mpi.c)

/// MPI without a build-time dependency: emz_mpi_load dlopens the MPI library `library`
/// (Open MPI's "libmpi.so.40" when NULL), resolves the few functions and predefined handles
/// emzoo needs with dlsym (Open MPI's MPI_COMM_WORLD, MPI_DOUBLE, … are the addresses of its
/// globals ompi_mpi_comm_world, ompi_mpi_double, …) and calls MPI_Init_thread (funnelled: only
/// the calling thread talks to MPI). Returns 0, or -1 with a one-line reason in `error`.
/// The other calls return MPI's status (0 = MPI_SUCCESS); they need a successful load.
int emz_mpi_load(const char *library, char *error, size_t error_capacity);
int emz_mpi_rank(int *rank);
int emz_mpi_size(int *size);
/// MPI_Allgatherv of doubles on MPI_COMM_WORLD.
int emz_mpi_allgatherv_double(const double *send, int count, const int *counts,
                              const int *displacements, double *receive);
/// MPI_Allreduce(MPI_MAX) of one int on MPI_COMM_WORLD.
int emz_mpi_allreduce_max_int(int value, int *maximum);
/// MPI_Bcast of `count` bytes from `root` on MPI_COMM_WORLD.
int emz_mpi_broadcast_bytes(void *buffer, int count, int root);
/// MPI_Finalize (once; later calls do nothing).
int emz_mpi_finalize(void);

#ifdef __cplusplus
}
#endif
#endif
