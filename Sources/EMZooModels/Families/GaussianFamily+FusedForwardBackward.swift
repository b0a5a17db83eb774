internal import CKernels

extension GaussianFamily: FusedForwardBackward {
  /// Full and tied covariances with d ≤ 8 and K ≤ 8 on a chunk without missing entries, by
  /// `emz_hmm_estep_gaussian_full` (each sequence's emissions inside its forward pass and its
  /// statistics inside its backward pass); nil otherwise.
  public func fusedForwardBackward(_ x: UnsafePointer<Double>, rows: Int, sequences: [Range<Int>], prepared: Prepared,
                                   initial: [Double], transition: [Double], scratch: UnsafeMutablePointer<Double>,
                                   initialStatistics: UnsafeMutablePointer<Double>,
                                   transitionStatistics: UnsafeMutablePointer<Double>,
                                   emissionStatistics: UnsafeMutablePointer<Double>) -> Double? {
    let d = dimension, K = components
    guard !covariance.isDiagonal, d >= 1, d <= 8, K >= 1, K <= 8 else { return nil }
    // Rows with missing entries need the conditional statistics of the separate path (one
    // vectorised scan of the chunk).
    if emz_has_nan(x, rows * d) != 0 { return nil }
    let b = scratch, alpha = b + 8 * rows, scale = alpha + 8 * rows
    var logLikelihood = 0.0
    for sequence in sequences {
      logLikelihood += emz_hmm_estep_gaussian_full(
        sequence.count, d, K, x + sequence.lowerBound * d, prepared.means, prepared.inverseCholesky,
        prepared.logConstants, initial, transition, b, alpha, scale, initialStatistics, transitionStatistics,
        emissionStatistics)
    }
    return logLikelihood
  }
}
