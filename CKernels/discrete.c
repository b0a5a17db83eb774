// Count, binary and categorical log-probabilities and their weighted statistics.
#include "CKernels.h"

#include <math.h>

void emz_poisson_logpmf(const double *x, size_t n, size_t d, size_t K,
                        const double *rates, const double *log_rates, double *out) {
  for (size_t i = 0; i < n; i++) {
    const double *xi = x + i * d;
    for (size_t k = 0; k < K; k++) {
      const double *lam = rates + k * d, *loglam = log_rates + k * d;
      double acc = 0;
      for (size_t j = 0; j < d; j++) {
        double v = xi[j];
        if (v != v) continue;
        acc += v * loglam[j] - lam[j];
      }
      out[i * K + k] = acc;
    }
  }
}

void emz_bernoulli_logpmf(const double *x, size_t n, size_t d, size_t K,
                          const double *log_p, const double *log_1mp, double *out) {
  for (size_t i = 0; i < n; i++) {
    const double *xi = x + i * d;
    for (size_t k = 0; k < K; k++) {
      const double *lp = log_p + k * d, *lq = log_1mp + k * d;
      double acc = 0;
      for (size_t j = 0; j < d; j++) {
        double v = xi[j];
        if (v != v) continue;
        acc += v * lp[j] + (1.0 - v) * lq[j];
      }
      out[i * K + k] = acc;
    }
  }
}

void emz_independent_accumulate(const double *x, size_t n, size_t d, size_t K,
                                const double *weights, double *stats) {
  const size_t stride = 1 + 2 * d;
  for (size_t i = 0; i < n; i++) {
    const double *xi = x + i * d;
    for (size_t k = 0; k < K; k++) {
      double w = weights[i * K + k];
      if (w == 0) continue;
      double *s = stats + k * stride;
      s[0] += w;
      for (size_t j = 0; j < d; j++) {
        double v = xi[j];
        if (v != v) continue;
        s[1 + 2 * j] += w;
        s[2 + 2 * j] += w * v;
      }
    }
  }
}

void emz_categorical_logpmf(const double *x, size_t n, size_t K, size_t M,
                            const double *log_p, double *out) {
  for (size_t i = 0; i < n; i++) {
    double v = x[i];
    if (v != v) {
      for (size_t k = 0; k < K; k++) out[i * K + k] = 0;
      continue;
    }
    size_t s = (size_t)v;
    for (size_t k = 0; k < K; k++) out[i * K + k] = log_p[k * M + s];
  }
}

void emz_categorical_accumulate(const double *x, size_t n, size_t K, size_t M,
                                const double *weights, double *stats) {
  const size_t stride = 1 + M;
  for (size_t i = 0; i < n; i++) {
    double v = x[i];
    for (size_t k = 0; k < K; k++) {
      double w = weights[i * K + k];
      stats[k * stride] += w;
      if (v == v) stats[k * stride + 1 + (size_t)v] += w;
    }
  }
}
