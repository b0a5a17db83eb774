// k-means for initialisation (EMZooModels/Numerics/KMeans.swift): the passes over the rows,
// in C so that they vectorise across the centres. Distances are sums of squared differences
// over the entries a row observes (NaN = missing), added in column order without fused
// multiply-adds: the same bits as the straightforward scalar loop, hence the same labels.
#ifndef EMZ_KMEANS_H
#define EMZ_KMEANS_H

#include <stddef.h>

/// The squared distances of rows `rows[0..<count]` (row-major `x`, `d` columns) to `centre`,
/// folded into `nearest` (nearest[s] = min(nearest[s], dist(row s))); returns Σ nearest[s],
/// added in order.
double emz_kmeans_nearest(const double *x, size_t d, const ptrdiff_t *rows, size_t count,
                          const double *centre, double *nearest);

/// Assigns rows `rows[0..<count]` (every row 0..<count when `rows` is NULL) to the nearest of
/// the `k` centres (row-major `centres`, k × d; the first of equal distances wins) and stores
/// the label in `labels[row]`; returns 1 when some label changed.
int emz_kmeans_assign(const double *x, size_t d, const ptrdiff_t *rows, size_t count,
                      const double *centres, size_t k, ptrdiff_t *labels);

/// The Lloyd update: per centre c and column j, the mean of the observed entries of the rows
/// labelled c (added in row order); a centre entry no row observes keeps its value.
/// `scratch` holds 2·k·d doubles.
void emz_kmeans_means(const double *x, size_t d, const ptrdiff_t *rows, size_t count,
                      const ptrdiff_t *labels, size_t k, double *centres, double *scratch);

#endif
