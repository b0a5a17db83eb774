internal import CKernels
import Foundation
public import EMZooCore

/// Shared plumbing of the families whose d dimensions are independent given the component
/// (Poisson counts, Bernoulli bits): one parameter per component and dimension, statistics
/// [Σw, Σ_observed w per dimension (d), Σ_observed w·x per dimension (d)] from
/// `emz_independent_accumulate`, laid out by `emz_independent_layout` (CKernels/include/layouts.h).
///
/// A missing entry is marginalised out: it contributes nothing to the density, and the
/// complete data of this EM is (observed entries, component), so the M step divides each
/// dimension's weighted sum by the weight of the rows where that dimension is observed.
enum IndependentDimensions {
  static func statisticsPerComponent(dimension d: Int) -> Int { emz_independent_layout_make(d).stride }

  /// value[k, j] = update(Σ_observed w, Σ_observed w·x) or the previous value when no row
  /// with that dimension observed has any weight.
  static func maximize(_ s: UnsafeBufferPointer<Double>, components K: Int, dimension d: Int,
                       previous: [Double], update: (Double, Double) -> Double) -> [Double] {
    var values = previous
    let layout = emz_independent_layout_make(d)
    for k in 0..<K {
      let block = k * layout.stride
      for j in 0..<d {
        let n = s[block + layout.observed + j], sum = s[block + layout.sum + j]
        if n > 0 { values[k * d + j] = update(n, sum) }
      }
    }
    return values
  }

  static func rows(_ values: [Double], components K: Int, dimension d: Int) -> [[Double]] {
    (0..<K).map { Array(values[($0 * d)..<(($0 + 1) * d)]) }
  }

  static func permuted(_ values: [Double], dimension d: Int, by order: [Int]) -> [Double] {
    order.flatMap { values[($0 * d)..<(($0 + 1) * d)] }
  }

  /// Every observed entry must satisfy `isValid`; the error names its line and column.
  /// `scan`, a branch-free C scan of the same test (`emz_first_not_binary`,
  /// `emz_first_not_count`: the index of the first failing entry of a buffer, or its count),
  /// passes the held entries in one tight pass first, and the entry-by-entry walk, which names
  /// the entry, runs only when it finds one. (The walk was as long as a 12-iteration fit of
  /// 200 000 × 64 bits, and ran twice: before the fit and for the report's ICL.)
  static func validate(
    _ data: DataSet, expected: String, scan: (UnsafePointer<Double>, Int) -> Int, isValid: (Double) -> Bool
  ) throws {
    if heldEntriesPass(data, scan: scan) { return }
    try walk(data, expected: expected, isValid: isValid)
  }

  /// Whether `scan` finds no failing entry among the held rows' entries.
  static func heldEntriesPass(_ data: DataSet, scan: (UnsafePointer<Double>, Int) -> Int) -> Bool {
    let d = data.dimension
    let held = data.heldRows
    let count = held.count * d
    return count == 0 || data.values.withUnsafeBufferPointer { scan($0.baseAddress! + held.lowerBound * d, count) == count }
  }

  /// The entry-by-entry check: the first held entry that is observed and fails `isValid` is
  /// an error naming its line and column.
  static func walk(_ data: DataSet, expected: String, isValid: (Double) -> Bool) throws {
    let d = data.dimension
    let held = data.heldRows
    for e in (held.lowerBound * d)..<(held.upperBound * d) {
      let x = data.values[e]
      guard !x.isNaN && !isValid(x) else { continue }
      throw InputError("\(data.place(row: e / d, column: e % d)): expected \(expected), found \(formatNumber(x))")
    }
  }

}

/// Parameters of a `PerDimensionFamily`: one number per component and dimension.
public protocol PerDimensionParameters: Sendable {
  /// K×d, row-major.
  var values: [Double] { get }
  init(values: [Double])
}

/// What the E step of a `PerDimensionFamily` needs: log f_k(x) = Σⱼ slopes_kj xⱼ + offsets_kj
/// (up to a parameter-free term).
public protocol LinearPrepared: Sendable {
  var slopes: [Double] { get }
  var offsets: [Double] { get }
}

/// A family with one parameter per component and dimension (a K×d matrix under one spec key)
/// whose log-density is linear in x: Poisson counts and Bernoulli bits. Everything but the
/// parameter's meaning (prepare, M step, prior, sampling, validation) is shared.
public protocol PerDimensionFamily: EmissionFamily, FusedMixtureExpectation
where Parameters: PerDimensionParameters, Prepared: LinearPrepared {
  /// The spec key of the K×d parameter matrix.
  static var parameterKey: String { get }
}

