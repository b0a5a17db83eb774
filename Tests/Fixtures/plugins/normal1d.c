/*
 * A test plugin with a fixed dimension (d = 1) and two blocks of fixed length, so the flat
 * parameter layout, permutations and the Gaussian random callback are exercised: the
 * univariate normal, blocks "mean" (length 1, real) and "variance" (length 1, positive),
 *
 *     log f(x | m, v) = −½ log(2π v) − (x − m)² / (2v).
 *
 * Statistics per component, centred on the mean the weights were computed at (c):
 * [Σw, Σ_obs w, Σ w (x − c), Σ w (x − c)²]; M step m = c + S₂/S₁, v = S₃/S₁ − (S₂/S₁)².
 * CPluginTests fits it and the built-in gaussian-mixture on the same data and compares.
 */
#include <math.h>

#include "emzoo_plugin.h"

static int stats_size(int d) { (void)d; return 4; }
static int free_count(int K, int d) { (void)d; return 2 * K; }
static int valid(double x) { return isfinite(x); }

/* params: K means, then K variances */
static int initial(int K, int d, double *out, char *e, size_t n) {
  (void)d; (void)e; (void)n;
  for (int k = 0; k < K; k++) { out[k] = 0; out[K + k] = 1; }
  return 0;
}

static int log_density(const double *p, int K, int d, const double *x, size_t rows, double *out,
                       char *e, size_t n) {
  (void)d; (void)e; (void)n;
  const double log2pi = 1.8378770664093454835606594728112; /* log 2π */
  for (size_t i = 0; i < rows; i++)
    for (int k = 0; k < K; k++) {
      const double m = p[k], v = p[K + k], z = x[i] - m;
      out[i * (size_t)K + k] = isnan(x[i]) ? 0 : -0.5 * (log2pi + log(v)) - z * z / (2 * v);
    }
  return 0;
}

static int accumulate(const double *p, int K, int d, const double *x, size_t rows, const double *w,
                      double *s, char *e, size_t n) {
  (void)d; (void)e; (void)n;
  for (size_t i = 0; i < rows; i++)
    for (int k = 0; k < K; k++) {
      const double wk = w[i * (size_t)K + k], z = x[i] - p[k];
      s[4 * k] += wk;
      if (isnan(x[i])) continue;
      s[4 * k + 1] += wk;
      s[4 * k + 2] += wk * z;
      s[4 * k + 3] += wk * z * z;
    }
  return 0;
}

static int maximize(const double *s, int K, int d, const double *previous, double *out, char *e, size_t n) {
  (void)d; (void)e; (void)n;
  for (int k = 0; k < K; k++) {
    const double w = s[4 * k + 1];
    if (!(w > 0)) continue;
    const double shift = s[4 * k + 2] / w;
    out[k] = previous[k] + shift;
    out[K + k] = fmax(s[4 * k + 3] / w - shift * shift, 1e-9);
  }
  return 0;
}

static int sample(const double *p, int K, int d, int k, const emzoo_rng_v1 *rng, double *row, char *e, size_t n) {
  (void)d; (void)e; (void)n;
  row[0] = p[k] + sqrt(p[K + k]) * rng->gaussian(rng->state);
  return 0;
}

static int reseed(double *p, int K, int d, int k, const double *row, char *e, size_t n) {
  (void)K; (void)d; (void)e; (void)n;
  if (!isnan(row[0])) p[k] = row[0];
  return 0;
}

static const emzoo_block_v1 blocks[] = {
  {.name = "mean", .per_dimension = 0, .length = 1, .constraint = EMZOO_REAL},
  {.name = "variance", .per_dimension = 0, .length = 1, .constraint = EMZOO_POSITIVE},
};

static const emzoo_family_v1 family = {
  .abi_version = EMZOO_PLUGIN_ABI_VERSION, .struct_size = sizeof(emzoo_family_v1),
  .name = "normal1d", .summary = "univariate normal (test plugin)", .value_description = "a finite number",
  .dimension = 1, .blocks = blocks, .block_count = 2,
  .statistics_per_component = stats_size, .free_parameter_count = free_count, .validate_value = valid,
  .initial = initial, .check_parameters = NULL, .log_density = log_density, .accumulate = accumulate,
  .maximize = maximize, .sample = sample, .reseed = reseed,
};

const emzoo_family_v1 *emzoo_plugin_family(void) { return &family; }
