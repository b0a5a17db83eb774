// Special functions from GSL, through the status-returning `_e` forms.
#include "CKernels.h"

#include <math.h>
#include <gsl/gsl_sf_gamma.h>

double emz_lngamma(double x) {
  gsl_sf_result r;
  return gsl_sf_lngamma_e(x, &r) == 0 ? r.val : NAN;
}

double emz_lnfact(double x) {
  if (!(x >= 0)) return NAN;
  if (x <= 4294967295.0 && x == floor(x)) {
    gsl_sf_result r;
    return gsl_sf_lnfact_e((unsigned int)x, &r) == 0 ? r.val : NAN;
  }
  return emz_lngamma(x + 1.0);
}

double emz_lnbeta(double a, double b) {
  gsl_sf_result r;
  return gsl_sf_lnbeta_e(a, b, &r) == 0 ? r.val : NAN;
}

double emz_poisson_constant(const double *x, size_t n, size_t d, const double *reference,
                            const double *log_reference) {
  // Counts repeat a lot; small ones come from a table, filled only as far as the data's
  // largest small count (a 107-row series of counts up to 41 needs 42 entries, not 1024:
  // filling all of them was a fifth of such a fit's time). Same values either way.
  enum { TABLE = 1024 };
  double table[TABLE];
  int filled = 0;
  double total = 0;
  for (size_t i = 0; i < n * d; i++) {
    double v = x[i];
    if (v != v) continue;
    size_t j = i % d;
    double lnfact;
    if (v >= 0 && v < TABLE) {
      int k = (int)v;
      for (; filled <= k; filled++) table[filled] = emz_lnfact((double)filled);
      lnfact = table[k];
    } else {
      lnfact = emz_lnfact(v);
    }
    total += v * log_reference[j] - reference[j] - lnfact;
  }
  return total;
}
