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

/// Centres a tile (vector lanes of `emz_kmeans_assign`), and rows whose distances are summed
/// side by side (`emz_kmeans_assign`, `emz_kmeans_nearest`).
enum { EMZ_KMEANS_TILE = 8, EMZ_KMEANS_ROWS = 4 };
typedef double emz_kmeans_lanes __attribute__((vector_size(EMZ_KMEANS_TILE * sizeof(double)), aligned(8)));
typedef long long emz_kmeans_bits __attribute__((vector_size(EMZ_KMEANS_TILE * sizeof(double)), aligned(8)));

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

EMZ_KMEANS_CLONES
double emz_kmeans_nearest(const double *x, size_t d, const ptrdiff_t *rows, size_t count,
                          const double *centre, double *nearest) {
  // EMZ_KMEANS_ROWS rows at a time: their sums are independent chains of additions (one chain
  // a row waits on the addition's latency at every column), each still added in column order.
  // A missing entry adds +0.0, which leaves a sum unchanged: it starts at +0.0 and never
  // becomes −0.0.
  double total = 0.0;
  size_t s = 0;
  for (; s + EMZ_KMEANS_ROWS <= count; s += EMZ_KMEANS_ROWS) {
    const double *row[EMZ_KMEANS_ROWS];
    double dist[EMZ_KMEANS_ROWS];
    for (size_t r = 0; r < EMZ_KMEANS_ROWS; r++) {
      row[r] = x + (size_t)rows[s + r] * d;
      dist[r] = 0.0;
    }
    for (size_t j = 0; j < d; j++) {
      const double c = centre[j];
      for (size_t r = 0; r < EMZ_KMEANS_ROWS; r++) {
        const double e = row[r][j] - c;
        dist[r] += e == e ? e * e : 0.0;
      }
    }
    for (size_t r = 0; r < EMZ_KMEANS_ROWS; r++) {
      if (dist[r] < nearest[s + r]) nearest[s + r] = dist[r];
      total += nearest[s + r];
    }
  }
  for (; s < count; s++) {
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
  for (size_t s0 = 0; s0 < count; s0 += EMZ_KMEANS_ROWS) {
    // EMZ_KMEANS_ROWS rows side by side, so that the tile's chains of additions (one per row,
    // in column order) overlap.
    const size_t rowsHere = count - s0 < EMZ_KMEANS_ROWS ? count - s0 : EMZ_KMEANS_ROWS;
    const double *row[EMZ_KMEANS_ROWS];
    ptrdiff_t best[EMZ_KMEANS_ROWS];
    double bestDistance[EMZ_KMEANS_ROWS];
    for (size_t r = 0; r < EMZ_KMEANS_ROWS; r++) {
      const size_t s = s0 + (r < rowsHere ? r : 0);
      row[r] = x + (rows ? (size_t)rows[s] : s) * d;
      best[r] = 0;
      bestDistance[r] = INFINITY;
    }
    for (size_t tile = 0; tile < tiles; tile++) {
      double dist[EMZ_KMEANS_ROWS][EMZ_KMEANS_TILE];
      if (ct) {
        // The tile's centres are the lanes of one vector (explicitly: left to itself the
        // vectoriser gathered across the rows instead).
        const double *block = ct + tile * d * EMZ_KMEANS_TILE;
        emz_kmeans_lanes acc[EMZ_KMEANS_ROWS];
        for (size_t r = 0; r < EMZ_KMEANS_ROWS; r++) acc[r] = (emz_kmeans_lanes){0};
        for (size_t j = 0; j < d; j++) {
          const emz_kmeans_lanes c = *(const emz_kmeans_lanes *)(block + j * EMZ_KMEANS_TILE);
          for (size_t r = 0; r < EMZ_KMEANS_ROWS; r++) {
            // A missing entry (NaN; no centre entry is NaN, so e is NaN exactly there) adds
            // +0.0 to every lane, as skipping it would: a sum starts at +0.0 and never becomes
            // −0.0, and a padding lane's +inf stays +inf.
            const emz_kmeans_lanes e = row[r][j] - c, square = e * e;
            acc[r] += (emz_kmeans_lanes)((emz_kmeans_bits)square & (emz_kmeans_bits)(square == square));
          }
        }
        for (size_t r = 0; r < EMZ_KMEANS_ROWS; r++)
          for (size_t t = 0; t < EMZ_KMEANS_TILE; t++) dist[r][t] = acc[r][t];
      } else {
        for (size_t r = 0; r < EMZ_KMEANS_ROWS; r++)
          for (size_t t = 0; t < EMZ_KMEANS_TILE; t++) {
            const size_t c = tile * EMZ_KMEANS_TILE + t;
            dist[r][t] = c < k ? emz_kmeans_distance(row[r], centres + c * d, d) : INFINITY;
          }
      }
      for (size_t r = 0; r < EMZ_KMEANS_ROWS; r++)
        for (size_t t = 0; t < EMZ_KMEANS_TILE; t++) {
          if (dist[r][t] < bestDistance[r]) {
            bestDistance[r] = dist[r][t];
            best[r] = (ptrdiff_t)(tile * EMZ_KMEANS_TILE + t);
          }
        }
    }
    for (size_t r = 0; r < rowsHere; r++) {
      const size_t i = rows ? (size_t)rows[s0 + r] : s0 + r;
      if (labels[i] != best[r]) {
        changed = 1;
        labels[i] = best[r];
      }
    }
  }
  free(ct);
  return changed;
}

EMZ_KMEANS_CLONES
void emz_kmeans_means(const double *x, size_t d, const ptrdiff_t *rows, size_t count,
                      const ptrdiff_t *labels, size_t k, double *centres, double *scratch) {
  // Without a branch per entry, so that a row's columns add as vectors: a missing entry adds
  // +0.0 to its sum and count (a sum starts at +0.0 and never becomes −0.0).
  double *restrict sums = scratch, *restrict counts = scratch + k * d;
  memset(scratch, 0, 2 * k * d * sizeof(double));
  for (size_t s = 0; s < count; s++) {
    const size_t i = (size_t)rows[s];
    const double *restrict row = x + i * d;
    double *restrict sum = sums + (size_t)labels[i] * d, *restrict n = counts + (size_t)labels[i] * d;
    for (size_t j = 0; j < d; j++) {
      const double v = row[j];
      const int observed = v == v;
      sum[j] += observed ? v : 0.0;
      n[j] += observed ? 1.0 : 0.0;
    }
  }
  for (size_t e = 0; e < k * d; e++)
    if (counts[e] > 0) centres[e] = sums[e] / counts[e];
}
