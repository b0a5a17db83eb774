// Statistics layouts: where each number of a sufficient-statistics block lives, written once.
//
// Every layout is a struct of offsets (in doubles) made from the block's shape by an
// `emz_*_layout_make` function; the C kernels that write the statistics and the Swift M steps
// that read them both call the maker and use the field names, so no offset such as `1 + 3*j`
// is repeated anywhere else. A family's block for component k starts at k · stride, and its
// `count` (the component's total weight Σᵢ wᵢₖ) is entry 0, as `EmissionFamily` requires.
//
// Included by CKernels.h; the makers are `static inline`, so they cost nothing in the kernels
// and are plain functions to Swift (`internal import CKernels`).
#ifndef EMZ_LAYOUTS_H
#define EMZ_LAYOUTS_H

#include <stddef.h>

/// A full-covariance Gaussian component over d coordinates, statistics centred at c:
///
///     [ Σw | Σw(x−c) (d) | Σw(x−c)(x−c)ᵀ (d×d row-major, lower triangle filled) ]
///
/// Also the single block of the missing-data regression (d = D, weights 1).
typedef struct {
  size_t count;    ///< Σ w
  size_t sum;      ///< Σ w(x−c)_j at sum + j
  size_t scatter;  ///< Σ w(x−c)_j(x−c)_l at scatter + j·d + l, l ≤ j
  size_t stride;   ///< doubles per component: 1 + d + d²
} emz_gaussian_full_layout;

static inline emz_gaussian_full_layout emz_gaussian_full_layout_make(size_t d) {
  emz_gaussian_full_layout layout = {0, 1, 1 + d, 1 + d + d * d};
  return layout;
}

/// A diagonal (or spherical) Gaussian component over d coordinates, statistics centred at c,
/// missing entries skipped, the three numbers of each coordinate j side by side:
///
///     [ Σw | (Σ_obs w, Σ_obs w(x−c), Σ_obs w(x−c)²) for j = 0, …, d−1 ]
typedef struct {
  size_t count;          ///< Σ w
  size_t observed;       ///< Σ_obs w of coordinate j at observed + j·per_dimension
  size_t sum;            ///< Σ_obs w(x−c)_j at sum + j·per_dimension
  size_t square;         ///< Σ_obs w(x−c)_j² at square + j·per_dimension
  size_t per_dimension;  ///< 3
  size_t stride;         ///< doubles per component: 1 + 3d
} emz_gaussian_diag_layout;

static inline emz_gaussian_diag_layout emz_gaussian_diag_layout_make(size_t d) {
  emz_gaussian_diag_layout layout = {0, 1, 2, 3, 3, 1 + 3 * d};
  return layout;
}

/// A component with independent coordinates and a linear log-density (Poisson, Bernoulli),
/// missing entries skipped:
///
///     [ Σw | Σ_obs w (d) | Σ_obs w·x (d) ]
typedef struct {
  size_t count;     ///< Σ w
  size_t observed;  ///< Σ_obs w of coordinate j at observed + j
  size_t sum;       ///< Σ_obs w·x_j at sum + j
  size_t stride;    ///< doubles per component: 1 + 2d
} emz_independent_layout;

static inline emz_independent_layout emz_independent_layout_make(size_t d) {
  emz_independent_layout layout = {0, 1, 1 + d, 1 + 2 * d};
  return layout;
}

/// A categorical component over M symbols (a missing symbol adds to the count only):
///
///     [ Σw | Σ w·[x = m] (M) ]
typedef struct {
  size_t count;    ///< Σ w
  size_t symbols;  ///< the expected count of symbol m at symbols + m
  size_t stride;   ///< doubles per component: 1 + M
} emz_categorical_layout;

static inline emz_categorical_layout emz_categorical_layout_make(size_t M) {
  emz_categorical_layout layout = {0, 1, 1 + M};
  return layout;
}

/// The statistics of a mixture of K components: the family's K blocks one after another,
/// each starting with the component's weight Nₖ = Σᵢ rᵢₖ.
///
///     [ block 0 (per_component) | … | block K−1 ]
typedef struct {
  size_t weight;         ///< Nₖ at k·per_component + weight
  size_t per_component;  ///< the family's stride
  size_t total;          ///< doubles in all: K · per_component
} emz_mixture_layout;

static inline emz_mixture_layout emz_mixture_layout_make(size_t K, size_t per_component) {
  emz_mixture_layout layout = {0, per_component, K * per_component};
  return layout;
}

/// The statistics of a K-state hidden Markov model:
///
///     [ Σγ₀ (K) | Σₜ ξₜ (K×K row-major) | the family's K blocks (per_state each) ]
///
/// The state weights Σₜ γₜ(k) are the family blocks' counts, at emission + k·per_state.
typedef struct {
  size_t initial;     ///< Σ_sequences γ₀(k) at initial + k
  size_t transition;  ///< Σₜ ξₜ(i, j) at transition + i·K + j
  size_t emission;    ///< the family block of state k at emission + k·per_state
  size_t per_state;   ///< the family's stride
  size_t total;       ///< doubles in all: K + K² + K · per_state
} emz_hmm_layout;

static inline emz_hmm_layout emz_hmm_layout_make(size_t K, size_t per_state) {
  emz_hmm_layout layout = {0, K, K + K * K, per_state, K + K * K + K * per_state};
  return layout;
}

/// The residual sums of one missing-value pattern with o observed coordinates (missing-data
/// regression; the pattern's row count is kept apart):
///
///     [ Σ r (o) | Σ r rᵀ (o×o row-major, lower triangle filled) ]
typedef struct {
  size_t sum;      ///< Σ r_a at sum + a
  size_t squares;  ///< Σ r_a r_b at squares + a·o + b, b ≤ a
  size_t stride;   ///< doubles per pattern: o + o²
} emz_residual_sums_layout;

static inline emz_residual_sums_layout emz_residual_sums_layout_make(size_t o) {
  emz_residual_sums_layout layout = {0, o, o + o * o};
  return layout;
}

/// The factors of one missing-value pattern of a joint normal N(μ, Σ) with o observed and m
/// missing coordinates (missing-data regression, `ConditionalNormal`):
///
///     [ Σ_OO⁻¹ (o×o) | B = Σ_MO Σ_OO⁻¹ (m×o) | C = Σ_MM − B Σ_OM (m×m) | log c_O ]
///
/// all row-major, log c_O = −o/2 log 2π − ½ log|Σ_OO|.
typedef struct {
  size_t precision;     ///< Σ_OO⁻¹ at precision + a·o + b
  size_t regression;    ///< B at regression + i·o + a
  size_t conditional;   ///< C at conditional + i·m + j
  size_t log_constant;  ///< log c_O
  size_t stride;        ///< doubles per pattern: o² + m·o + m² + 1
} emz_pattern_factor_layout;

static inline emz_pattern_factor_layout emz_pattern_factor_layout_make(size_t o, size_t m) {
  emz_pattern_factor_layout layout = {0, o * o, o * o + m * o, o * o + m * o + m * m,
                                      o * o + m * o + m * m + 1};
  return layout;
}

#endif
