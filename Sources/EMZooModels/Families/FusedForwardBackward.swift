/// A family whose emissions a hidden Markov model can compute inside its forward–backward pass.
///
/// The separate E step of an HMM makes passes over a chunk for the emission log-densities,
/// the forward–backward recursions and the weighted statistics. The recursions are a chain
/// of dependent operations that leaves most of the processor idle; a family adopting this
/// protocol computes row t's emission densities inside the forward step t and accumulates row
/// t's statistics (weighted by γₜ) inside the backward step t, so that work fills the chain's
/// latency instead of taking passes of its own.
public protocol FusedForwardBackward: EmissionFamily {
  /// The whole E step of a K-state HMM over `sequences` (row ranges relative to `x`, in
  /// order, covering the chunk): adds Σ γ₀ to `initialStatistics` (K), Σₜ ξₜ to
  /// `transitionStatistics` (K×K) and the emission statistics weighted by γ to
  /// `emissionStatistics` (K blocks of `statisticsPerComponent`), and returns
  /// Σ log P(sequence) without the parameter-free constant, as `logDensities` + the scaled
  /// forward–backward + `accumulate` would (the same formulas; the statistics summed in
  /// another order). Returns nil, having touched nothing, when the fused kernel does not apply
  /// (then the HMM takes the separate path). `scratch` holds at least
  /// `17 · rows + 3 · max(K, 8)` doubles.
  func fusedForwardBackward(_ x: UnsafePointer<Double>, rows: Int, sequences: [Range<Int>], prepared: Prepared,
                            initial: [Double], transition: [Double], scratch: UnsafeMutablePointer<Double>,
                            initialStatistics: UnsafeMutablePointer<Double>,
                            transitionStatistics: UnsafeMutablePointer<Double>,
                            emissionStatistics: UnsafeMutablePointer<Double>) -> Double?
}

extension FusedForwardBackward {
  /// `fusedForwardBackward` for a caller that holds the family as an existential (the HMM);
  /// nil when `prepared` is not this family's.
  func fusedForwardBackward(_ x: UnsafePointer<Double>, rows: Int, sequences: [Range<Int>], anyPrepared prepared: Any,
                            initial: [Double], transition: [Double], scratch: UnsafeMutablePointer<Double>,
                            initialStatistics: UnsafeMutablePointer<Double>,
                            transitionStatistics: UnsafeMutablePointer<Double>,
                            emissionStatistics: UnsafeMutablePointer<Double>) -> Double? {
    guard let prepared = prepared as? Prepared else { return nil }
    return fusedForwardBackward(x, rows: rows, sequences: sequences, prepared: prepared, initial: initial,
                                transition: transition, scratch: scratch, initialStatistics: initialStatistics,
                                transitionStatistics: transitionStatistics, emissionStatistics: emissionStatistics)
  }
}
