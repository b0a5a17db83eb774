// The public entry points of the dispatched kernels: each calls the table chosen at the
// first call (dispatch.h). A data race on that first call is harmless: every thread finds
// the same table.
#include "CKernels.h"
#include "dispatch.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
/// The highest level the CPU (and the OS) run: 4 (x86-64-v4), 3 (x86-64-v3) or 0 (baseline).
static int emz_cpu_level(void) {
  __builtin_cpu_init();
  // The psABI levels (these include the OS's consent to save the vector state: XGETBV), and
  // the main features of each once more, in case the runtime library lays out its bits
  // differently from the compiler (then a level reads as unsupported, never the reverse).
  const int v3 = __builtin_cpu_supports("x86-64-v3") && __builtin_cpu_supports("avx2") &&
                 __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2");
  const int v4 = v3 && __builtin_cpu_supports("x86-64-v4") &&
                 __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  return v4 ? 4 : v3 ? 3 : 0;
}
#endif

static const struct emz_kernel_table *emz_choose_kernels(void) {
  const struct emz_kernel_table *best = &emz_kernels_baseline;
#if defined(__x86_64__)
  const int level = emz_cpu_level(), v3 = level >= 3, v4 = level >= 4;
  if (v4)
    best = &emz_kernels_x86_64_v4;
  else if (v3)
    best = &emz_kernels_x86_64_v3;
  const char *wanted = getenv("EMZOO_KERNELS");
  if (wanted && strcmp(wanted, "baseline") == 0)
    best = &emz_kernels_baseline;
  else if (wanted && strcmp(wanted, "x86-64-v3") == 0 && v3)
    best = &emz_kernels_x86_64_v3;
#endif
  return best;
}

static _Atomic(const struct emz_kernel_table *) emz_chosen_kernels;

static inline const struct emz_kernel_table *emz_kernels(void) {
  const struct emz_kernel_table *t = atomic_load_explicit(&emz_chosen_kernels, memory_order_acquire);
  if (__builtin_expect(t == NULL, 0)) {
    t = emz_choose_kernels();
    atomic_store_explicit(&emz_chosen_kernels, t, memory_order_release);
  }
  return t;
}

void emz_gaussian_logpdf_full(const double *x, size_t n, size_t d, size_t K,
                              const double *means, const double *inv_chols,
                              const double *log_consts, double *out) {
  emz_kernels()->gaussian_logpdf_full(x, n, d, K, means, inv_chols, log_consts, out);
}

void emz_gaussian_accumulate_full(const double *x, size_t n, size_t d, size_t K,
                                  const double *weights, const double *centers,
                                  double *stats) {
  emz_kernels()->gaussian_accumulate_full(x, n, d, K, weights, centers, stats);
}

void emz_gaussian_logpdf_diag(const double *x, size_t n, size_t d, size_t K,
                              const double *means, const double *precisions,
                              const double *half_log_terms, double *out) {
  emz_kernels()->gaussian_logpdf_diag(x, n, d, K, means, precisions, half_log_terms, out);
}

void emz_gaussian_accumulate_diag(const double *x, size_t n, size_t d, size_t K,
                                  const double *weights, const double *centers,
                                  double *stats) {
  emz_kernels()->gaussian_accumulate_diag(x, n, d, K, weights, centers, stats);
}

void emz_linear_logpmf(const double *x, size_t n, size_t d, size_t K, const double *a,
                       const double *b, double *out) {
  emz_kernels()->linear_logpmf(x, n, d, K, a, b, out);
}

void emz_independent_accumulate(const double *x, size_t n, size_t d, size_t K,
                                const double *weights, double *stats) {
  emz_kernels()->independent_accumulate(x, n, d, K, weights, stats);
}

void emz_categorical_logpmf(const double *x, size_t n, size_t K, size_t M,
                            const double *log_p, double *out) {
  emz_kernels()->categorical_logpmf(x, n, K, M, log_p, out);
}

void emz_categorical_accumulate(const double *x, size_t n, size_t K, size_t M,
                                const double *weights, double *stats) {
  emz_kernels()->categorical_accumulate(x, n, K, M, weights, stats);
}

double emz_categorical_scaled_densities(const double *x, size_t n, size_t K, const double *table,
                                        const double *log_max, double *out) {
  return emz_kernels()->categorical_scaled_densities(x, n, K, table, log_max, out);
}

double emz_normalize_rows(double *a, size_t n, size_t K, const double *log_w) {
  return emz_kernels()->normalize_rows(a, n, K, log_w);
}

double emz_mixture_estep_diag(const double *x, size_t n, size_t d, size_t K, const double *means,
                              const double *precisions, const double *half_log_terms,
                              const double *log_w, double *stats) {
  return emz_kernels()->mixture_estep_diag(x, n, d, K, means, precisions, half_log_terms, log_w,
                                           stats);
}

