internal import CKernels
import Foundation
internal import EMZooCore

/// Which entries of a row are observed, as a bit set (bit j set: column j observed).
/// Supports up to 64 columns.
public struct MissingPattern: Hashable, Sendable {
  public var bits: UInt64

  public init(bits: UInt64) { self.bits = bits }

  /// The pattern of a row of `d` values (NaN: missing).
  public init(row: UnsafePointer<Double>, dimension d: Int) {
    var bits: UInt64 = 0
    for j in 0..<d where !row[j].isNaN { bits |= 1 << UInt64(j) }
    self.bits = bits
  }

  public func isObserved(_ j: Int) -> Bool { bits & (1 << UInt64(j)) != 0 }
  public func observed(dimension d: Int) -> [Int] { (0..<d).filter { isObserved($0) } }
  public func missing(dimension d: Int) -> [Int] { (0..<d).filter { !isObserved($0) } }
}

/// A multivariate normal N(μ, Σ) split by a missingness pattern into its observed part O and
/// missing part M:
///
///     x_O ~ N(μ_O, Σ_OO)                                  (the marginal: the likelihood of a row)
///     x_M | x_O ~ N(μ_M + B (x_O − μ_O), Σ_MM − B Σ_OM),  B = Σ_MO Σ_OO⁻¹   (the E step's completion)
///
/// Factorised once per pattern (and component) by its user (`ConditionalNormalCache`: once per
/// E-step chunk, prediction or imputation; `MissingDataRegression.prepare`: once per iteration),
/// then applied to every row with that pattern. Shared by the Gaussian mixture with missing
/// values and by `missing-data-regression`.
public struct ConditionalNormal: Sendable {
  public let dimension: Int
  public let observed: [Int]
  public let missing: [Int]
  /// L_OO⁻¹ (o×o, lower), with Σ_OO = L_OO L_OOᵀ.
  let inverseCholesky: [Double]
  /// Σ_OO⁻¹ = L_OO⁻ᵀ L_OO⁻¹ (o×o).
  let precision: [Double]
  /// −o/2 log 2π − ½ log|Σ_OO|.
  public let logConstant: Double
  /// B = Σ_MO Σ_OO⁻¹ (m×o).
  public let regression: [Double]
  /// Σ_MM − B Σ_OM (m×m).
  public let conditionalCovariance: [Double]

  /// Nil when Σ_OO is not positive definite.
  public init?(covariance sigma: UnsafePointer<Double>, dimension d: Int, pattern: MissingPattern) {
    dimension = d
    observed = pattern.observed(dimension: d)
    missing = pattern.missing(dimension: d)
    let o = observed.count, m = missing.count
    var sOO = [Double](repeating: 0, count: o * o)
    for a in 0..<o { for b in 0..<o { sOO[a * o + b] = sigma[observed[a] * d + observed[b]] } }
    if o > 0 {
      guard emz_cholesky(o, &sOO) == 0 else { return nil }
    }
    var logDiagonal = 0.0
    for a in 0..<o { logDiagonal += log(sOO[a * o + a]) }
    logConstant = -Double(o) / 2 * log(2 * Double.pi) - logDiagonal
    if o > 0 {
      guard emz_lower_triangular_invert(o, &sOO) == 0 else { return nil }
    }
    inverseCholesky = sOO
    // Σ_OO⁻¹ = L⁻ᵀ L⁻¹, then B = Σ_MO Σ_OO⁻¹ and C = Σ_MM − B Σ_OM.
    let inverse = SymmetricMatrix.inverse(fromInverseCholesky: sOO, dimension: o)
    precision = inverse
    var regression = [Double](repeating: 0, count: m * o)
    for i in 0..<m {
      for b in 0..<o {
        var s = 0.0
        for a in 0..<o { s += sigma[missing[i] * d + observed[a]] * inverse[a * o + b] }
        regression[i * o + b] = s
      }
    }
    var conditional = [Double](repeating: 0, count: m * m)
    for i in 0..<m {
      for j in 0..<m {
        var s = sigma[missing[i] * d + missing[j]]
        for a in 0..<o { s -= regression[i * o + a] * sigma[observed[a] * d + missing[j]] }
        conditional[i * m + j] = s
      }
    }
    self.regression = regression
    conditionalCovariance = conditional
  }

  /// log N(x_O | μ_O, Σ_OO) of a row (its missing entries are ignored).
  public func logDensity(_ x: UnsafePointer<Double>, mean: UnsafePointer<Double>) -> Double {
    let o = observed.count
    var q = 0.0
    for a in 0..<o {
      var z = 0.0
      for b in 0...a { z += inverseCholesky[a * o + b] * (x[observed[b]] - mean[observed[b]]) }
      q += z * z
    }
    return logConstant - 0.5 * q
  }

  /// The row with each missing entry replaced by E[x_M | x_O] = μ_M + B (x_O − μ_O).
  public func completed(_ x: UnsafePointer<Double>, mean: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
    let o = observed.count
    for j in 0..<dimension { out[j] = x[j] }
    for (i, j) in missing.enumerated() {
      var s = mean[j]
      for a in 0..<o { s += regression[i * o + a] * (x[observed[a]] - mean[observed[a]]) }
      out[j] = s
    }
  }
}

/// The `ConditionalNormal` splits of one or more covariance matrices (K of them, d×d each,
/// row-major, one after another) by each missingness pattern asked for, factorised when a
/// pattern is first met and reused for every later row with that pattern.
///
/// A pattern whose Σₖ,OO is not positive definite for some k gives nil (and is tried again if
/// asked for again).
struct ConditionalNormalCache {
  let covariances: [Double]
  let dimension: Int
  private var splits: [MissingPattern: [ConditionalNormal]] = [:]

  /// - Parameter covariances: K×d×d, K ≥ 1.
  init(covariances: [Double], dimension: Int) {
    self.covariances = covariances
    self.dimension = dimension
  }

  /// Each matrix's split by `pattern`, in order; nil when one of them has a Σ_OO that is not
  /// positive definite.
  mutating func conditionals(_ pattern: MissingPattern) -> [ConditionalNormal]? {
    if let known = splits[pattern] { return known }
    let d = dimension
    let count = d == 0 ? 0 : covariances.count / (d * d)
    var made: [ConditionalNormal] = []
    made.reserveCapacity(count)
    for k in 0..<count {
      let split = covariances.withUnsafeBufferPointer {
        ConditionalNormal(covariance: $0.baseAddress! + k * d * d, dimension: d, pattern: pattern)
      }
      guard let split else { return nil }
      made.append(split)
    }
    splits[pattern] = made
    return made
  }

  /// The split of the first (for a single covariance: the only) matrix by `pattern`.
  subscript(pattern: MissingPattern) -> ConditionalNormal? {
    mutating get { conditionals(pattern)?.first }
  }
}
