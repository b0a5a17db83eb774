public import EMZooCore
import Foundation

/// Why an estimate beside the fit (standard errors, the complete-case fit) is unavailable.
public struct InferenceFailure: Error, CustomStringConvertible, Sendable {
  public var description: String
}

extension MissingDataRegression {
  // MARK: - Rows grouped by missingness pattern

  /// The rows of one missingness pattern: n, Σ r and Σ r rᵀ with r = z_O − μ_O.
  struct PatternGroup {
    var observed: [Int]
    var count = 0.0
    var residualSum: [Double]
    var residualSquares: [Double]
  }

  /// Groups the rows of `data` by pattern (in order of first appearance), with residual
  /// moments about `mean`.
  func patternGroups(_ mean: [Double], data: DataSet) -> [PatternGroup] {
    if data.sumsByBlock { return blockPatternGroups(mean, data: data) }
    return patternGroups(mean, data: data, rows: 0..<data.rows)
  }

  /// `patternGroups` of the rows `rows`.
  func patternGroups(_ mean: [Double], data: DataSet, rows: Range<Int>) -> [PatternGroup] {
    let D = dimension, order = checkedLayout(of: data)
    var index: [MissingPattern: Int] = [:]
    var groups: [PatternGroup] = []
    var z = [Double](repeating: 0, count: D), r = [Double](repeating: 0, count: D)
    for i in rows {
      for a in 0..<D { z[a] = data[i, order[a]] }
      let pattern = z.withUnsafeBufferPointer { MissingPattern(row: $0.baseAddress!, dimension: D) }
      let g: Int
      if let known = index[pattern] {
        g = known
      } else {
        let observed = pattern.observed(dimension: D)
        g = groups.count
        index[pattern] = g
        groups.append(PatternGroup(
          observed: observed, residualSum: [Double](repeating: 0, count: observed.count),
          residualSquares: [Double](repeating: 0, count: observed.count * observed.count)))
      }
      let observed = groups[g].observed, o = observed.count
      for (k, a) in observed.enumerated() { r[k] = z[a] - mean[a] }
      groups[g].count += 1
      for k in 0..<o {
        groups[g].residualSum[k] += r[k]
        for l in 0..<o { groups[g].residualSquares[k * o + l] += r[k] * r[l] }
      }
    }
    return groups
  }

  // MARK: - Observed information and standard errors

  /// The observed information −∂²ℓ/∂θ∂θᵀ of the observed-data log-likelihood, for
  /// θ = (μ, vech Σ) (Σ's entries σ_ab with a ≤ b, row by row), differentiated analytically.
  ///
  /// For the rows of one pattern, with P = Σ_OO⁻¹, n rows, s = Σ r, R = Σ r rᵀ, w = P s,
  /// Q = P R P, and E_ab = ∂Σ_OO/∂σ_ab (ones at (a, b) and (b, a)):
  ///
  ///     I_μμ = n P,   I_μ,σab = P E_ab w,   I_σab,σcd = tr(E_ab P E_cd Q) − ½ n tr(E_ab P E_cd P)
  ///
  /// from ℓ_O = −½ log|Σ_OO| − ½ rᵀ P r, summed over the patterns (entries of θ a pattern does
  /// not observe get nothing from it). Exact at any θ, so there is no step size to tune.
  func observedInformation(_ parameters: Parameters, data: DataSet) -> (information: [Double], pairs: [(Int, Int)]) {
    let D = dimension
    let pairs: [(Int, Int)] = (0..<D).flatMap { a in (a..<D).map { (a, $0) } }
    let q = D + pairs.count
    var information = [Double](repeating: 0, count: q * q)
    for group in patternGroups(parameters.mean, data: data) where !group.observed.isEmpty {
      let observed = group.observed, o = observed.count, n = group.count
      var position = [Int](repeating: -1, count: D)
      for (k, a) in observed.enumerated() { position[a] = k }
      // P = Σ_OO⁻¹.
      var block = [Double](repeating: 0, count: o * o)
      for k in 0..<o { for l in 0..<o { block[k * o + l] = parameters.covariance[observed[k] * D + observed[l]] } }
      guard let P = SymmetricMatrix.inverse(block, dimension: o) else { continue }
      let w = (0..<o).map { k in (0..<o).reduce(0.0) { $0 + P[k * o + $1] * group.residualSum[$1] } }
      var PR = [Double](repeating: 0, count: o * o), Q = [Double](repeating: 0, count: o * o)
      for k in 0..<o { for l in 0..<o { for m in 0..<o { PR[k * o + l] += P[k * o + m] * group.residualSquares[m * o + l] } } }
      for k in 0..<o { for l in 0..<o { for m in 0..<o { Q[k * o + l] += PR[k * o + m] * P[m * o + l] } } }
      // The covariance entries this pattern observes, with their unit entries in O coordinates.
      var local: [(theta: Int, units: [(Int, Int)])] = []
      for (k, (a, b)) in pairs.enumerated() where position[a] >= 0 && position[b] >= 0 {
        let (u, v) = (position[a], position[b])
        local.append((D + k, u == v ? [(u, u)] : [(u, v), (v, u)]))
      }
      for k in 0..<o {
        for l in 0..<o { information[observed[k] * q + observed[l]] += n * P[k * o + l] }
      }
      for (theta, units) in local {
        for k in 0..<o {
          var value = 0.0
          for (s, t) in units { value += P[k * o + s] * w[t] }
          information[observed[k] * q + theta] += value
          information[theta * q + observed[k]] += value
        }
        for (theta2, units2) in local {
          var value = 0.0
          for (u, v) in units {
            for (s, t) in units2 { value += P[v * o + s] * (Q[t * o + u] - 0.5 * n * P[t * o + u]) }
          }
          information[theta * q + theta2] += value
        }
      }
    }
    return (information, pairs)
  }

