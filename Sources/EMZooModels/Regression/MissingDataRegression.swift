internal import CKernels
public import EMZooCore
import Foundation

/// Linear regression y = β₀ + βᵀx + ε, ε ~ N(0, σ²), fitted by maximum likelihood when any entry
/// of the covariates x (p of them) or of the response y may be missing, by EM on the joint
/// normal of z = (x, y).
///
/// The model is x ~ N(m, S) and y | x ~ N(β₀ + βᵀx, σ²), that is z ~ N(μ, Σ) of dimension p + 1:
///
///     μ = (m, β₀ + βᵀm),   Σ = [S, Sβ; βᵀS, βᵀSβ + σ²]
///     β = Σ_xx⁻¹ Σ_xy,   β₀ = μ_y − βᵀμ_x,   σ² = Σ_yy − Σ_yx Σ_xx⁻¹ Σ_xy
///
/// EM runs on (μ, Σ) (covariates first, the response last, whatever the data's column order);
/// specs and results carry the regression view. Missingness is assumed ignorable (missing at
/// random), so a row's likelihood is the density of its observed entries O:
///
///     ℓ(μ, Σ) = Σᵢ log N(z_{i,O} | μ_O, Σ_OO)        (every constant included)
///
/// - E step: for each row, ẑ_M = μ_M + Σ_MO Σ_OO⁻¹ (z_O − μ_O) and C = Σ_MM − Σ_MO Σ_OO⁻¹ Σ_OM
///   (`ConditionalNormal`, factorised once per missingness pattern and iteration up to
///   `factorisedPatternLimit` columns, once per pattern and chunk beyond); statistics
///   n, Σ (ẑ − c) and Σ [(ẑ − c)(ẑ − c)ᵀ + C], centred on the current mean c = μ.
/// - M step: μ = c + S₁/n and Σ = S₂/n − (S₁/n)(S₁/n)ᵀ, the mean and covariance of the
///   completed data. With no missing entries this is the sample mean and covariance (divisor n),
///   so the coefficients are exactly the least-squares ones and σ² = RSS/n.
///
/// No covariance floor is added (it would bias the coefficients), so `fit.covarianceFloor` does
/// not apply. A row with every entry missing carries no information and is rejected as input.
///
/// [Little & Rubin, Statistical Analysis with Missing Data, 3rd ed., Wiley 2019]: EM for the
/// multivariate normal with arbitrary missingness patterns, ignoring the missing-data mechanism.
/// [Dempster, Laird & Rubin 1977]: https://doi.org/10.1111/j.2517-6161.1977.tb01600.x
public struct MissingDataRegression: GenerativeModel {
  /// The joint normal of z = (x₁ … x_p, y): covariates first, the response last.
  public struct Parameters: Sendable, Equatable {
    /// μ, p + 1 entries.
    public var mean: [Double]
    /// Σ, (p + 1)×(p + 1), row-major.
    public var covariance: [Double]

    public init(mean: [Double], covariance: [Double]) {
      self.mean = mean
      self.covariance = covariance
    }
  }

  public struct Prepared: Sendable {
    var mean: [Double]
    var covariance: [Double]
    /// For up to `factorisedPatternLimit` columns: every missingness pattern's factorisation,
    /// indexed by its bits, made once per iteration (not once per chunk).
    var patterns: [ConditionalNormal]?
    /// `patterns` as one table for `emz_pattern_completed_statistics` (`factorTable`).
    var factors: (table: [Double], start: [Int])? = nil
  }

  /// Every pattern is factorised in `prepare` up to this many columns (2¹⁰ patterns).
  static let factorisedPatternLimit = 10

