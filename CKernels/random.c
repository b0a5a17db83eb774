// Seeded random numbers and samplers, all from GSL.
#include "CKernels.h"

#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

// GSL's default error handler aborts the process; emzoo checks status codes instead.
__attribute__((constructor)) static void emz_gsl_quiet(void) { gsl_set_error_handler_off(); }

struct emz_rng { gsl_rng *g; };
struct emz_discrete { gsl_ran_discrete_t *t; };

emz_rng *emz_rng_create(uint64_t seed) {
  gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
  if (!g) return NULL;
  // MT19937 takes a 32-bit seed; fold the high half in so distinct 64-bit seeds differ.
  unsigned long s = (unsigned long)((seed ^ (seed >> 32)) & 0xffffffffUL);
  gsl_rng_set(g, s == 0 ? 5489UL : s);
  emz_rng *r = malloc(sizeof *r);
  if (!r) { gsl_rng_free(g); return NULL; }
  r->g = g;
  return r;
}

void emz_rng_destroy(emz_rng *rng) {
  if (!rng) return;
  gsl_rng_free(rng->g);
  free(rng);
}

double emz_rng_uniform(emz_rng *rng) { return gsl_rng_uniform(rng->g); }
unsigned long emz_rng_uniform_int(emz_rng *rng, unsigned long n) {
  return gsl_rng_uniform_int(rng->g, n);
}
double emz_rng_gaussian(emz_rng *rng, double sigma) { return gsl_ran_gaussian_ziggurat(rng->g, sigma); }
unsigned int emz_rng_poisson(emz_rng *rng, double mu) { return gsl_ran_poisson(rng->g, mu); }
unsigned int emz_rng_bernoulli(emz_rng *rng, double p) { return gsl_ran_bernoulli(rng->g, p); }
double emz_rng_gamma(emz_rng *rng, double shape, double scale) {
  return gsl_ran_gamma(rng->g, shape, scale);
}

void emz_rng_dirichlet(emz_rng *rng, size_t k, const double *alpha, double *out) {
  gsl_ran_dirichlet(rng->g, k, alpha, out);
}

int emz_rng_multivariate_gaussian(emz_rng *rng, size_t d, const double *mean,
                                  const double *chol, double *out) {
  gsl_vector_const_view mu = gsl_vector_const_view_array(mean, d);
  gsl_matrix_const_view L = gsl_matrix_const_view_array(chol, d, d);
  gsl_vector_view result = gsl_vector_view_array(out, d);
  return gsl_ran_multivariate_gaussian(rng->g, &mu.vector, &L.matrix, &result.vector);
}

emz_discrete *emz_discrete_create(size_t k, const double *p) {
  gsl_ran_discrete_t *t = gsl_ran_discrete_preproc(k, p);
  if (!t) return NULL;
  emz_discrete *table = malloc(sizeof *table);
  if (!table) { gsl_ran_discrete_free(t); return NULL; }
  table->t = t;
  return table;
}

void emz_discrete_destroy(emz_discrete *table) {
  if (!table) return;
  gsl_ran_discrete_free(table->t);
  free(table);
}

size_t emz_discrete_draw(emz_rng *rng, const emz_discrete *table) {
  return gsl_ran_discrete(rng->g, table->t);
}
