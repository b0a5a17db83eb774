public import EMZooCore

extension MissingDataRegression {
  /// Each row's prediction of the response from its observed covariates, and its
  /// log-likelihood, under fixed parameters (the joint normal z = (x, y) ~ N(μ, Σ)):
  ///
  ///     ŷᵢ = E[y | x_O] = μ_y + Σ_yO Σ_OO⁻¹ (x_O − μ_O),   ℓᵢ = log N(z_O | μ_O, Σ_OO),
  ///
  /// where O are the row's observed covariates for ŷ (the row's own response is not used, so a
  /// row with complete covariates gets β₀ + βᵀx) and all its observed entries for ℓ. A row with
  /// no covariate observed is predicted by μ_y; a row with nothing observed has ℓᵢ = 0. No labels: the classification term is nil.
  public func rowPosteriors(_ p: Parameters, data: DataSet) throws -> RowPosteriors? {
    // Not `validate`: its demands (more rows than columns, varying columns) are the fit's.
    try checkColumns(data)
    try checkResponseColumn(data)
    let D = dimension, order = checkedLayout(of: data)
    var cache = ConditionalNormalCache(covariances: p.covariance, dimension: D)
    func conditional(_ pattern: MissingPattern) throws -> ConditionalNormal {
      guard let made = cache[pattern] else { throw NotPositiveDefinite() }
      return made
    }
    var predictions = [Double](repeating: 0, count: data.rows)
    var logLikelihoods = [Double](repeating: 0, count: data.rows)
    var z = [Double](repeating: 0, count: D), completed = [Double](repeating: 0, count: D)
    for i in 0..<data.rows {
      for a in 0..<D { z[a] = data[i, order[a]] }
      let pattern = z.withUnsafeBufferPointer { MissingPattern(row: $0.baseAddress!, dimension: D) }
      logLikelihoods[i] = try conditional(pattern).logDensity(z, mean: p.mean)
      let response = z[D - 1]
      z[D - 1] = .nan
      let covariates = MissingPattern(bits: pattern.bits & ~(UInt64(1) << UInt64(D - 1)))
      try conditional(covariates).completed(z, mean: p.mean, into: &completed)
      predictions[i] = completed[D - 1]
      z[D - 1] = response
    }
    return RowPosteriors(logLikelihoods: logLikelihoods, predictions: predictions)
  }
}