  /// How `sample` removes entries (`options.missing`); fitting ignores it.
  public struct MissingMechanism: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
      /// Missing completely at random: each entry independently with probability `rate`.
      case mcar = "MCAR"
      /// Missing at random: the first covariate is always observed and drives the others.
      case mar = "MAR"
    }

    /// The average probability that an affected entry is missing, in [0, 1).
    public var rate: Double
    public var kind: Kind

    public init(rate: Double, kind: Kind) {
      self.rate = rate
      self.kind = kind
    }
  }

  /// p, the number of covariates.
  public let covariates: Int
  /// The name of the response column (`options.response`).
  public let response: String
  /// The column names `sample` writes (the spec's `columns`, or x1 … xp then the response).
  public let columnNames: [String]
  public let missing: MissingMechanism?
  /// The fitted data's per-chunk pattern moments (set by `adapted(to:)`; see `PatternMoments`).
  var patternMoments: PatternMoments? = nil

  public var dimension: Int { covariates + 1 }
  public var defaultColumns: [String] { columnNames }
  public var requiredColumns: [(name: String, field: String)] { [(response, "options.response")] }
  public var sampleBlockRows: Int? { 1 }

  /// - Parameters:
  ///   - columns: the spec's `columns` (they must include `response`), or nil for x1 … xp then
  ///     the response.
  public init(covariates p: Int, response: String, columns: [String]? = nil, missing: MissingMechanism? = nil) {
    precondition(p >= 1 && p < 64, "between 1 and 63 covariates")
    covariates = p
    self.response = response
    if let columns {
      precondition(columns.count == p + 1 && columns.contains(response))
      columnNames = columns
    } else {
      var names: [String] = []
      var j = 1
      while names.count < p {
        if "x\(j)" != response { names.append("x\(j)") }
        j += 1
      }
      columnNames = names + [response]
    }
    self.missing = missing
  }

  // MARK: - Column layout

  /// For each model coordinate (covariates in column order, then the response), its column in
  /// `columns`; nil when the response column is absent.
  func layout(of columns: [String]) -> [Int]? {
    guard let r = columns.firstIndex(of: response) else { return nil }
    return columns.indices.filter { $0 != r } + [r]
  }

  /// The layout of `data`, which `validate` has checked.
  func checkedLayout(of data: DataSet) -> [Int] {
    guard let order = layout(of: data.columns) else {
      preconditionFailure("the data has no response column '\(response)' (validate(_:) rejects such data)")
    }
    return order
  }

  // MARK: - EMModel

  /// n, S₁ (p + 1), S₂ ((p + 1)², lower triangle used): one full-covariance Gaussian block
  /// (`emz_gaussian_full_layout`, CKernels/include/layouts.h).
  var statisticsLayout: emz_gaussian_full_layout { emz_gaussian_full_layout_make(dimension) }
  public var statisticsCount: Int { statisticsLayout.stride }

  /// The work space of `emz_pattern_completed_statistics`, 2D + 3D² doubles (the per-chunk
  /// pattern tables of the pass over the rows, about 12 bytes a row, are `expectation`'s own).
  public func scratchCount(rows: Int) -> Int { 2 * dimension + 3 * dimension * dimension }

  /// The model with a store for `data`'s pattern moments (up to `factorisedPatternLimit`
  /// columns, where `prepare` factorises every pattern), so that every E step after a chunk's
  /// first costs O(patterns · D³) rather than a pass over its rows (`PatternMoments`).
  public func adapted(to data: DataSet) -> MissingDataRegression {
    var copy = self
    copy.patternMoments = dimension <= Self.factorisedPatternLimit ? PatternMoments(data: data) : nil
    return copy
  }

  /// Blocks of 16384 rows: each chunk factorises every missingness pattern it meets once, so
  /// larger chunks mean fewer factorisations (up to 2^(p+1) patterns per chunk).
  public func largestChunkRows(rows: Int, longestSequence: Int) -> Int { min(rows, 16384) }

  public func chunks(of data: DataSet) -> [Range<Int>] {
    stride(from: 0, to: data.rows, by: 16384).map { $0..<min($0 + 16384, data.rows) }
  }

  struct NotPositiveDefinite: Error, CustomStringConvertible {
    var description: String {
      "the joint covariance of the covariates and the response is not positive definite (a column is constant or collinear with others)"
    }
  }

  public func prepare(_ parameters: Parameters) throws -> Prepared {
    var factor = parameters.covariance
    guard parameters.mean.allSatisfy(\.isFinite), emz_cholesky(dimension, &factor) == 0 else {
      throw NotPositiveDefinite()
    }
    var patterns: [ConditionalNormal]? = nil
    if dimension <= Self.factorisedPatternLimit {
      patterns = try parameters.covariance.withUnsafeBufferPointer { sigma in
        try (0..<(1 << dimension)).map { bits in
          guard let made = ConditionalNormal(covariance: sigma.baseAddress!, dimension: dimension,
                                             pattern: MissingPattern(bits: UInt64(bits))) else { throw NotPositiveDefinite() }
          return made
        }
      }
    }
    return Prepared(mean: parameters.mean, covariance: parameters.covariance, patterns: patterns,
                    factors: patterns.map(Self.factorTable))
  }

  /// The E step by pattern. Each row's pattern is found (and factorised when first met); the
  /// row adds its observed residuals r = z_O − μ_O into its pattern's Σ r and Σ r rᵀ
  /// (o + o(o+1)/2 operations a row); then each pattern, with A = [I; B] mapping r to the
  /// completed deviation ẑ − μ = (r, B r), adds
  ///
  ///     S₁ += A Σ r,   S₂ += A (Σ r rᵀ) Aᵀ + n_g C,   ℓ += n_g log c_O − ½ tr(Σ_OO⁻¹ Σ r rᵀ)
  ///
  /// which equals the row-by-row sums (the statistics are centred on c = μ, the current mean).
  /// After a chunk's first E step the residual sums come from its cached pattern moments
  /// instead of its rows (`PatternMoments`, when `adapted(to:)` made a store for them).
  public func expectation(rows: Range<Int>, of data: DataSet, given prepared: Prepared,
                          statistics: UnsafeMutableBufferPointer<Double>,
                          scratch: UnsafeMutableBufferPointer<Double>) -> Double {
    if let logLikelihood = expectationFromMoments(rows: rows, of: data, given: prepared, statistics: statistics,
                                                  scratch: scratch) {
      return logLikelihood
    }
    let D = dimension, width = data.dimension
    let order = checkedLayout(of: data)
    // Pass 1 (C): each row's pattern bits; then its group (a direct table for up to 12
    // columns), factorising each pattern when first met.
    let direct = D <= 12
    var table = [Int32](repeating: -1, count: direct ? 1 << D : 0)
    var index: [UInt64: Int] = [:]
    var groups: [ConditionalNormal] = []
    var bits = [UInt64](repeating: 0, count: rows.count)
    var groupOfRow = [Int32](repeating: 0, count: rows.count)
    let layout = order.map { Int32($0) }
    data.values.withUnsafeBufferPointer { all in
      emz_missing_pattern_bits(all.baseAddress! + rows.lowerBound * width, rows.count, width, layout, D, &bits)
    }
    let factorised = prepared.covariance.withUnsafeBufferPointer { sigma in
      for k in 0..<rows.count {
        var g = direct ? Int(table[Int(bits[k])]) : index[bits[k]] ?? -1
        if g < 0 {
          guard let conditional = prepared.patterns?[Int(bits[k])] ?? ConditionalNormal(
            covariance: sigma.baseAddress!, dimension: D, pattern: MissingPattern(bits: bits[k])) else { return false }
          g = groups.count
          if direct { table[Int(bits[k])] = Int32(g) } else { index[bits[k]] = g }
          groups.append(conditional)
        }
        groupOfRow[k] = Int32(g)
      }
      return true
    }
    guard factorised else { return -.infinity }
    // Per group: its observed columns and their means (flat), and its sums Σ r, Σ r rᵀ (lower).
    var coordinateStart: [Int32] = [], sumStart: [Int32] = [], sizes: [Int32] = []
    var columns: [Int32] = [], means: [Double] = []
    var sumCount = 0
    for conditional in groups {
      let o = conditional.observed.count
      coordinateStart.append(Int32(columns.count))
      sumStart.append(Int32(sumCount))
      sizes.append(Int32(o))
      columns += conditional.observed.map { Int32(order[$0]) }
      means += conditional.observed.map { prepared.mean[$0] }
      sumCount += emz_residual_sums_layout_make(o).stride
    }
    var counts = [Double](repeating: 0, count: groups.count)
    var sums = [Double](repeating: 0, count: sumCount)
    // Pass 2 (C): the residual sums.
    data.values.withUnsafeBufferPointer { all in
      emz_pattern_residual_sums(all.baseAddress! + rows.lowerBound * width, rows.count, width, groupOfRow, columns,
                                means, coordinateStart, sizes, sumStart, &counts, &sums)
    }
    var logLikelihood = 0.0
    let target = statisticsLayout
    let s1 = statistics.baseAddress! + target.sum, s2 = statistics.baseAddress! + target.scatter
    statistics[target.count] += Double(rows.count)
    var total = [Double](repeating: 0, count: D * D)
    for (g, conditional) in groups.enumerated() {
      let observed = conditional.observed, missing = conditional.missing
      let o = observed.count, m = missing.count, n = counts[g]
      let sumsLayout = emz_residual_sums_layout_make(o)
      let sumBase = Int(sumStart[g]) + sumsLayout.sum, squaresBase = Int(sumStart[g]) + sumsLayout.squares
      let sum = Array(sums[sumBase..<(sumBase + o)])
      var squares = [Double](repeating: 0, count: o * o)
      for a in 0..<o {
        for b in 0...a {
          squares[a * o + b] = sums[squaresBase + a * o + b]
          squares[b * o + a] = squares[a * o + b]
        }
      }
      // ℓ: tr(Σ_OO⁻¹ R) = Σ over the rows of rᵀ Σ_OO⁻¹ r.
      var quadratic = 0.0
      let precision = conditional.precision
      for e in 0..<(o * o) { quadratic += precision[e] * squares[e] }
      logLikelihood += n * conditional.logConstant - 0.5 * quadratic
      // A Σ r and A R Aᵀ + n C in model coordinates.
      let B = conditional.regression
      var BR = [Double](repeating: 0, count: m * o)
      for i in 0..<m { for b in 0..<o { for a in 0..<o { BR[i * o + b] += B[i * o + a] * squares[a * o + b] } } }
      for a in 0..<o {
        s1[observed[a]] += sum[a]
        for b in 0..<o { total[observed[a] * D + observed[b]] = squares[a * o + b] }
      }
      for i in 0..<m {
        var value = 0.0
        for a in 0..<o { value += B[i * o + a] * sum[a] }
        s1[missing[i]] += value
        for b in 0..<o {
          total[missing[i] * D + observed[b]] = BR[i * o + b]
          total[observed[b] * D + missing[i]] = BR[i * o + b]
        }
        for j in 0..<m {
          var v = n * conditional.conditionalCovariance[i * m + j]
          for b in 0..<o { v += BR[i * o + b] * B[j * o + b] }
          total[missing[i] * D + missing[j]] = v
        }
      }
      for a in 0..<D { for b in 0...a { s2[a * D + b] += total[a * D + b] } }
    }
    return logLikelihood
  }

  public func maximization(_ statistics: [Double], previous: Parameters, prepared: Prepared,
                           data: DataSet) -> (Parameters, repair: String?) {
    let D = dimension, layout = statisticsLayout
    let n = statistics[layout.count]
    guard n > 0 else { return (previous, nil) }
    let shift = (0..<D).map { statistics[layout.sum + $0] / n }
    var covariance = [Double](repeating: 0, count: D * D)
    for a in 0..<D {
      for b in 0...a {
        let value = statistics[layout.scatter + a * D + b] / n - shift[a] * shift[b]
        covariance[a * D + b] = value
        covariance[b * D + a] = value
      }
    }
    let mean = (0..<D).map { prepared.mean[$0] + shift[$0] }
    return (Parameters(mean: mean, covariance: covariance), nil)
  }

  /// The observed entries' means and variances with zero correlations, jittered by the restart's
  /// seed (means by 0.1 standard deviations, variances by a factor e^{±0.1}) so restarts differ.
  public func initialParameters(for data: DataSet, method: InitMethod, random: RandomSource) throws -> Parameters {
    let (means, variances) = availableMoments(data)
    let D = dimension
    var covariance = [Double](repeating: 0, count: D * D)
    var mean = means
    for a in 0..<D {
      mean[a] += 0.1 * variances[a].squareRoot() * random.gaussian()
      covariance[a * D + a] = variances[a] * exp(0.1 * random.gaussian())
    }
    return Parameters(mean: mean, covariance: covariance)
  }

  /// The mean and (divisor n) variance of each coordinate's observed entries, in model order.
  func availableMoments(_ data: DataSet) -> (means: [Double], variances: [Double]) {
    if data.sumsByBlock { return blockMoments(data) }
    let D = dimension
    let order = checkedLayout(of: data)
    var means = [Double](repeating: 0, count: D), variances = [Double](repeating: 1, count: D)
    for a in 0..<D {
      let column = order[a]
      var count = 0.0, sum = 0.0
      for i in 0..<data.rows where !data[i, column].isNaN {
        count += 1
        sum += data[i, column]
      }
      guard count > 0 else { continue }
      let mean = sum / count
      var squares = 0.0
      for i in 0..<data.rows where !data[i, column].isNaN {
        squares += (data[i, column] - mean) * (data[i, column] - mean)
      }
      means[a] = mean
      if squares > 0 { variances[a] = squares / count }
    }
    return (means, variances)
  }

  /// p + 1 means and (p + 1)(p + 2)/2 covariances: as many as β₀, β, σ², m and S.
  public func parameterCount(dimension d: Int) -> Int { d + d * (d + 1) / 2 }
}

