internal import CKernels
import Foundation
public import EMZooCore

/// One column of symbols 0..M−1 with a categorical distribution per component:
/// f(x | p) = p_x.
///
/// - E step: log f = log p_{k,x} (`emz_categorical_logpmf`); a missing symbol (NaN) contributes
///   log 1 = 0, i.e. it is marginalised out.
/// - M step: p_{k,m} = c_{k,m} / Σ_m′ c_{k,m′} with c_{k,m} = Σᵢ wᵢₖ [xᵢ = m] the expected symbol
///   counts; with a symmetric Dirichlet(β) prior on each row the mode
///   (c_{k,m} + β − 1) / (Σ_m′ c_{k,m′} + M(β − 1)).
///
/// Statistics per component are [Σ w, then the M expected symbol counts]
/// (`emz_categorical_accumulate`, laid out by `emz_categorical_layout`). The denominator of the M step is the sum of the counts, not
/// Σ w, so rows whose symbol is missing carry no weight.
public struct CategoricalFamily: EmissionFamily, ScaledEmissionDensities, RandomlyStartedFamily {
  public struct Parameters: Sendable, Equatable {
    /// K×M, row-major; every row sums to 1.
    public var probabilities: [Double]
    public init(probabilities: [Double]) { self.probabilities = probabilities }
  }

  public struct Prepared: Sendable {
    var probabilities: [Double]
    var logProbabilities: [Double]
    /// Per symbol s (M×K): p[k][s] / maxₖ p[k][s], and log maxₖ p[k][s].
    var scaledBySymbol: [Double]
    var logLargest: [Double]
  }

  public let components: Int
  /// M, the number of symbols.
  public let symbols: Int
  /// Dirichlet concentration β ≥ 1 on every row (nil: no prior).
  public let prior: Double?

  public init(components: Int, symbols: Int, prior: Double? = nil) {
    precondition(symbols >= 1, "a categorical family needs at least one symbol")
    self.components = components
    self.symbols = symbols
    self.prior = prior
  }

  /// One column of symbols.
  public var dimension: Int { 1 }
  public var statisticsPerComponent: Int { emz_categorical_layout_make(symbols).stride }
  public var parameterCount: Int { components * (symbols - 1) }
  public var hasPrior: Bool { prior != nil }

  public var placeholder: Parameters {
    Parameters(probabilities: [Double](repeating: 1 / Double(symbols), count: components * symbols))
  }

  // MARK: - E step

  public func prepare(_ p: Parameters) throws -> Prepared {
    let K = components, M = symbols
    var scaled = [Double](repeating: 0, count: M * K), largest = [Double](repeating: -.infinity, count: M)
    for s in 0..<M {
      let top = (0..<K).map { p.probabilities[$0 * M + s] }.max() ?? 0
      guard top > 0 else { continue }  // a symbol no state emits: its rows are impossible
      largest[s] = log(top)
      for k in 0..<K { scaled[s * K + k] = p.probabilities[k * M + s] / top }
    }
    return Prepared(probabilities: p.probabilities, logProbabilities: p.probabilities.map { $0 > 0 ? log($0) : -.infinity },
                    scaledBySymbol: scaled, logLargest: largest)
  }

  /// Table lookups: no logarithm or exponential per step.
  public func scaledDensities(_ x: UnsafePointer<Double>, rows: Int, prepared: Prepared,
                              into out: UnsafeMutablePointer<Double>) -> Double? {
    emz_categorical_scaled_densities(x, rows, components, prepared.scaledBySymbol, prepared.logLargest, out)
  }

  public func logDensities(_ x: UnsafePointer<Double>, rows: Int, prepared: Prepared,
                           into out: UnsafeMutablePointer<Double>) {
    emz_categorical_logpmf(x, rows, components, symbols, prepared.logProbabilities, out)
  }

  public func accumulate(_ x: UnsafePointer<Double>, rows: Int, weights: UnsafePointer<Double>,
                         prepared: Prepared, into statistics: UnsafeMutablePointer<Double>) {
    emz_categorical_accumulate(x, rows, components, symbols, weights, statistics)
  }

  // MARK: - M step

  public func maximize(_ statistics: UnsafeBufferPointer<Double>, previous: Parameters) -> Parameters {
    let K = components, M = symbols, layout = emz_categorical_layout_make(M)
    var p = previous.probabilities
    for k in 0..<K {
      // A row no observed symbol has any weight for is left as it was (0/0 otherwise).
      let first = k * layout.stride + layout.symbols
      let counts = UnsafeBufferPointer(rebasing: statistics[first..<(first + M)])
      guard let row = Dirichlet.mode(counts, concentration: prior) else { continue }
      p.replaceSubrange((k * M)..<((k + 1) * M), with: row)
    }
    return Parameters(probabilities: p)
  }

