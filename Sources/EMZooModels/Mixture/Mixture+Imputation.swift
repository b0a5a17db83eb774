internal import CKernels
public import EMZooCore

extension Mixture: MissingValueImputer {
  /// Each missing entry replaced by its conditional expectation under the fitted mixture,
  ///
  ///     E[x_M | x_O] = Σₖ p(k | x_O) E[x_M | k, x_O],
  ///
  /// the components' conditional means (`ConditionalMeanFamily`: for a Gaussian
  /// μₖ,M + Σₖ,MO Σₖ,OO⁻¹ (x_O − μₖ,O), for Poisson and Bernoulli columns the component's rate or
  /// probability) weighted by the row's responsibilities given its observed entries only, as
  /// the E step computes them. A row with nothing observed gets the marginal mean Σₖ πₖ μₖ.
  /// Observed entries and complete rows are unchanged.
  ///
  /// - Throws: `ImputationUnavailable` when the family gives no conditional means.
  public func imputed(_ parameters: Parameters, data: DataSet) throws -> DataSet {
    guard let imputing = family as? any ConditionalMeanFamily else {
      throw ImputationUnavailable("its component family cannot give the expected value of a missing entry")
    }
    if let reason = imputing.conditionalMeanUnavailable { throw ImputationUnavailable(reason) }
    try checkColumns(data)
    // The family's checks only: a row with nothing observed, refused by a fit (it would add
    // a row that says nothing), is well defined here (p(k | nothing) = πₖ).
    try family.validate(data)
    // The family's reference values (Poisson's column means) as in the fit's E step.
    let model = Mixture(family: family.adapted(to: data))
    let prepared = try model.prepare(parameters)
    func impute<F: ConditionalMeanFamily>(_ family: F) -> DataSet? {
      guard let emission = parameters.emission as? F.Parameters else { return nil }
      return family.imputed(data, parameters: emission) { indices, rows, out in
        // p(k | x_O): the family scores the observed entries only.
        model.family.logDensities(rows, rows: indices.count, prepared: prepared.emission, into: out)
        _ = emz_normalize_rows(out, indices.count, components, prepared.logWeights)
      }
    }
    guard let imputed = impute(imputing) else { preconditionFailure("a family with another family's parameters") }
    return imputed
  }
}
