// The hot kernels exist once per instruction set, and the public `emz_*` entry points
// (dispatch.c) call the best one the CPU runs, chosen once at the first call:
//
//   x86-64-v4   AVX-512 F/BW/CD/DQ/VL on top of v3           isa_x86_64_v4.c
//   x86-64-v3   AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE         isa_x86_64_v3.c
//   baseline    x86-64 (SSE2), or whatever the target is      isa_baseline.c
//
// Each isa_*.c compiles kernels.h under `#pragma clang attribute push(target(...))` into a
// table of function pointers, so nothing but the package's own flags (no -march, no
// unsafeFlags) is needed, and the binary runs on any x86-64. On other architectures only
// the baseline table exists. `EMZOO_KERNELS=baseline` or `=x86-64-v3` in the environment
// picks a lower level than the CPU allows (for tests and comparisons); other values are
// ignored.
#ifndef EMZ_DISPATCH_H
#define EMZ_DISPATCH_H

#include "CKernels.h"

struct emz_kernel_table {
  const char *name;
  __typeof__(emz_gaussian_logpdf_full) *gaussian_logpdf_full;
  __typeof__(emz_gaussian_accumulate_full) *gaussian_accumulate_full;
  __typeof__(emz_gaussian_logpdf_diag) *gaussian_logpdf_diag;
  __typeof__(emz_gaussian_accumulate_diag) *gaussian_accumulate_diag;
  __typeof__(emz_linear_logpmf) *linear_logpmf;
  __typeof__(emz_independent_accumulate) *independent_accumulate;
  __typeof__(emz_categorical_logpmf) *categorical_logpmf;
  __typeof__(emz_categorical_accumulate) *categorical_accumulate;
  __typeof__(emz_categorical_scaled_densities) *categorical_scaled_densities;
  __typeof__(emz_normalize_rows) *normalize_rows;
  __typeof__(emz_mixture_estep_diag) *mixture_estep_diag;
  __typeof__(emz_mixture_estep_full) *mixture_estep_full;
  __typeof__(emz_mixture_estep_linear) *mixture_estep_linear;
  __typeof__(emz_hmm_forward_backward) *hmm_forward_backward;
  __typeof__(emz_hmm_forward_backward_densities) *hmm_forward_backward_densities;
  __typeof__(emz_hmm_viterbi) *hmm_viterbi;
  __typeof__(emz_hmm_estep_gaussian_full) *hmm_estep_gaussian_full;
  __typeof__(emz_hmm_estep_linear) *hmm_estep_linear;
  __typeof__(emz_missing_pattern_bits) *missing_pattern_bits;
  __typeof__(emz_pattern_residual_sums) *pattern_residual_sums;
  __typeof__(emz_bits_pack) *bits_pack;
  __typeof__(emz_bernoulli_mixture_estep_packed) *bernoulli_mixture_estep_packed;
};

/// The table of a file that has included kernels.h (EMZ_FN: that file's name suffix).
#define EMZ_KERNEL_TABLE(table, label)                                            \
  const struct emz_kernel_table table = {                                         \
    .name = label,                                                                \
    .gaussian_logpdf_full = EMZ_FN(gaussian_logpdf_full),                         \
    .gaussian_accumulate_full = EMZ_FN(gaussian_accumulate_full),                 \
    .gaussian_logpdf_diag = EMZ_FN(gaussian_logpdf_diag),                         \
    .gaussian_accumulate_diag = EMZ_FN(gaussian_accumulate_diag),                 \
    .linear_logpmf = EMZ_FN(linear_logpmf),                                       \
    .independent_accumulate = EMZ_FN(independent_accumulate),                     \
    .categorical_logpmf = EMZ_FN(categorical_logpmf),                             \
    .categorical_accumulate = EMZ_FN(categorical_accumulate),                     \
    .categorical_scaled_densities = EMZ_FN(categorical_scaled_densities),         \
    .normalize_rows = EMZ_FN(normalize_rows),                                     \
    .mixture_estep_diag = EMZ_FN(mixture_estep_diag),                             \
    .mixture_estep_full = EMZ_FN(mixture_estep_full),                             \
    .mixture_estep_linear = EMZ_FN(mixture_estep_linear),                         \
    .hmm_forward_backward = EMZ_FN(hmm_forward_backward),                         \
    .hmm_forward_backward_densities = EMZ_FN(hmm_forward_backward_densities),     \
    .hmm_viterbi = EMZ_FN(hmm_viterbi),                                           \
    .hmm_estep_gaussian_full = EMZ_FN(hmm_estep_gaussian_full),                   \
    .hmm_estep_linear = EMZ_FN(hmm_estep_linear),                                 \
    .missing_pattern_bits = EMZ_FN(missing_pattern_bits),                         \
    .pattern_residual_sums = EMZ_FN(pattern_residual_sums),                       \
    .bits_pack = EMZ_FN(bits_pack),                                               \
    .bernoulli_mixture_estep_packed = EMZ_FN(bernoulli_mixture_estep_packed),     \
  }

extern const struct emz_kernel_table emz_kernels_baseline;
#if defined(__x86_64__)
extern const struct emz_kernel_table emz_kernels_x86_64_v3;
extern const struct emz_kernel_table emz_kernels_x86_64_v4;
#endif

#endif
