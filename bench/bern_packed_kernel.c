// The packed Bernoulli E step against the dense fused kernel, on the C side only (no Swift):
// 200 000 rows × 64 bits, K = 10 (bern-mix's shape), one thread, CPU time, best of `reps`.
// Prints both log-likelihoods, their relative difference and the largest relative difference
// of the statistics. Build from the repository root (any clang; the kernels dispatch at run
// time, EMZOO_KERNELS=baseline or =x86-64-v3 picks a lower level):
//
//   mkdir -p /tmp/bk && for f in CKernels/*.c; do clang -O2 -c -ICKernels/include $f \
//     -o /tmp/bk/$(basename $f .c).o; done && clang -O2 -ICKernels/include \
//     bench/bern_packed_kernel.c /tmp/bk/*.o -lgsl -lgslcblas -lm -ldl -o /tmp/bk/run && /tmp/bk/run
//
// Arguments: [n d K missing-rate reps]; the dense kernel takes d ≤ 64 only.
#include "CKernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? strtoul(argv[1], 0, 10) : 200000, d = argc > 2 ? strtoul(argv[2], 0, 10) : 64;
  size_t K = argc > 3 ? strtoul(argv[3], 0, 10) : 10;
  double missing = argc > 4 ? atof(argv[4]) : 0;
  int reps = argc > 5 ? atoi(argv[5]) : 10;
  if (d > 64 || K > 64) return 2;
  srand(1);
  double *x = malloc(n * d * sizeof *x), *a = malloc(K * d * sizeof *a), *b = malloc(K * d * sizeof *b);
  for (size_t e = 0; e < n * d; e++) x[e] = rand() < missing * RAND_MAX ? NAN : (rand() % 3 == 0);
  double log_w[64];
  for (size_t e = 0; e < K * d; e++) {
    double p = 0.05 + 0.9 * rand() / (double)RAND_MAX;
    a[e] = log(p) - log1p(-p);
    b[e] = log1p(-p);
  }
  for (size_t k = 0; k < K; k++) log_w[k] = -log((double)K);
  size_t W = (d + 63) / 64;
  uint64_t *values = malloc(n * W * 8), *observed = malloc(n * W * 8);
  double t0 = cpu();
  int flag = emz_bits_pack(x, n, d, values, observed);
  double pack = cpu() - t0;
  int with_missing = (flag & 2) != 0;
  emz_bernoulli_tables_layout L = emz_bernoulli_tables_layout_make(d, K, with_missing);
  double *tables = malloc(L.total * sizeof *tables);
  t0 = cpu();
  emz_bernoulli_byte_tables(d, K, a, b, with_missing, tables);
  double build = cpu() - t0;
  size_t S = K * (1 + 2 * d);
  double *dense = calloc(S, 8), *packed = calloc(S, 8);
  double *work = malloc(emz_bernoulli_work_size(d, K, with_missing) * sizeof *work);
  double ll_dense = 0, ll_packed = 0, t_dense = INFINITY, t_packed = INFINITY;
  for (int rep = 0; rep < reps; rep++) {
    for (size_t e = 0; e < S; e++) dense[e] = packed[e] = 0;
    ll_dense = ll_packed = 0;
    t0 = cpu();
    for (size_t c = 0; c < n; c += 2048) {  // the mixtures' chunks of 2048 rows
      size_t m = n - c < 2048 ? n - c : 2048;
      ll_dense += emz_mixture_estep_linear(x + c * d, m, d, K, a, b, log_w, dense);
    }
    double t = cpu() - t0;
    t_dense = t < t_dense ? t : t_dense;
    t0 = cpu();
    for (size_t c = 0; c < n; c += 2048) {
      size_t m = n - c < 2048 ? n - c : 2048;
      ll_packed += emz_bernoulli_mixture_estep_packed(values + c * W, with_missing ? observed + c * W : NULL,
                                                      m, d, K, tables, log_w, work, packed);
    }
    t = cpu() - t0;
    t_packed = t < t_packed ? t : t_packed;
  }
  double worst = 0;
  for (size_t e = 0; e < S; e++) {
    double r = fabs(dense[e] - packed[e]) / fmax(fabs(dense[e]), 1e-300);
    worst = r > worst ? r : worst;
  }
  printf("n %zu d %zu K %zu: pack %.2f ms (once), tables %.3f ms (per iteration), E step dense %.2f ms, "
         "packed %.2f ms (%.2fx)\nlog-likelihood %.17g vs %.17g (relative %.1e), statistics max relative %.1e\n",
         n, d, K, pack * 1e3, build * 1e3, t_dense * 1e3, t_packed * 1e3, t_dense / t_packed, ll_dense,
         ll_packed, fabs(ll_dense - ll_packed) / fabs(ll_dense), worst);
  return 0;
}
