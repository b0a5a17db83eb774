import EMZooCore

/// A family that keeps its own, smaller copy of the data it is fitted to (bit-packed binary
/// rows) and runs the mixture's E step on that copy instead of the `Double` matrix.
///
/// `Mixture.adapted(to:)` calls `packedForMixture(_:)` once per fit; `Mixture.expectation` then
/// asks `packedMixtureExpectation` first, and falls back to the fused or the four-verb path when
/// it returns nil (another data set, or no packed copy). The results are the same quantities
/// summed in another order.
protocol PackedMixtureExpectation: EmissionFamily {
  /// The family with a packed copy of `data`, or the family unchanged when the data cannot be
  /// packed (or packing would not pay).
  func packedForMixture(_ data: DataSet) -> Self

  /// Whether packing `data` (or finding it packed) showed every entry valid for the family:
  /// then `Mixture.validate` skips the family's own pass over the entries. False when the data
  /// is not packed (too few rows, a window of a distributed fit's rows) or some entry is not
  /// valid, and the family's `validate` names it.
  func validatedByPacking(_ data: DataSet) -> Bool

  /// Adds the statistics of `rows` of `data` into `statistics` and returns their log-likelihood
  /// Σᵢ log Σₖ exp(logWeights[k] + log f(xᵢ|θₖ)), or nil when the family holds no packed copy of
  /// `data` or `prepared` has no tables for it.
  func packedMixtureExpectation(rows: Range<Int>, of data: DataSet, prepared: Prepared, logWeights: [Double],
                                into statistics: UnsafeMutablePointer<Double>) -> Double?
}

extension PackedMixtureExpectation {
  /// `packedMixtureExpectation` for a caller that holds the family as an existential.
  func packedExpectation(rows: Range<Int>, of data: DataSet, prepared: Any, logWeights: [Double],
                         into statistics: UnsafeMutablePointer<Double>) -> Double? {
    guard let prepared = prepared as? Prepared else { return nil }
    return packedMixtureExpectation(rows: rows, of: data, prepared: prepared, logWeights: logWeights,
                                    into: statistics)
  }

  /// `packedForMixture` for a caller that holds the family as an existential.
  func anyPackedForMixture(_ data: DataSet) -> any EmissionFamily { packedForMixture(data) }
}
