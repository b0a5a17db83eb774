// k-means passes for initialisation (include/kmeans.h). The distance of a row to a centre is
//
//     dist = Σ_{j observed} (x_j − c_j)²,   added in column order j = 0, 1, …
//
// without fused multiply-adds (contraction is off in this file), so every distance has the
// bits of the plain scalar loop; the loops run across a tile of centres at once, which the
// compiler vectorises without changing any single sum.
#include "CKernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#pragma clang fp contract(off)

enum { EMZ_KMEANS_TILE = 8 };

// Compiled for x86-64-v4, x86-64-v3 and the baseline, chosen by the loader (an ifunc) for the
// running CPU: the same additions in every version, only the vector width differs.
#if defined(__x86_64__) && defined(__linux__)
#define EMZ_KMEANS_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define EMZ_KMEANS_CLONES
#endif

static inline double emz_kmeans_distance(const double *row, const double *centre, size_t d) {
  double s = 0.0;
  for (size_t j = 0; j < d; j++) {
    const double e = row[j] - centre[j];
    if (e == e) s += e * e;
  }
  return s;
}

double emz_kmeans_nearest(const double *x, size_t d, const ptrdiff_t *rows, size_t count,
                          const double *centre, double *nearest) {
  double total = 0.0;
  for (size_t s = 0; s < count; s++) {
    const double dist = emz_kmeans_distance(x + (size_t)rows[s] * d, centre, d);
    if (dist < nearest[s]) nearest[s] = dist;
    total += nearest[s];
  }
  return total;
}

EMZ_KMEANS_CLONES
int emz_kmeans_assign(const double *x, size_t d, const ptrdiff_t *rows, size_t count,
                      const double *centres, size_t k, ptrdiff_t *labels) {
  // The centres transposed per tile of TILE: ct[(tile · d + j) · TILE + t] is column j of
  // centre tile · TILE + t; lanes past k are +inf (their distance, +inf, never wins).
  const size_t tiles = (k + EMZ_KMEANS_TILE - 1) / EMZ_KMEANS_TILE;
  double *ct = malloc(tiles * d * EMZ_KMEANS_TILE * sizeof(double) + 1);
  if (ct) {
    for (size_t tile = 0; tile < tiles; tile++)
      for (size_t j = 0; j < d; j++)
        for (size_t t = 0; t < EMZ_KMEANS_TILE; t++) {
          const size_t c = tile * EMZ_KMEANS_TILE + t;
          ct[(tile * d + j) * EMZ_KMEANS_TILE + t] = c < k ? centres[c * d + j] : INFINITY;
        }
  }
  int changed = 0;
  for (size_t s = 0; s < count; s++) {
    const size_t i = rows ? (size_t)rows[s] : s;
    const double *row = x + i * d;
    ptrdiff_t best = 0;
    double bestDistance = INFINITY;
    for (size_t tile = 0; tile < tiles; tile++) {
      double dist[EMZ_KMEANS_TILE];
      if (ct) {
        const double *block = ct + tile * d * EMZ_KMEANS_TILE;
        for (size_t t = 0; t < EMZ_KMEANS_TILE; t++) dist[t] = 0.0;
        for (size_t j = 0; j < d; j++) {
          const double v = row[j];
          if (v != v) continue;  // missing (no centre entry is NaN, so e is NaN exactly here)
          for (size_t t = 0; t < EMZ_KMEANS_TILE; t++) {
            const double e = v - block[j * EMZ_KMEANS_TILE + t];
            dist[t] += e * e;
          }
        }
      } else {
        for (size_t t = 0; t < EMZ_KMEANS_TILE; t++) {
          const size_t c = tile * EMZ_KMEANS_TILE + t;
          dist[t] = c < k ? emz_kmeans_distance(row, centres + c * d, d) : INFINITY;
        }
      }
      for (size_t t = 0; t < EMZ_KMEANS_TILE; t++) {
        if (dist[t] < bestDistance) {
          bestDistance = dist[t];
          best = (ptrdiff_t)(tile * EMZ_KMEANS_TILE + t);
        }
      }
    }
    if (labels[i] != best) {
      changed = 1;
      labels[i] = best;
    }
  }
  free(ct);
  return changed;
}

void emz_kmeans_means(const double *x, size_t d, const ptrdiff_t *rows, size_t count,
                      const ptrdiff_t *labels, size_t k, double *centres, double *scratch) {
  double *sums = scratch, *counts = scratch + k * d;
  memset(scratch, 0, 2 * k * d * sizeof(double));
  for (size_t s = 0; s < count; s++) {
    const size_t i = (size_t)rows[s];
    const double *row = x + i * d;
    double *sum = sums + (size_t)labels[i] * d, *n = counts + (size_t)labels[i] * d;
    for (size_t j = 0; j < d; j++) {
      const double v = row[j];
      if (v == v) {
        sum[j] += v;
        n[j] += 1.0;
      }
    }
  }
  for (size_t e = 0; e < k * d; e++)
    if (counts[e] > 0) centres[e] = sums[e] / counts[e];
}
