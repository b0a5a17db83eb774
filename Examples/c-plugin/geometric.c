/*
 * geometric.c — an emzoo emission family in C: d independent geometric counts per component.
 *
 *     f(x | p) = Πⱼ (1 − pⱼ)^xⱼ pⱼ,   xⱼ ∈ {0, 1, 2, …} (failures before the first success),
 *     pⱼ ∈ (0, 1].
 *
 * E step: log f = Σⱼ xⱼ log(1 − pⱼ) + log pⱼ over the observed entries (0·log 0 = 0 for p = 1).
 * Statistics per component: [Σw, Σ_observed w per column (d), Σ_observed w·x per column (d)].
 * M step: pₖⱼ = nₖⱼ / (nₖⱼ + Σ w x), the maximiser of Σ w (x log(1 − p) + log p), kept at
 * its previous value when no weighted row observes column j.
 * Sampling by inversion: x = ⌊log(1 − U) / log(1 − p)⌋, U uniform on [0, 1).
 * Imputation: a missing count's expectation under component k is its mean (1 − pₖⱼ) / pₖⱼ.
 *
 * Build:  cc -shared -fPIC -O2 -Wall -Wextra -I../../Sources/EMZooPluginABI/include \
 *             geometric.c -o libgeometric.so -lm
 * Every function is re-entrant: no state outside its arguments.
 */
#include <math.h>
#include <stdio.h>

#include "emzoo_plugin.h"

static int statistics_per_component(int d) { return 1 + 2 * d; }

static int free_parameter_count(int K, int d) { return K * d; }

static int validate_value(double x) { return x >= 0 && x == floor(x); }

static int initial(int K, int d, double *out, char *error, size_t error_size) {
  (void)error;
  (void)error_size;
  for (int e = 0; e < K * d; e++) out[e] = 0.5;
  return 0;
}

static int check_parameters(const double *p, int K, int d, char *error, size_t error_size) {
  for (int e = 0; e < K * d; e++) {
    if (!(p[e] > 0 && p[e] <= 1)) {
      snprintf(error, error_size, "probabilities[%d][%d] is %g, expected a probability in (0, 1]",
               e / d, e % d, p[e]);
      return 1;
    }
  }
  return 0;
}

/* x log(1 − p) with 0 · log 0 = 0 (p = 1 puts all mass on x = 0). */
static double failures_term(double x, double p) { return x > 0 ? x * log1p(-p) : 0; }

static int log_density(const double *p, int K, int d, const double *x, size_t rows, double *out,
                       char *error, size_t error_size) {
  (void)error;
  (void)error_size;
  for (size_t i = 0; i < rows; i++) {
    const double *row = x + i * (size_t)d;
    for (int k = 0; k < K; k++) {
      const double *pk = p + (size_t)k * d;
      double sum = 0;
      for (int j = 0; j < d; j++) {
        if (isnan(row[j])) continue;
        sum += failures_term(row[j], pk[j]) + log(pk[j]);
      }
      out[i * (size_t)K + k] = sum;
    }
  }
  return 0;
}

static int accumulate(const double *p, int K, int d, const double *x, size_t rows,
                      const double *weights, double *stats, char *error, size_t error_size) {
  (void)p;
  (void)error;
  (void)error_size;
  const int S = statistics_per_component(d);
  for (size_t i = 0; i < rows; i++) {
    const double *row = x + i * (size_t)d;
    for (int k = 0; k < K; k++) {
      const double w = weights[i * (size_t)K + k];
      double *s = stats + (size_t)k * S;
      s[0] += w;
      for (int j = 0; j < d; j++) {
        if (isnan(row[j])) continue;
        s[1 + j] += w;
        s[1 + d + j] += w * row[j];
      }
    }
  }
  return 0;
}

static int maximize(const double *stats, int K, int d, const double *previous, double *out,
                    char *error, size_t error_size) {
  (void)previous; /* `out` arrives holding it */
  (void)error;
  (void)error_size;
  const int S = statistics_per_component(d);
  for (int k = 0; k < K; k++) {
    const double *s = stats + (size_t)k * S;
    for (int j = 0; j < d; j++) {
      const double n = s[1 + j], sum = s[1 + d + j];
      if (n > 0) out[(size_t)k * d + j] = fmax(n / (n + sum), 1e-12);
    }
  }
  return 0;
}

static int sample(const double *p, int K, int d, int k, const emzoo_rng_v1 *rng, double *row,
                  char *error, size_t error_size) {
  (void)K;
  (void)error;
  (void)error_size;
  for (int j = 0; j < d; j++) {
    const double pj = p[(size_t)k * d + j];
    if (pj >= 1) {
      row[j] = 0;
      continue;
    }
    const double u = rng->uniform(rng->state); /* [0, 1): log(1 − u) is finite */
    row[j] = floor(log1p(-u) / log1p(-pj));
  }
  return 0;
}

/* A component started at row x gets the geometric with mean x + 1/2, p = 1 / (1.5 + x): near
 * the row, and p < 1 so that no count is impossible under it. */
static int reseed(double *p, int K, int d, int k, const double *row, char *error, size_t error_size) {
  (void)K;
  (void)error;
  (void)error_size;
  for (int j = 0; j < d; j++) {
    if (!isnan(row[j])) p[(size_t)k * d + j] = 1 / (1 + row[j] + 0.5);
  }
  return 0;
}

/* The columns are independent given the component, so a missing count's expectation is the
 * component's mean (1 − p) / p (failures before the first success), whatever the row holds. */
static int conditional_mean(const double *p, int K, int d, const double *x, size_t rows, double *out,
                            char *error, size_t error_size) {
  (void)x;
  (void)error;
  (void)error_size;
  for (size_t i = 0; i < rows; i++) {
    for (int e = 0; e < K * d; e++) out[i * (size_t)K * d + e] = (1 - p[e]) / p[e];
  }
  return 0;
}

static const emzoo_block_v1 blocks[] = {
  {.name = "probabilities", .per_dimension = 1, .length = 0, .constraint = EMZOO_PROBABILITY},
};

static const emzoo_family_v1 family = {
  .abi_version = EMZOO_PLUGIN_ABI_VERSION,
  .struct_size = sizeof(emzoo_family_v1),
  .name = "geometric",
  .summary = "mixture of K products of d independent geometric counts (C plugin)",
  .value_description = "a non-negative integer count",
  .dimension = 0,
  .blocks = blocks,
  .block_count = 1,
  .statistics_per_component = statistics_per_component,
  .free_parameter_count = free_parameter_count,
  .validate_value = validate_value,
  .initial = initial,
  .check_parameters = check_parameters,
  .log_density = log_density,
  .accumulate = accumulate,
  .maximize = maximize,
  .sample = sample,
  .reseed = reseed,
  .conditional_mean = conditional_mean,
};

const emzoo_family_v1 *emzoo_plugin_family(void) { return &family; }
