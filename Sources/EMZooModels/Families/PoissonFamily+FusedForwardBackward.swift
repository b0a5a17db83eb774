internal import CKernels

extension PoissonFamily: FusedForwardBackward {
  /// K ≤ 8 states and d ≤ 64 counts (missing entries allowed), by `emz_hmm_estep_linear` (each
  /// sequence's emissions inside its forward pass and its statistics inside its backward
  /// pass); nil otherwise.
  public func fusedForwardBackward(_ x: UnsafePointer<Double>, rows: Int, sequences: [Range<Int>], prepared: Prepared,
                                   initial: [Double], transition: [Double], scratch: UnsafeMutablePointer<Double>,
                                   initialStatistics: UnsafeMutablePointer<Double>,
                                   transitionStatistics: UnsafeMutablePointer<Double>,
                                   emissionStatistics: UnsafeMutablePointer<Double>) -> Double? {
    let d = dimension, K = components
    guard d >= 1, d <= 64, K >= 1, K <= 8 else { return nil }
    let b = scratch, alpha = b + 8 * rows, scale = alpha + 8 * rows
    var logLikelihood = 0.0
    for sequence in sequences {
      logLikelihood += emz_hmm_estep_linear(
        sequence.count, d, K, x + sequence.lowerBound * d, prepared.slopes, prepared.offsets, initial,
        transition, b, alpha, scale, initialStatistics, transitionStatistics, emissionStatistics)
    }
    return logLikelihood
  }
}