  public func logPrior(_ p: Parameters) -> Double {
    guard let beta = prior else { return 0 }
    let M = symbols
    return (0..<components).reduce(0.0) {
      $0 + Dirichlet.logDensity(Array(p.probabilities[($1 * M)..<(($1 + 1) * M)]), concentration: beta)
    }
  }

  // MARK: - Starting points, repairs and sampling

  /// Starting emission rows for `fit.init` "kmeans++" or "random": k-means on a single column
  /// of symbol codes says little (the codes are labels, not magnitudes), so each row is half
  /// the data's symbol frequencies f̂ and half a draw from the flat Dirichlet(1, …, 1):
  ///
  ///     p_k = ½ f̂ + ½ u_k,   u_k ~ Dirichlet(1, …, 1)
  ///
  /// The frequencies keep every observed symbol possible in every state (so the starting
  /// likelihood is finite and not absurdly low); the draws break the symmetry between states.
  /// With a row window (`DataSet.held`) the counts are summed by block over every process
  /// (collective); they are whole numbers, so they are exact and equal a plain run's.
  public func randomStart(for data: DataSet, random: RandomSource) -> Parameters {
    let K = components, M = symbols
    var frequencies = [Double](repeating: 0, count: M)
    var observed = 0.0
    if data.held != nil {
      let d = data.dimension
      let counts = data.values.withUnsafeBufferPointer { all in
        data.rowBlockSums(width: M + 1) { rows, out in
          for e in (rows.lowerBound * d)..<(rows.upperBound * d) where !all[e].isNaN {
            out[Int(all[e])] += 1
            out[M] += 1
          }
        }
      }
      frequencies = Array(counts[..<M])
      observed = counts[M]
    } else {
      for x in data.values where !x.isNaN {
        frequencies[Int(x)] += 1
        observed += 1
      }
    }
    frequencies = frequencies.map { observed > 0 ? $0 / observed : 1 / Double(M) }
    var p = [Double](repeating: 0, count: K * M)
    let flat = [Double](repeating: 1, count: M)
    for k in 0..<K {
      let u = random.dirichlet(flat)
      for m in 0..<M { p[k * M + m] = 0.5 * frequencies[m] + 0.5 * u[m] }
    }
    return Parameters(probabilities: p)
  }

  /// Component k becomes ½ on the row's symbol and ½ spread evenly over all symbols.
  public func reseeded(_ p: Parameters, component k: Int, at row: UnsafePointer<Double>) -> Parameters {
    let M = symbols
    guard !row[0].isNaN else { return p }
    var q = p
    for m in 0..<M { q.probabilities[k * M + m] = 0.5 / Double(M) }
    q.probabilities[k * M + Int(row[0])] += 0.5
    return q
  }

  /// Inverse-CDF draw (O(M); no table to build per call).
  public func sample(component k: Int, prepared: Prepared, random: RandomSource,
                     into row: UnsafeMutablePointer<Double>) {
    let M = symbols
    var u = random.uniform()
    var symbol = M - 1
    for m in 0..<M {
      u -= prepared.probabilities[k * M + m]
      if u < 0 {
        symbol = m
        break
      }
    }
    // Rounding can leave u ≥ 0 after the last symbol; never return a symbol of probability 0.
    while prepared.probabilities[k * M + symbol] <= 0, symbol > 0 { symbol -= 1 }
    row[0] = Double(symbol)
  }

  public func blocks(_ p: Parameters) -> [(name: String, perComponent: [[Double]])] {
    [("probabilities", IndependentDimensions.rows(p.probabilities, components: components, dimension: symbols))]
  }

  public func permuted(_ p: Parameters, by order: [Int]) -> Parameters {
    Parameters(probabilities: IndependentDimensions.permuted(p.probabilities, dimension: symbols, by: order))
  }

  /// Every observed entry is an integer symbol in 0..M−1.
  public func validate(_ data: DataSet) throws {
    let limit = Double(symbols)
    try IndependentDimensions.validate(
      data, expected: "a symbol, an integer in 0..\(symbols - 1)", scan: { emz_first_not_count($0, $1, limit) }
    ) {
      $0 >= 0 && $0 < Double(symbols) && $0 == $0.rounded()
    }
  }
}