  /// Standard errors of the regression parameters at `parameters` (the MLE): the inverse
  /// observed information of θ = (μ, vech Σ), carried to (β₀, β, σ², m, S) by the delta method,
  ///
  ///     dβ = Σ_xx⁻¹ (dΣ_xy − dΣ_xx β),   dβ₀ = dμ_y − dβᵀμ_x − βᵀdμ_x,
  ///     dσ² = dΣ_yy − 2βᵀdΣ_xy + βᵀdΣ_xx β,
  ///
  /// which at the MLE equals inverting the information of the regression parameterisation.
  /// With no missing entries the coefficients' errors are those of least squares with the MLE
  /// σ̂² = RSS/n: √diag(σ̂² (XᵀX)⁻¹).
  public func standardErrors(_ parameters: Parameters, data: DataSet) -> Result<RegressionParameters, InferenceFailure> {
    let D = dimension, p = covariates
    let (information, pairs) = observedInformation(parameters, data: data)
    let q = D + pairs.count
    // Equilibrate (unit diagonal), then invert through the Cholesky factor.
    var scale = [Double](repeating: 0, count: q)
    for k in 0..<q {
      let diagonal = information[k * q + k]
      guard diagonal > 0, diagonal.isFinite else {
        return .failure(InferenceFailure(description: "the observed information is singular (a parameter is not identified by the observed entries, e.g. two columns never observed together)"))
      }
      scale[k] = 1 / diagonal.squareRoot()
    }
    var equilibrated = [Double](repeating: 0, count: q * q)
    for k in 0..<q { for l in 0..<q { equilibrated[k * q + l] = information[k * q + l] * scale[k] * scale[l] } }
    guard let inverseFactor = SymmetricMatrix.inverseCholesky(equilibrated, dimension: q) else {
      return .failure(InferenceFailure(description: "the observed information is not positive definite (a parameter is not identified by the observed entries)"))
    }
    var covariance = SymmetricMatrix.inverse(fromInverseCholesky: inverseFactor, dimension: q)
    for k in 0..<q {
      for l in 0...k {
        covariance[k * q + l] = covariance[k * q + l] * scale[k] * scale[l]
        covariance[l * q + k] = covariance[k * q + l]
      }
    }
    // Jacobian rows: β₀, β (p), σ², m (p), S (p×p); one column per θ direction.
    let r = regression(parameters)
    let beta = Array(r.coefficients.dropFirst()), mx = r.covariateMean
    guard let sxxInverse = SymmetricMatrix.inverse(r.covariateCovariance, dimension: p) else {
      return .failure(InferenceFailure(description: "the covariates' covariance is not positive definite"))
    }
    let rows = p + 1 + 1 + p + p * p
    var jacobian = [Double](repeating: 0, count: rows * q)
    for theta in 0..<q {
      var dMean = [Double](repeating: 0, count: D), dSigma = [Double](repeating: 0, count: D * D)
      if theta < D {
        dMean[theta] = 1
      } else {
        let (a, b) = pairs[theta - D]
        dSigma[a * D + b] = 1
        dSigma[b * D + a] = 1
      }
      // dΣ_xy − dΣ_xx β, then dβ.
      let rhs = (0..<p).map { j in dSigma[j * D + p] - (0..<p).reduce(0.0) { $0 + dSigma[j * D + $1] * beta[$1] } }
      let dBeta = (0..<p).map { j in (0..<p).reduce(0.0) { $0 + sxxInverse[j * p + $1] * rhs[$1] } }
      var dIntercept = dMean[p]
      for j in 0..<p { dIntercept -= dBeta[j] * mx[j] + beta[j] * dMean[j] }
      var dNoise = dSigma[p * D + p]
      for j in 0..<p {
        dNoise -= 2 * beta[j] * dSigma[j * D + p]
        for l in 0..<p { dNoise += beta[j] * dSigma[j * D + l] * beta[l] }
      }
      var column = [dIntercept] + dBeta + [dNoise] + Array(dMean[0..<p])
      for j in 0..<p { for l in 0..<p { column.append(dSigma[j * D + l]) } }
      for row in 0..<rows { jacobian[row * q + theta] = column[row] }
    }
    var errors = [Double](repeating: 0, count: rows)
    for row in 0..<rows {
      var v = 0.0
      for k in 0..<q where jacobian[row * q + k] != 0 {
        for l in 0..<q { v += jacobian[row * q + k] * covariance[k * q + l] * jacobian[row * q + l] }
      }
      errors[row] = max(v, 0).squareRoot()
    }
    return .success(RegressionParameters(
      coefficients: Array(errors[0...p]), noiseVariance: errors[p + 1],
      covariateMean: Array(errors[(p + 2)..<(2 * p + 2)]), covariateCovariance: Array(errors[(2 * p + 2)...])))
  }

