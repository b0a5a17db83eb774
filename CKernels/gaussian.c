// Gaussian log-densities and weighted sufficient statistics.
//
// The log-density of a full-covariance Gaussian with Σ = L Lᵀ is
//   log N(x | μ, Σ) = −d/2 log 2π − Σ_j log L_jj − ½ ‖L⁻¹(x − μ)‖²,
// computed with the precomputed inverse factor so the inner loop is a triangular
// matrix–vector product (no divisions, no dependency chain).
#include "CKernels.h"

#include <math.h>
#include <string.h>

void emz_gaussian_logpdf_full(const double *x, size_t n, size_t d, size_t K,
                              const double *means, const double *inv_chols,
                              const double *log_consts, double *out) {
  double diff[d > 0 ? d : 1];
  for (size_t i = 0; i < n; i++) {
    const double *xi = x + i * d;
    for (size_t k = 0; k < K; k++) {
      const double *mu = means + k * d;
      const double *M = inv_chols + k * d * d;
      for (size_t j = 0; j < d; j++) diff[j] = xi[j] - mu[j];
      double q = 0;
      for (size_t j = 0; j < d; j++) {
        const double *row = M + j * d;
        double z = 0;
        for (size_t l = 0; l <= j; l++) z += row[l] * diff[l];
        q += z * z;
      }
      out[i * K + k] = log_consts[k] - 0.5 * q;
    }
  }
}

void emz_gaussian_accumulate_full(const double *x, size_t n, size_t d, size_t K,
                                  const double *weights, const double *centers,
                                  double *stats) {
  const size_t stride = 1 + d + d * d;
  double diff[d > 0 ? d : 1];
  for (size_t i = 0; i < n; i++) {
    const double *xi = x + i * d;
    for (size_t k = 0; k < K; k++) {
      double w = weights[i * K + k];
      if (w == 0) continue;
      double *s = stats + k * stride;
      const double *c = centers + k * d;
      s[0] += w;
      double *s1 = s + 1, *s2 = s + 1 + d;
      for (size_t j = 0; j < d; j++) {
        diff[j] = xi[j] - c[j];
        s1[j] += w * diff[j];
      }
      for (size_t j = 0; j < d; j++) {
        double wj = w * diff[j];
        double *row = s2 + j * d;
        for (size_t l = 0; l <= j; l++) row[l] += wj * diff[l];
      }
    }
  }
}

void emz_gaussian_logpdf_diag(const double *x, size_t n, size_t d, size_t K,
                              const double *means, const double *precisions,
                              const double *half_log_terms, double *out) {
  for (size_t i = 0; i < n; i++) {
    const double *xi = x + i * d;
    for (size_t k = 0; k < K; k++) {
      const double *mu = means + k * d, *prec = precisions + k * d;
      const double *h = half_log_terms + k * d;
      double acc = 0;
      for (size_t j = 0; j < d; j++) {
        double v = xi[j];
        if (v != v) continue;  // missing: marginalised out
        double e = v - mu[j];
        acc += h[j] - 0.5 * prec[j] * e * e;
      }
      out[i * K + k] = acc;
    }
  }
}

void emz_gaussian_accumulate_diag(const double *x, size_t n, size_t d, size_t K,
                                  const double *weights, const double *centers,
                                  double *stats) {
  const size_t stride = 1 + 3 * d;
  for (size_t i = 0; i < n; i++) {
    const double *xi = x + i * d;
    for (size_t k = 0; k < K; k++) {
      double w = weights[i * K + k];
      if (w == 0) continue;
      double *s = stats + k * stride;
      const double *c = centers + k * d;
      s[0] += w;
      for (size_t j = 0; j < d; j++) {
        double v = xi[j];
        if (v != v) continue;
        double e = v - c[j];
        double *t = s + 1 + 3 * j;
        t[0] += w;
        t[1] += w * e;
        t[2] += w * e * e;
      }
    }
  }
}
