internal import EMZooCore

/// A family that can say what a component expects of a row's missing entries given its
/// observed ones, so that its mixtures and HMMs impute (`emzoo impute`).
///
/// A mixture imputes a missing entry by E[xⱼ | x_O] = Σₖ p(k | x_O) E[xⱼ | k, x_O], an HMM by
/// Σₖ p(sₜ = k | x) E[xₜⱼ | k, xₜ,O]; the family gives the inner expectation. With columns
/// independent given the component (Poisson, Bernoulli) it is the component's mean of column j
/// whatever is observed; a Gaussian with a full covariance conditions on the observed entries.
/// A family of category codes has no such expectation and does not adopt this.
public protocol ConditionalMeanFamily: EmissionFamily {
  /// out[(i·K + k)·d + j] = E[xᵢⱼ | component k, observed entries of row i] for every missing
  /// entry j of each of `rows` rows; the entries of `out` at observed positions are unspecified.
  func conditionalMeans(_ x: UnsafePointer<Double>, rows: Int, parameters: Parameters,
                        into out: UnsafeMutablePointer<Double>)
  /// Why this instance cannot give conditional means after all (a C plugin without the
  /// optional `conditional_mean` function), as one line; nil when it can. Nil by default.
  var conditionalMeanUnavailable: String? { get }
}

extension ConditionalMeanFamily {
  public var conditionalMeanUnavailable: String? { nil }

  /// `data` with each missing entry xᵢⱼ replaced by
  ///
  ///     Σₖ pᵢₖ E[xᵢⱼ | k, observed entries of row i],
  ///
  /// the sum over k in order, with `probabilities(indices, rows, out)` writing pᵢₖ (K per row,
  /// row-major) for a block of incomplete rows: their indices in `data` and a copy of their
  /// values. Rows without a missing entry and every observed entry are copied bit for bit.
  /// Shared by the mixture (pᵢₖ the responsibilities given the row's observed entries) and the
  /// HMM (γₜ(k) from forward–backward over the whole sequence).
  func imputed(_ data: DataSet, parameters: Parameters,
               probabilities: ([Int], UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void) -> DataSet {
    let K = components, d = data.dimension, block = 256
    var out = data
    let incomplete = data.values.withUnsafeBufferPointer { x in
      (0..<data.rows).filter { i in (0..<d).contains { x[i * d + $0].isNaN } }
    }
    var rows = [Double](repeating: 0, count: block * d)
    var weights = [Double](repeating: 0, count: block * K)
    var means = [Double](repeating: 0, count: block * K * d)
    for start in stride(from: 0, to: incomplete.count, by: block) {
      let indices = Array(incomplete[start..<min(start + block, incomplete.count)])
      for (r, i) in indices.enumerated() {
        for j in 0..<d { rows[r * d + j] = data.values[i * d + j] }
      }
      probabilities(indices, rows, &weights)
      conditionalMeans(rows, rows: indices.count, parameters: parameters, into: &means)
      for (r, i) in indices.enumerated() {
        for j in 0..<d where rows[r * d + j].isNaN {
          var sum = 0.0
          for k in 0..<K { sum += weights[r * K + k] * means[(r * K + k) * d + j] }
          out.values[i * d + j] = sum
        }
      }
    }
    return out
  }
}

// MARK: - The built-in families

extension GaussianFamily: ConditionalMeanFamily {
  /// μₖ,M + Σₖ,MO Σₖ,OO⁻¹ (x_O − μₖ,O), the mean of the missing coordinates of N(μₖ, Σₖ) given
  /// the observed ones (`ConditionalNormal`, factorised once per pattern and component of the
  /// call); the component mean μₖ,M for a diagonal covariance or a row with nothing observed.
  public func conditionalMeans(_ x: UnsafePointer<Double>, rows: Int, parameters: Parameters,
                               into out: UnsafeMutablePointer<Double>) {
    let K = components, d = dimension
    var cache = ConditionalNormalCache(covariances: parameters.covariances, dimension: d)
    parameters.means.withUnsafeBufferPointer { means in
      for i in 0..<rows {
        let row = x + i * d
        // Σₖ passed `prepare`: every principal submatrix is positive definite.
        let conditionals = self.conditionals(MissingPattern(row: row, dimension: d), cache: &cache)
        for k in 0..<K {
          conditionals[k].completed(row, mean: means.baseAddress! + k * d, into: out + (i * K + k) * d)
        }
      }
    }
  }
}

extension PoissonFamily: ConditionalMeanFamily {
  /// λₖⱼ, the expected count (not rounded): columns are independent given the component, so
  /// the observed entries say nothing more about a missing one.
  public func conditionalMeans(_ x: UnsafePointer<Double>, rows: Int, parameters: Parameters,
                               into out: UnsafeMutablePointer<Double>) {
    IndependentDimensions.repeatMeans(parameters.rates, rows: rows, into: out)
  }
}

extension BernoulliFamily: ConditionalMeanFamily {
  /// pₖⱼ, the probability of a 1: columns are independent given the component.
  public func conditionalMeans(_ x: UnsafePointer<Double>, rows: Int, parameters: Parameters,
                               into out: UnsafeMutablePointer<Double>) {
    IndependentDimensions.repeatMeans(parameters.probabilities, rows: rows, into: out)
  }
}

extension IndependentDimensions {
  /// The K×d component means written once per row: out[(i·K + k)·d + j] = means[k·d + j].
  static func repeatMeans(_ means: [Double], rows: Int, into out: UnsafeMutablePointer<Double>) {
    means.withUnsafeBufferPointer { m in
      for i in 0..<rows { (out + i * m.count).update(from: m.baseAddress!, count: m.count) }
    }
  }
}