// MARK: - The regression view

/// The parameters as specs and results write them.
public struct RegressionParameters: Sendable, Equatable {
  /// β₀ then β (p + 1).
  public var coefficients: [Double]
  /// σ².
  public var noiseVariance: Double
  /// m (p).
  public var covariateMean: [Double]
  /// S (p×p, row-major).
  public var covariateCovariance: [Double]

  public init(coefficients: [Double], noiseVariance: Double, covariateMean: [Double], covariateCovariance: [Double]) {
    self.coefficients = coefficients
    self.noiseVariance = noiseVariance
    self.covariateMean = covariateMean
    self.covariateCovariance = covariateCovariance
  }

  /// The joint normal of (x, y):  μ = (m, β₀ + βᵀm),  Σ = [S, Sβ; βᵀS, βᵀSβ + σ²].
  public var joint: MissingDataRegression.Parameters {
    let p = covariateMean.count, D = p + 1
    let beta = Array(coefficients.dropFirst())
    var mean = covariateMean
    mean.append(coefficients[0] + zip(beta, covariateMean).reduce(0) { $0 + $1.0 * $1.1 })
    var covariance = [Double](repeating: 0, count: D * D)
    var sBeta = [Double](repeating: 0, count: p)
    for j in 0..<p {
      for l in 0..<p {
        covariance[j * D + l] = covariateCovariance[j * p + l]
        sBeta[j] += covariateCovariance[j * p + l] * beta[l]
      }
    }
    for j in 0..<p {
      covariance[j * D + p] = sBeta[j]
      covariance[p * D + j] = sBeta[j]
    }
    covariance[p * D + p] = zip(beta, sBeta).reduce(0) { $0 + $1.0 * $1.1 } + noiseVariance
    return MissingDataRegression.Parameters(mean: mean, covariance: covariance)
  }

