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
  // Counts repeat a lot; small ones come from a table.
  enum { TABLE = 1024 };
  double table[TABLE];
  for (int v = 0; v < TABLE; v++) table[v] = emz_lnfact((double)v);
  double total = 0;
  for (size_t i = 0; i < n * d; i++) {
    double v = x[i];
    if (v != v) continue;
    size_t j = i % d;
    total += v * log_reference[j] - reference[j] - ((v < TABLE) ? table[(int)v] : emz_lnfact(v));
  }
  return total;
}