extension PerDimensionFamily {
  public var statisticsPerComponent: Int { IndependentDimensions.statisticsPerComponent(dimension: dimension) }
  public var parameterCount: Int { components * dimension }

  public func logDensities(_ x: UnsafePointer<Double>, rows: Int, prepared: Prepared,
                           into out: UnsafeMutablePointer<Double>) {
    emz_linear_logpmf(x, rows, dimension, components, prepared.slopes, prepared.offsets, out)
  }

  public func fusedMixtureExpectation(_ x: UnsafePointer<Double>, rows: Int, prepared: Prepared,
                                      logWeights: [Double], into statistics: UnsafeMutablePointer<Double>) -> Double? {
    guard dimension <= 64, components <= 64 else { return nil }
    return emz_mixture_estep_linear(x, rows, dimension, components, prepared.slopes, prepared.offsets,
                                    logWeights, statistics)
  }

  public func accumulate(_ x: UnsafePointer<Double>, rows: Int, weights: UnsafePointer<Double>,
                         prepared: Prepared, into statistics: UnsafeMutablePointer<Double>) {
    emz_independent_accumulate(x, rows, dimension, components, weights, statistics)
  }

  public func blocks(_ p: Parameters) -> [(name: String, perComponent: [[Double]])] {
    [(Self.parameterKey, IndependentDimensions.rows(p.values, components: components, dimension: dimension))]
  }

  public func permuted(_ p: Parameters, by order: [Int]) -> Parameters {
    Parameters(values: IndependentDimensions.permuted(p.values, dimension: dimension, by: order))
  }
}

/// Independent Poisson counts: f(x | λ) = Πⱼ λⱼ^xⱼ e^{−λⱼ} / xⱼ!.
///
/// - E step: log f = Σⱼ (xⱼ log λⱼ − λⱼ) − Σⱼ log xⱼ!, computed relative to a reference rate mⱼ
///   per column (the column's mean): Σⱼ xⱼ (log λⱼ − log mⱼ) − (λⱼ − mⱼ) per iteration, and the
///   parameter-free Σⱼ xⱼ log mⱼ − mⱼ − log xⱼ! once per data set (GSL's `lnfact`). With counts
///   of 10⁹ the direct form loses ~10⁻⁵ per entry to cancellation, enough to fake a decrease of
///   the likelihood between iterations; the relative form does not.
/// - M step: λₖⱼ = Σᵢ rᵢₖ xᵢⱼ / Σᵢ rᵢₖ; with a Gamma(a, b) prior (shape a, rate b) the mode
///   (Σ rx + a − 1) / (Σ r + b). Rates are floored at `rateFloor` so log λ stays finite.
public struct PoissonFamily: PerDimensionFamily {
  public struct Parameters: PerDimensionParameters, Equatable {
    /// K×d, row-major.
    public var rates: [Double]
    public init(rates: [Double]) { self.rates = rates }
    public init(values: [Double]) { rates = values }
    public var values: [Double] { rates }
  }
  public struct Prepared: LinearPrepared {
    var rates: [Double]
    /// log λ − log m and −(λ − m), for `emz_linear_logpmf`.
    public var slopes: [Double]
    public var offsets: [Double]
  }

  public static let rateFloor = 1e-10

  public let components: Int
  public let dimension: Int
  /// Gamma(shape, rate) prior on every rate.
  public let prior: (shape: Double, rate: Double)?
  /// The reference rate mⱼ of each column (1 until `adapted(to:)` sets the column means).
  public private(set) var reference: [Double]

  public init(components: Int, dimension: Int, prior: (shape: Double, rate: Double)? = nil) {
    self.components = components
    self.dimension = dimension
    self.prior = prior
    reference = [Double](repeating: 1, count: dimension)
  }

  /// The family with each column's mean count as its reference rate.
  public func adapted(to data: DataSet) -> PoissonFamily {
    guard data.dimension == dimension else { return self }
    var copy = self
    // One pass over the contiguous rows (1M rows × 4 columns through `data[i, j]` took ~20 ms
    // inside a fit's timing); each column is still summed in row order, so the same bits.
    let d = dimension, rows = data.rows
    var sums = [Double](repeating: 0, count: d), counts = [Double](repeating: 0, count: d)
    if data.sumsByBlock {
      // Large or windowed data: the same sums block by block (row order inside a block, blocks
      // in order), so every process of a distributed fit gets the bits of a plain one.
      let totals = data.values.withUnsafeBufferPointer { all in
        data.rowBlockSums(width: 2 * d) { block, out in
          guard let x = all.baseAddress else { return }
          for i in block {
            for j in 0..<d where !x[i * d + j].isNaN {
              out[j] += x[i * d + j]
              out[d + j] += 1
            }
          }
        }
      }
      for j in 0..<d { copy.reference[j] = totals[j] > 0 ? totals[j] / totals[d + j] : 1 }
      return copy
    }
    data.values.withUnsafeBufferPointer { all in
      sums.withUnsafeMutableBufferPointer { sums in
        counts.withUnsafeMutableBufferPointer { counts in
          guard let x = all.baseAddress else { return }
          for i in 0..<rows {
            for j in 0..<d where !x[i * d + j].isNaN {
              sums[j] += x[i * d + j]
              counts[j] += 1
            }
          }
        }
      }
    }
    for j in 0..<d { copy.reference[j] = sums[j] > 0 ? sums[j] / counts[j] : 1 }
    return copy
  }

