import EMZoo
import Foundation

/// d independent exponential columns per component: f(x | λ) = Πⱼ λⱼ e^{−λⱼ xⱼ}, xⱼ ≥ 0.
///
/// - E step: log f = Σⱼ (log λⱼ − λⱼ xⱼ) over the observed entries; a missing entry (NaN) is
///   marginalised out (it contributes log 1 = 0).
/// - Statistics per component: [Σᵢ wᵢ, Σᵢ wᵢ xᵢⱼ (d), Σᵢ wᵢ [xᵢⱼ observed] (d)], the sums over
///   the rows where column j is observed.
/// - M step: λⱼ = Σ_observed w / Σ_observed w·xⱼ; a column with no weighted observation (or only
///   zeros) keeps its previous rate.
/// - Sampling: inverse CDF, xⱼ = −log(1 − u) / λⱼ with u uniform on [0, 1).
struct ExponentialFamily: EmissionFamily, SpecifiedFamily {
  struct Parameters: Sendable, Equatable {
    /// K×d rates, row-major.
    var rates: [Double]
  }
  struct Prepared: Sendable {
    var rates: [Double]
    var logRates: [Double]
  }

  let components: Int
  let dimension: Int

  var statisticsPerComponent: Int { 1 + 2 * dimension }
  var parameterCount: Int { components * dimension }
  var placeholder: Parameters { Parameters(rates: [Double](repeating: 1, count: components * dimension)) }
  var parameterKeys: [String] { ["rates"] }

  func prepare(_ p: Parameters) throws -> Prepared { Prepared(rates: p.rates, logRates: p.rates.map { log($0) }) }

  func logDensities(_ x: UnsafePointer<Double>, rows: Int, prepared: Prepared, into out: UnsafeMutablePointer<Double>) {
    let K = components, d = dimension
    for i in 0..<rows {
      for k in 0..<K {
        var sum = 0.0
        for j in 0..<d where !x[i * d + j].isNaN { sum += prepared.logRates[k * d + j] - prepared.rates[k * d + j] * x[i * d + j] }
        out[i * K + k] = sum
      }
    }
  }

  func accumulate(_ x: UnsafePointer<Double>, rows: Int, weights: UnsafePointer<Double>, prepared: Prepared,
                  into statistics: UnsafeMutablePointer<Double>) {
    let K = components, d = dimension, stride = statisticsPerComponent
    for i in 0..<rows {
      for k in 0..<K {
        let w = weights[i * K + k], s = statistics + k * stride
        s[0] += w
        for j in 0..<d where !x[i * d + j].isNaN {
          s[1 + j] += w * x[i * d + j]
          s[1 + d + j] += w
        }
      }
    }
  }

  func maximize(_ statistics: UnsafeBufferPointer<Double>, previous: Parameters) -> Parameters {
    let d = dimension, stride = statisticsPerComponent
    var rates = previous.rates
    for k in 0..<components {
      for j in 0..<d {
        let weightedSum = statistics[k * stride + 1 + j], observed = statistics[k * stride + 1 + d + j]
        if observed > 0, weightedSum > 0 { rates[k * d + j] = observed / weightedSum }
      }
    }
    return Parameters(rates: rates)
  }

  func sample(component k: Int, prepared: Prepared, random: RandomSource, into row: UnsafeMutablePointer<Double>) {
    for j in 0..<dimension { row[j] = -log1p(-random.uniform()) / prepared.rates[k * dimension + j] }
  }

  /// Component k gets rate 1/xⱼ on each observed column of the row (its mean becomes the row).
  func reseeded(_ p: Parameters, component k: Int, at row: UnsafePointer<Double>) -> Parameters {
    var q = p
    for j in 0..<dimension where !row[j].isNaN { q.rates[k * dimension + j] = 1 / max(row[j], 1e-6) }
    return q
  }

  func blocks(_ p: Parameters) -> [(name: String, perComponent: [[Double]])] {
    [("rates", (0..<components).map { Array(p.rates[($0 * dimension)..<(($0 + 1) * dimension)]) })]
  }

  func permuted(_ p: Parameters, by order: [Int]) -> Parameters {
    Parameters(rates: order.flatMap { p.rates[($0 * dimension)..<(($0 + 1) * dimension)] })
  }

  func validate(_ data: DataSet) throws {
    let d = data.dimension
    for (e, x) in data.values.enumerated() where !x.isNaN && !(x >= 0 && x.isFinite) {
      throw InputError("\(data.place(row: e / d, column: e % d)): expected a non-negative number, found \(formatNumber(x))")
    }
  }

  func decode(_ field: Field) throws -> Parameters {
    let rates = try field["rates"].matrix(rows: components, columns: dimension)
    if let e = rates.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
      throw field["rates"].error("expected positive rates; entry [\(e / dimension)][\(e % dimension)] is \(formatNumber(rates[e]))")
    }
    return Parameters(rates: rates)
  }
}

/// `exponential`: the `exponential-mixture` kind and the HMM emission `"emission": "exponential"`.
let exponentialFamilyKind = FamilyKind(
  name: "exponential", summary: "mixture of K products of d independent exponential columns (plugin)"
) { context in
  ExponentialFamily(components: context.components, dimension: try context.dimension(fromMatrix: "rates"))
}

/// Optional: unconstrained coordinates (log rates) give the family SQUAREM and standard errors.
extension ExponentialFamily: CoordinatizedFamily {
  var coordinateCount: Int { components * dimension }
  func coordinates(_ p: Parameters) -> [Double] { p.rates.map { log($0) } }
  func parameters(fromCoordinates c: ArraySlice<Double>, like p: Parameters) -> Parameters? {
    let rates = c.map { exp($0) }
    return rates.allSatisfy({ $0 > 0 && $0.isFinite }) ? Parameters(rates: rates) : nil
  }
  var coordinateBlocks: [CoordinateBlock] { [CoordinateBlock(name: "rates", range: 0..<coordinateCount, transform: .log)] }
}

/// Optional: `emzoo impute`. The columns are independent given the component, so a missing
/// entry's expectation under component k is its mean 1/λₖⱼ, whatever the row holds.
extension ExponentialFamily: ConditionalMeanFamily {
  func conditionalMeans(_ x: UnsafePointer<Double>, rows: Int, parameters p: Parameters,
                        into out: UnsafeMutablePointer<Double>) {
    for i in 0..<rows {
      for e in 0..<p.rates.count { out[i * p.rates.count + e] = 1 / p.rates[e] }
    }
  }
}