  // MARK: - Complete-case analysis

  /// Least squares on the rows with no missing entry (the usual default of regression software),
  /// as the same four parameters: the complete rows' mean and covariance (divisor n, like the
  /// EM estimate), so β is the OLS slope, β₀ the OLS intercept and σ² = RSS/n.
  public func completeCase(_ data: DataSet) -> (count: Int, estimate: Result<RegressionParameters, InferenceFailure>) {
    let D = dimension, order = checkedLayout(of: data)
    if data.sumsByBlock {
      // Large or windowed data: the same moments, block by block.
      let (count, mean, covariance) = blockCompleteMoments(data)
      guard count > D else {
        return (count, .failure(InferenceFailure(description: "\(count) complete rows; least squares needs more than \(D)")))
      }
      guard let estimate = RegressionParameters(joint: Parameters(mean: mean, covariance: covariance)) else {
        return (count, .failure(InferenceFailure(description: "the complete rows' covariates are collinear")))
      }
      return (count, .success(estimate))
    }
    var rows: [Int] = []
    for i in 0..<data.rows where order.allSatisfy({ !data[i, $0].isNaN }) { rows.append(i) }
    let n = Double(rows.count)
    guard rows.count > D else {
      return (rows.count, .failure(InferenceFailure(description: "\(rows.count) complete rows; least squares needs more than \(D)")))
    }
    var mean = [Double](repeating: 0, count: D)
    for i in rows { for a in 0..<D { mean[a] += data[i, order[a]] } }
    mean = mean.map { $0 / n }
    var covariance = [Double](repeating: 0, count: D * D)
    for i in rows {
      for a in 0..<D {
        let ea = data[i, order[a]] - mean[a]
        for b in 0...a { covariance[a * D + b] += ea * (data[i, order[b]] - mean[b]) }
      }
    }
    for a in 0..<D {
      for b in 0...a {
        covariance[a * D + b] /= n
        covariance[b * D + a] = covariance[a * D + b]
      }
    }
    guard let estimate = RegressionParameters(joint: Parameters(mean: mean, covariance: covariance)) else {
      return (rows.count, .failure(InferenceFailure(description: "the complete rows' covariates are collinear")))
    }
    return (rows.count, .success(estimate))
  }

}

// MARK: - Imputation

extension MissingDataRegression: MissingValueImputer {
  /// Each missing entry replaced by E[z_M | z_O] = μ_M + Σ_MO Σ_OO⁻¹ (z_O − μ_O); a row with
  /// nothing observed gets the mean.
  public func imputed(_ parameters: Parameters, data: DataSet) throws -> DataSet {
    try checkColumns(data)
    try checkResponseColumn(data)
    let D = dimension, order = checkedLayout(of: data)
    var out = data
    var cache = ConditionalNormalCache(covariances: parameters.covariance, dimension: D)
    var z = [Double](repeating: 0, count: D), completed = [Double](repeating: 0, count: D)
    for i in 0..<data.rows {
      for a in 0..<D { z[a] = data[i, order[a]] }
      guard z.contains(where: \.isNaN) else { continue }
      let pattern = z.withUnsafeBufferPointer { MissingPattern(row: $0.baseAddress!, dimension: D) }
      guard let conditional = cache[pattern] else {
        preconditionFailure("decoded parameters have a positive-definite covariance")
      }
      conditional.completed(z, mean: parameters.mean, into: &completed)
      for a in 0..<D { out.values[i * data.dimension + order[a]] = completed[a] }
    }
    return out
  }
}