double emz_mixture_estep_full(const double *x, size_t n, size_t d, size_t K, const double *means,
                              const double *inv_chols, const double *log_consts,
                              const double *log_w, double *stats) {
  return emz_kernels()->mixture_estep_full(x, n, d, K, means, inv_chols, log_consts, log_w, stats);
}

double emz_mixture_estep_linear(const double *x, size_t n, size_t d, size_t K, const double *a,
                                const double *b, const double *log_w, double *stats) {
  return emz_kernels()->mixture_estep_linear(x, n, d, K, a, b, log_w, stats);
}

double emz_hmm_forward_backward(size_t T, size_t K, double *logb, const double *initial,
                                const double *transition, double *alpha, double *scale,
                                double *work, double *init_acc, double *trans_acc) {
  return emz_kernels()->hmm_forward_backward(T, K, logb, initial, transition, alpha, scale, work,
                                             init_acc, trans_acc);
}

double emz_hmm_forward_backward_densities(size_t T, size_t K, double *b, const double *initial,
                                          const double *transition, double *alpha, double *scale,
                                          double *work, double *init_acc, double *trans_acc) {
  return emz_kernels()->hmm_forward_backward_densities(T, K, b, initial, transition, alpha, scale,
                                                       work, init_acc, trans_acc);
}

double emz_hmm_viterbi(size_t T, size_t K, const double *logb, const double *log_initial,
                       const double *log_transition, double *delta, int32_t *back,
                       int32_t *path) {
  return emz_kernels()->hmm_viterbi(T, K, logb, log_initial, log_transition, delta, back, path);
}

void emz_missing_pattern_bits(const double *x, size_t n, size_t width, const int32_t *order,
                              size_t D, uint64_t *bits) {
  emz_kernels()->missing_pattern_bits(x, n, width, order, D, bits);
}

void emz_pattern_residual_sums(const double *x, size_t n, size_t width, const int32_t *group_of_row,
                               const int32_t *columns, const double *means,
                               const int32_t *coordinate_start, const int32_t *sizes,
                               const int32_t *sum_start, double *counts, double *sums) {
  emz_kernels()->pattern_residual_sums(x, n, width, group_of_row, columns, means, coordinate_start,
                                       sizes, sum_start, counts, sums);
}

double emz_bernoulli_mixture_estep_packed(const uint64_t *values, const uint64_t *observed, size_t n,
                                          size_t d, size_t K, const double *tables,
                                          const double *log_w, double *work, double *stats) {
  return emz_kernels()->bernoulli_mixture_estep_packed(values, observed, n, d, K, tables, log_w,
                                                       work, stats);
}

int emz_bits_pack(const double *x, size_t n, size_t d, uint64_t *values, uint64_t *observed) {
  return emz_kernels()->bits_pack(x, n, d, values, observed);
}

/// The table of the level named `level`, or NULL when the CPU does not run it (or the name is
/// unknown).
static const struct emz_kernel_table *emz_kernels_named(const char *level) {
  if (strcmp(level, "baseline") == 0) return &emz_kernels_baseline;
#if defined(__x86_64__)
  if (strcmp(level, "x86-64-v3") == 0 && emz_cpu_level() >= 3) return &emz_kernels_x86_64_v3;
  if (strcmp(level, "x86-64-v4") == 0 && emz_cpu_level() >= 4) return &emz_kernels_x86_64_v4;
#endif
  return NULL;
}

int emz_bernoulli_mixture_estep_packed_at(const char *level, const uint64_t *values,
                                          const uint64_t *observed, size_t n, size_t d, size_t K,
                                          const double *tables, const double *log_w, double *work,
                                          double *stats, double *loglik) {
  const struct emz_kernel_table *t = emz_kernels_named(level);
  if (!t) return 0;
  *loglik = t->bernoulli_mixture_estep_packed(values, observed, n, d, K, tables, log_w, work, stats);
  return 1;
}

double emz_hmm_estep_gaussian_full(size_t T, size_t d, size_t K, const double *x,
                                   const double *means, const double *inv_chols,
                                   const double *log_consts, const double *initial,
                                   const double *transition, double *b, double *alpha,
                                   double *scale, double *init_acc, double *trans_acc,
                                   double *stats) {
  if (d > 8 || K > 8) return NAN;
  return emz_kernels()->hmm_estep_gaussian_full(T, d, K, x, means, inv_chols, log_consts, initial,
                                                transition, b, alpha, scale, init_acc, trans_acc,
                                                stats);
}

double emz_hmm_estep_linear(size_t T, size_t d, size_t K, const double *x, const double *slopes,
                            const double *offsets, const double *initial,
                            const double *transition, double *b, double *alpha, double *scale,
                            double *init_acc, double *trans_acc, double *stats) {
  if (d > 64 || K > 8) return NAN;
  return emz_kernels()->hmm_estep_linear(T, d, K, x, slopes, offsets, initial, transition, b,
                                         alpha, scale, init_acc, trans_acc, stats);
}
