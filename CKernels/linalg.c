// Small dense linear algebra: GSL's Cholesky, and a triangular inverse.
#include "CKernels.h"

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>

int emz_cholesky(size_t d, double *a) {
  // GSL reads the lower triangle; mirror it so the factorisation sees a symmetric matrix.
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < i; j++) a[j * d + i] = a[i * d + j];
  gsl_matrix_view m = gsl_matrix_view_array(a, d, d);
  int status = gsl_linalg_cholesky_decomp1(&m.matrix);
  if (status) return status;
  for (size_t i = 0; i < d; i++) {
    if (!(a[i * d + i] > 0)) return 1;
    for (size_t j = i + 1; j < d; j++) a[i * d + j] = 0;
  }
  return 0;
}

int emz_lower_triangular_invert(size_t d, double *l) {
  for (size_t i = 0; i < d; i++)
    if (!(l[i * d + i] != 0)) return 1;
  gsl_matrix_view m = gsl_matrix_view_array(l, d, d);
  return gsl_linalg_tri_lower_invert(&m.matrix);
}