  public var hasPrior: Bool { prior != nil }
  public static let parameterKey = "rates"
  public var placeholder: Parameters { Parameters(rates: [Double](repeating: 1, count: components * dimension)) }

  public func prepare(_ p: Parameters) throws -> Prepared {
    let d = dimension
    return Prepared(
      rates: p.rates,
      slopes: p.rates.indices.map { log(p.rates[$0]) - log(reference[$0 % d]) },
      offsets: p.rates.indices.map { -(p.rates[$0] - reference[$0 % d]) })
  }

  public func maximize(_ statistics: UnsafeBufferPointer<Double>, previous: Parameters) -> Parameters {
    let (a, b) = prior ?? (1, 0)
    return Parameters(rates: IndependentDimensions.maximize(
      statistics, components: components, dimension: dimension, previous: previous.rates
    ) { n, sum in max((sum + a - 1) / (n + b), Self.rateFloor) })
  }

  public func logPrior(_ p: Parameters) -> Double {
    guard let (a, b) = prior else { return 0 }
    // log Gamma(λ | a, b) = a log b − log Γ(a) + (a − 1) log λ − b λ
    let constant = a * log(b) - emz_lngamma(a)
    return p.rates.reduce(0) { $0 + constant + (a - 1) * log($1) - b * $1 }
  }

  public func constantLogLikelihood(of data: DataSet) -> Double {
    let logReference = reference.map { log($0) }
    let d = data.dimension
    if data.sumsByBlock {
      // Block by block (see `adapted(to:)`): collective under a distributed fit.
      return data.values.withUnsafeBufferPointer { all in
        data.rowBlockSums(width: 1) { block, out in
          guard let x = all.baseAddress else { return }
          out[0] += emz_poisson_constant(x + block.lowerBound * d, block.count, d, reference, logReference)
        }
      }[0]
    }
    return data.values.withUnsafeBufferPointer {
      emz_poisson_constant($0.baseAddress, data.rows, d, reference, logReference)
    }
  }

  /// Σⱼ xᵢⱼ log mⱼ − mⱼ − log xᵢⱼ! of each row i (missing entries contribute nothing).
  public func constantLogLikelihoods(of data: DataSet) -> [Double] {
    let d = data.dimension
    let logReference = reference.map { log($0) }
    // The same terms as `emz_poisson_constant` (its table holds emz_lnfact values), row by row.
    return (0..<data.rows).map { i in
      var total = 0.0
      for j in 0..<d {
        let x = data.values[i * d + j]
        if x.isNaN { continue }
        total += x * logReference[j] - reference[j] - emz_lnfact(x)
      }
      return total
    }
  }

  public func reseeded(_ p: Parameters, component k: Int, at row: UnsafePointer<Double>) -> Parameters {
    var q = p
    for j in 0..<dimension where !row[j].isNaN { q.rates[k * dimension + j] = max(row[j], 0.5) }
    return q
  }

  /// Rates above this are sampled from the normal approximation N(λ, λ), rounded: GSL's Poisson
  /// sampler returns an unsigned int and loops forever once λ·7/8 overflows it (λ ≳ 4.9e9).
  static let largeRate = 1e8

  public func sample(component k: Int, prepared: Prepared, random: RandomSource, into row: UnsafeMutablePointer<Double>) {
    for j in 0..<dimension {
      let rate = prepared.rates[k * dimension + j]
      row[j] = rate <= Self.largeRate
        ? random.poisson(rate) : max(0, (rate + random.gaussian(sigma: rate.squareRoot())).rounded())
    }
  }

