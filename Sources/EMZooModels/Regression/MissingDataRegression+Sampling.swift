internal import CKernels
public import EMZooCore
import Foundation

extension MissingDataRegression {
  /// The regression view of fitted or decoded parameters (always positive definite: `prepare`
  /// or `decodeParameters` has checked them).
  public func regression(_ parameters: Parameters) -> RegressionParameters {
    guard let view = RegressionParameters(joint: parameters) else {
      preconditionFailure("parameters reached the spec layer with a covariance that is not positive definite")
    }
    return view
  }

  public func blocks(_ parameters: Parameters) -> [(name: String, values: [Double])] {
    let r = regression(parameters)
    return [
      ("coefficients", r.coefficients), ("noiseVariance", [r.noiseVariance]),
      ("covariateMean", r.covariateMean), ("covariateCovariance", r.covariateCovariance),
    ]
  }

  // MARK: - Validation

  /// The response column must be present; every row needs an observed entry; every column
  /// needs two distinct observed values; and there must be more rows than columns.
  public func validate(_ data: DataSet) throws {
    try checkResponseColumn(data)
    guard data.rows > dimension else {
      throw InputError("\(data.source): \(data.rows) data rows; expected more than \(dimension) to estimate the \(dimension)×\(dimension) covariance of the covariates and the response")
    }
    let d = data.dimension
    // One pass over the held rows; with a row window the findings are gathered (collective).
    let (varies, emptyRow) = windowChecks(data)
    if let i = emptyRow {
      throw InputError("\(data.source): \(data.rowNoun) \(i + data.firstLine): every entry is missing (columns \(data.columns.joined(separator: ", "))); expected at least one observed value (drop the row)")
    }
    for j in 0..<d {
      guard varies[j] else {
        throw InputError("\(data.source): column '\(data.columns[j])': fewer than two distinct observed values; expected a varying column (its variance would be 0)")
      }
    }
  }

  /// The response named by `options.response` must be among the data's columns.
  func checkResponseColumn(_ data: DataSet) throws {
    guard layout(of: data.columns) != nil else {
      throw InputError("\(data.source): no column named '\(response)' (options.response); the data's columns are \(data.columns.joined(separator: ", "))")
    }
  }

  // MARK: - Sampling

  /// The slope s of the MAR mechanism on the standardised first covariate.
  static let marSlope = 2.0

  /// `count` rows: x ~ N(m, S), y = β₀ + βᵀx + N(0, σ²), then entries removed per `missing`.
  ///
  /// - `MCAR`: each entry (covariates and response) is missing independently with probability
  ///   `rate`; a row whose every entry would be missing has its mask redrawn (such a row is
  ///   rejected as input), which leaves the mechanism independent of the values.
  /// - `MAR`: the first covariate x₁ (first in column order) is always observed; every other
  ///   entry, independently given x₁, is missing with probability
  ///   `logistic(a + 2u)`, u = (x₁ − m₁)/√S₁₁ (standardised with the true parameters), where a
  ///   solves E[logistic(a + 2U)] = `rate` for U ~ N(0, 1) (so `rate` is the average missing rate
  ///   of those columns; rows with a large x₁ lose more). For rate 0.2, a ≈ −2.228.
  ///
  /// Complete-case regression stays unbiased under this MAR mechanism (missingness depends on a
  /// covariate only; Little 1992), but the complete cases' covariate mean and covariance are
  /// biased and fewer rows remain; EM uses every observed entry.
  public func sample(_ parameters: Parameters, count: Int, random: RandomSource) throws -> DataSet {
    let p = covariates, D = dimension
    let r = regression(parameters)
    var factor = r.covariateCovariance
    guard emz_cholesky(p, &factor) == 0 else { throw NotPositiveDefinite() }
    let noise = r.noiseVariance.squareRoot()
    // Output column of each model coordinate.
    let order = layout(of: columnNames) ?? Array(0..<D)
    let intercept = missing.map { $0.kind == .mar ? Self.marIntercept(rate: $0.rate, slope: Self.marSlope) : 0 } ?? 0
    let scale = r.covariateCovariance[0].squareRoot()
    var values = [Double](repeating: 0, count: count * D)
    var x = [Double](repeating: 0, count: p)
    var absent = [Bool](repeating: false, count: D)
    for i in 0..<count {
      r.covariateMean.withUnsafeBufferPointer { m in
        factor.withUnsafeBufferPointer { l in
          random.multivariateGaussian(mean: m.baseAddress!, cholesky: l.baseAddress!, dimension: p, into: &x)
        }
      }
      var y = r.coefficients[0] + random.gaussian(sigma: noise)
      for j in 0..<p { y += r.coefficients[j + 1] * x[j] }
      for j in 0..<p { values[i * D + order[j]] = x[j] }
      values[i * D + order[p]] = y
      guard let missing, missing.rate > 0 else { continue }
      switch missing.kind {
      case .mcar:
        repeat {
          for a in 0..<D { absent[a] = random.uniform() < missing.rate }
        } while !absent.contains(false)
      case .mar:
        let u = (x[0] - r.covariateMean[0]) / scale
        let probability = 1 / (1 + exp(-(intercept + Self.marSlope * u)))
        absent[0] = false
        for a in 1..<D { absent[a] = random.uniform() < probability }
      }
      for a in 0..<D where absent[a] { values[i * D + order[a]] = .nan }
    }
    return DataSet(source: "sample", columns: columnNames, values: values)
  }

  /// The a with E[logistic(a + s U)] = rate, U ~ N(0, 1): the expectation by the midpoint rule
  /// on [−8, 8] (8001 points), a by bisection on [−60, 60] (the expectation increases with a).
  public static func marIntercept(rate: Double, slope: Double) -> Double {
    func average(_ a: Double) -> Double {
      var total = 0.0, weights = 0.0
      for k in -4000...4000 {
        let u = Double(k) * 0.002, w = exp(-0.5 * u * u)
        total += w / (1 + exp(-(a + slope * u)))
        weights += w
      }
      return total / weights
    }
    var low = -60.0, high = 60.0
    for _ in 0..<80 {
      let middle = 0.5 * (low + high)
      if average(middle) < rate { low = middle } else { high = middle }
    }
    return 0.5 * (low + high)
  }
}
