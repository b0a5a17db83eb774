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

extension HiddenMarkovModel {
  /// The family's fused E step (`FusedForwardBackward`) with its type opened once, when the
  /// model is made: an E step then neither casts the family to the protocol nor boxes its
  /// prepared parameters into `Any` (with the cast back), runtime work that a 107-row fit's
  /// twenty E steps noticed.
  struct FusedExpectation: Sendable {
    /// `fusedForwardBackward` of the chunk `x` of `rows` rows with its `sequences`, at
    /// `prepared`, with its scratch and the initial, transition and emission statistics.
    let run: @Sendable (
      _ x: UnsafePointer<Double>, _ rows: Int, _ sequences: [Range<Int>], _ prepared: Prepared,
      _ scratch: UnsafeMutablePointer<Double>, _ initialStatistics: UnsafeMutablePointer<Double>,
      _ transitionStatistics: UnsafeMutablePointer<Double>, _ emissionStatistics: UnsafeMutablePointer<Double>
    ) -> Double?
  }

  /// Nil when the family has no fused E step.
  static func fusedExpectation(of family: Family) -> FusedExpectation? {
    guard let fused = family as? any FusedForwardBackward else { return nil }
    return opened(fused)
  }

  private static func opened<F: FusedForwardBackward>(_ family: F) -> FusedExpectation {
    FusedExpectation { x, rows, sequences, prepared, scratch, initialStatistics, transitionStatistics,
                       emissionStatistics in
      // F is Family itself, so the cast always succeeds (and copies when the types are equal).
      guard let emission = prepared.emission as? F.Prepared else { return nil }
      return family.fusedForwardBackward(
        x, rows: rows, sequences: sequences, prepared: emission, initial: prepared.initial,
        transition: prepared.transition, scratch: scratch, initialStatistics: initialStatistics,
        transitionStatistics: transitionStatistics, emissionStatistics: emissionStatistics)
    }
  }
}
