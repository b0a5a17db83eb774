public import EMZooCore

extension HiddenMarkovModel: MissingValueImputer {
  /// Each missing entry replaced by its conditional expectation given the whole sequence,
  ///
  ///     E[xₜⱼ | x] = Σₖ γₜ(k) E[xₜⱼ | sₜ = k, observed entries of row t],
  ///
  /// with γₜ(k) = p(sₜ = k | x) from forward–backward (as `decodeStates`) and the state's
  /// conditional mean from the family (`ConditionalMeanFamily`: for a Gaussian with a full
  /// covariance conditioned on the row's observed entries, for diagonal, Poisson and Bernoulli
  /// emissions the state's mean). Observed entries and complete rows are unchanged; the rows of
  /// a sequence of probability 0 have no posterior and stay missing.
  ///
  /// - Throws: `ImputationUnavailable` when the family gives no conditional means (categorical
  ///   symbols are codes, which have no expectation).
  public func imputed(_ p: Parameters, data: DataSet) throws -> DataSet {
    guard let imputing = family as? any ConditionalMeanFamily else {
      throw ImputationUnavailable(family is CategoricalFamily
        ? "a categorical emission's values are category codes, which have no expected value (emzoo decode gives each row's state probabilities)"
        : "its emission family cannot give the expected value of a missing entry")
    }
    if let reason = imputing.conditionalMeanUnavailable { throw ImputationUnavailable(reason) }
    try checkColumns(data)
    try validate(data)
    let model = adapted(to: data)
    let (gamma, _) = model.posteriors(try model.prepare(p), data: data)
    let K = states
    func impute<F: ConditionalMeanFamily>(_ family: F) -> DataSet? {
      guard let emission = p.emission as? F.Parameters else { return nil }
      return family.imputed(data, parameters: emission) { indices, _, out in
        for (r, i) in indices.enumerated() {
          for k in 0..<K { out[r * K + k] = gamma[i * K + k] }
        }
      }
    }
    guard let imputed = impute(imputing) else { preconditionFailure("a family with another family's parameters") }
    return imputed
  }
}
