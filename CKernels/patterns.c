// The completed-data statistics of missing-data regression from per-pattern moments.
#include "CKernels.h"

#include <stddef.h>
#include <stdint.h>

// Fused multiply-adds would change the last bits against the row-by-row Swift path these
// sums replace; keep every product rounded on its own.
#pragma clang fp contract(off)

double emz_pattern_completed_statistics(size_t D, size_t groups, const uint64_t *bits,
                                        const double *counts, const double *moments,
                                        const size_t *moment_start, const double *reference,
                                        const double *mean, const double *factors,
                                        const size_t *factor_start, double *s1, double *s2,
                                        double *work) {
  // Σ r (D), d (D), Σ r rᵀ (o×o), B Σ r rᵀ (m×o) and the completed D×D block in `work`.
  int32_t observed[64], missing[64];
  double *T = work, *shift = T + D, *R = shift + D, *BR = R + D * D, *total = BR + D * D;
  double log_likelihood = 0;
  for (size_t g = 0; g < groups; g++) {
    size_t o = 0, m = 0;
    for (size_t a = 0; a < D; a++) {
      if ((bits[g] >> a) & 1) observed[o++] = (int32_t)a; else missing[m++] = (int32_t)a;
    }
    const double n = counts[g];
    const emz_residual_sums_layout L = emz_residual_sums_layout_make(o);
    const double *S = moments + moment_start[g] + L.sum, *Q = moments + moment_start[g] + L.squares;
    // r = (z − c) − d with d = μ − c:  Σ r = S − n d,  Σ r rᵀ = Q − S dᵀ − d (Σ r)ᵀ.
    for (size_t a = 0; a < o; a++) {
      shift[a] = mean[observed[a]] - reference[observed[a]];
      T[a] = S[a] - n * shift[a];
    }
    for (size_t a = 0; a < o; a++) {
      for (size_t b = 0; b <= a; b++) {
        double value = Q[a * o + b] - S[a] * shift[b] - shift[a] * T[b];
        R[a * o + b] = value;
        R[b * o + a] = value;
      }
    }
    const double *F = factors + factor_start[bits[g]];
    const emz_pattern_factor_layout FL = emz_pattern_factor_layout_make(o, m);
    const double *P = F + FL.precision, *B = F + FL.regression, *C = F + FL.conditional;
    const double log_constant = F[FL.log_constant];
    // ℓ: n log c_O − ½ tr(Σ_OO⁻¹ Σ r rᵀ).
    double quadratic = 0;
    for (size_t e = 0; e < o * o; e++) quadratic += P[e] * R[e];
    log_likelihood += n * log_constant - 0.5 * quadratic;
    // With A = [I; B] mapping r to the completed deviation: S₁ += A Σ r, S₂ += A R Aᵀ + n C.
    for (size_t i = 0; i < m; i++) {
      for (size_t b = 0; b < o; b++) {
        double value = 0;
        for (size_t a = 0; a < o; a++) value += B[i * o + a] * R[a * o + b];
        BR[i * o + b] = value;
      }
    }
    for (size_t a = 0; a < o; a++) {
      s1[observed[a]] += T[a];
      for (size_t b = 0; b < o; b++) total[observed[a] * D + observed[b]] = R[a * o + b];
    }
    for (size_t i = 0; i < m; i++) {
      double value = 0;
      for (size_t a = 0; a < o; a++) value += B[i * o + a] * T[a];
      s1[missing[i]] += value;
      for (size_t b = 0; b < o; b++) {
        total[missing[i] * D + observed[b]] = BR[i * o + b];
        total[observed[b] * D + missing[i]] = BR[i * o + b];
      }
      for (size_t j = 0; j < m; j++) {
        double v = n * C[i * m + j];
        for (size_t b = 0; b < o; b++) v += BR[i * o + b] * B[j * o + b];
        total[missing[i] * D + missing[j]] = v;
      }
    }
    for (size_t a = 0; a < D; a++) {
      for (size_t b = 0; b <= a; b++) s2[a * D + b] += total[a * D + b];
    }
  }
  return log_likelihood;
}