  public func validate(_ data: DataSet) throws {
    // Beyond 1e10 the terms x·log λ and log x! (≈ 2e11) cancel to a few units in their last
    // place, and the log-likelihood would be silently wrong. (The first walk names a negative
    // or fractional entry even when a larger one comes before it.)
    // One scan tests both conditions; the walks that name the entry run only when it fails.
    let limit = 1e10
    if IndependentDimensions.heldEntriesPass(data, scan: { emz_first_not_count($0, $1, limit) }) { return }
    try IndependentDimensions.walk(data, expected: "a non-negative integer count") { $0 >= 0 && $0 == $0.rounded() }
    try IndependentDimensions.walk(
      data, expected: "a count below 1e10 (larger counts lose the log-likelihood to rounding; rescale the column)"
    ) { $0 < limit }
  }

}

/// Independent binary variables: f(x | p) = Πⱼ pⱼ^xⱼ (1 − pⱼ)^(1−xⱼ).
///
/// - E step: log f = Σⱼ xⱼ log pⱼ + (1 − xⱼ) log(1 − pⱼ).
/// - M step: pₖⱼ = Σᵢ rᵢₖ xᵢⱼ / Σᵢ rᵢₖ; with a Beta(a, b) prior the mode
///   (Σ rx + a − 1) / (Σ r + a + b − 2). Probabilities are kept in [ε, 1 − ε] with
///   ε = `probabilityFloor`, so log p and log(1 − p) stay finite for an all-zero column.
public struct BernoulliFamily: PerDimensionFamily {
  public struct Parameters: PerDimensionParameters, Equatable {
    /// K×d, row-major.
    public var probabilities: [Double]
    public init(probabilities: [Double]) { self.probabilities = probabilities }
    public init(values: [Double]) { probabilities = values }
    public var values: [Double] { probabilities }
  }
  public struct Prepared: LinearPrepared {
    /// log p − log(1 − p) and log(1 − p), for `emz_linear_logpmf`.
    public var slopes: [Double]
    public var offsets: [Double]
    var probabilities: [Double]
    /// The byte tables of the packed E step (`emz_bernoulli_byte_tables`), when the family
    /// holds packed rows (BernoulliFamily+BitPacked.swift).
    var byteTables: [Double]? = nil
  }

  public static let probabilityFloor = 1e-10

  public let components: Int
  public let dimension: Int
  /// Beta(a, b) prior on every probability.
  public let prior: (a: Double, b: Double)?
  /// The data set a mixture is fitted to, bit-packed (`packedForMixture`), or nil.
  var packed: BitPackedRows? = nil

  public init(components: Int, dimension: Int, prior: (a: Double, b: Double)? = nil) {
    self.components = components
    self.dimension = dimension
    self.prior = prior
  }

  public var hasPrior: Bool { prior != nil }
  public static let parameterKey = "probabilities"
  public var placeholder: Parameters {
    Parameters(probabilities: [Double](repeating: 0.5, count: components * dimension))
  }

  public func prepare(_ p: Parameters) throws -> Prepared {
    let slopes = p.probabilities.map { log($0) - log1p(-$0) }, offsets = p.probabilities.map { log1p(-$0) }
    return Prepared(slopes: slopes, offsets: offsets, probabilities: p.probabilities,
                    byteTables: packed.map { byteTables(slopes: slopes, offsets: offsets, for: $0) })
  }

  public func maximize(_ statistics: UnsafeBufferPointer<Double>, previous: Parameters) -> Parameters {
    let (a, b) = prior ?? (1, 1)
    let floor = Self.probabilityFloor
    return Parameters(probabilities: IndependentDimensions.maximize(
      statistics, components: components, dimension: dimension, previous: previous.probabilities
    ) { n, sum in min(max((sum + a - 1) / (n + a + b - 2), floor), 1 - floor) })
  }

  public func logPrior(_ p: Parameters) -> Double {
    guard let (a, b) = prior else { return 0 }
    // log Beta(p | a, b) = (a − 1) log p + (b − 1) log(1 − p) − log B(a, b)
    let constant = -emz_lnbeta(a, b)
    return p.probabilities.reduce(0) { $0 + constant + (a - 1) * log($1) + (b - 1) * log1p(-$1) }
  }

  public func reseeded(_ p: Parameters, component k: Int, at row: UnsafePointer<Double>) -> Parameters {
    var q = p
    for j in 0..<dimension where !row[j].isNaN { q.probabilities[k * dimension + j] = row[j] > 0.5 ? 0.75 : 0.25 }
    return q
  }

  public func sample(component k: Int, prepared: Prepared, random: RandomSource, into row: UnsafeMutablePointer<Double>) {
    for j in 0..<dimension { row[j] = random.bernoulli(prepared.probabilities[k * dimension + j]) }
  }

  public func validate(_ data: DataSet) throws {
    try IndependentDimensions.validate(data, expected: "0 or 1", scan: { emz_first_not_binary($0, $1) }) { $0 == 0 || $0 == 1 }
  }
}
