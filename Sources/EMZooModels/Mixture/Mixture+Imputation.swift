internal import CKernels
public import EMZooCore

extension Mixture: MissingValueImputer where Family == GaussianFamily {
  /// Each missing entry replaced by its conditional expectation under the fitted mixture,
  ///
  ///     E[x_M | x_O] = Σₖ p(k | x_O) (μₖ,M + Σₖ,MO Σₖ,OO⁻¹ (x_O − μₖ,O)),
  ///
  /// the components' conditional means weighted by the row's responsibilities given its
  /// observed entries. Observed entries are unchanged.
  public func imputed(_ parameters: Parameters, data: DataSet) throws -> DataSet {
    try checkColumns(data)
    try validate(data)
    let prepared = try prepare(parameters)
    let K = family.components, d = dimension
    var out = data
    var densities = [Double](repeating: 0, count: K)
    var completed = [Double](repeating: 0, count: d)
    var cache = ConditionalNormalCache(covariances: parameters.emission.covariances, dimension: d)
    parameters.emission.means.withUnsafeBufferPointer { means in
      data.values.withUnsafeBufferPointer { all in
        for i in 0..<data.rows {
          let row = all.baseAddress! + i * d
          guard (0..<d).contains(where: { row[$0].isNaN }) else { continue }
          // p(k | x_O): the family scores the observed entries only.
          family.logDensities(row, rows: 1, prepared: prepared.emission, into: &densities)
          _ = emz_normalize_rows(&densities, 1, K, prepared.logWeights)
          let pattern = MissingPattern(row: row, dimension: d)
          // Σₖ passed `prepare`: every principal submatrix is positive definite.
          let conditionals = family.conditionals(pattern, cache: &cache)
          for j in 0..<d where row[j].isNaN { out.values[i * d + j] = 0 }
          for k in 0..<K {
            conditionals[k].completed(row, mean: means.baseAddress! + k * d, into: &completed)
            for j in 0..<d where row[j].isNaN { out.values[i * d + j] += densities[k] * completed[j] }
          }
        }
      }
    }
    return out
  }
}