  /// The regression implied by a joint normal, or nil when Σ is not positive definite.
  ///
  /// From the Cholesky factor L of Σ (covariates first): the last row of L is (lᵀ, λ) with
  /// Σ_xy = L_xx l, so β = L_xx⁻ᵀ l and σ² = λ², the Schur complement, without the cancellation
  /// of Σ_yy − Σ_yx Σ_xx⁻¹ Σ_xy.
  public init?(joint parameters: MissingDataRegression.Parameters) {
    let D = parameters.mean.count, p = D - 1
    var factor = parameters.covariance
    guard p >= 1, emz_cholesky(D, &factor) == 0 else { return nil }
    var beta = (0..<p).map { factor[p * D + $0] }
    for j in stride(from: p - 1, through: 0, by: -1) {
      var s = beta[j]
      for l in (j + 1)..<p { s -= factor[l * D + j] * beta[l] }
      beta[j] = s / factor[j * D + j]
    }
    let covariateMean = Array(parameters.mean[0..<p])
    let intercept = parameters.mean[p] - zip(beta, covariateMean).reduce(0) { $0 + $1.0 * $1.1 }
    var covariance = [Double](repeating: 0, count: p * p)
    for j in 0..<p { for l in 0..<p { covariance[j * p + l] = parameters.covariance[j * D + l] } }
    self.init(coefficients: [intercept] + beta, noiseVariance: factor[p * D + p] * factor[p * D + p],
              covariateMean: covariateMean, covariateCovariance: covariance)
  }
}
