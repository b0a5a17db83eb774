internal import CKernels
public import EMZooCore
import Foundation

/// A finite mixture p(x) = Σₖ πₖ f(x | θₖ) of K components of one emission family.
///
/// - E step: responsibilities rᵢₖ = πₖ f(xᵢ|θₖ) / Σⱼ πⱼ f(xᵢ|θⱼ) (log-sum-exp, fused with the
///   normalisation in `emz_normalize_rows`), then the family's weighted statistics.
/// - M step: πₖ = Nₖ / n with Nₖ = Σᵢ rᵢₖ (with a Dirichlet(α) prior: (Nₖ + α − 1) / (n + K(α − 1))),
///   and the family's own update.
///
/// The observed-data log-likelihood is Σᵢ log Σₖ πₖ f(xᵢ|θₖ).
public struct Mixture<Family: EmissionFamily>: GenerativeModel {
  public struct Parameters: Sendable {
    /// π, K probabilities summing to 1.
    public var weights: [Double]
    /// The family's parameters of the K components.
    public var emission: Family.Parameters

    public init(weights: [Double], emission: Family.Parameters) {
      self.weights = weights
      self.emission = emission
    }
  }

  public struct Prepared: Sendable {
    var logWeights: [Double]
    var emission: Family.Prepared
  }

  public var family: Family
  /// Dirichlet concentration α on the weights (nil: no prior).
  public var weightPrior: Double?
  /// Share of entries `sample` removes, independently (MCAR); 0 by default.
  public var sampleMissingRate: Double

  public init(family: Family, weightPrior: Double? = nil, sampleMissingRate: Double = 0) {
    self.family = family
    self.weightPrior = weightPrior
    self.sampleMissingRate = sampleMissingRate
  }

  public var components: Int { family.components }
  /// The family's K blocks one after another (`emz_mixture_layout`, CKernels/include/layouts.h).
  var statisticsLayout: emz_mixture_layout { emz_mixture_layout_make(family.components, family.statisticsPerComponent) }
  public var statisticsCount: Int { statisticsLayout.total }

  /// Nₖ = Σᵢ rᵢₖ of every component, from the blocks' weights.
  func componentWeights(_ statistics: [Double]) -> [Double] {
    let layout = statisticsLayout
    return (0..<family.components).map { statistics[$0 * layout.per_component + layout.weight] }
  }
  public func scratchCount(rows: Int) -> Int { rows * family.components }
  public var hasPrior: Bool { weightPrior != nil || family.hasPrior }

  public func prepare(_ parameters: Parameters) throws -> Prepared {
    Prepared(logWeights: parameters.weights.map { $0 > 0 ? log($0) : -.infinity },
             emission: try family.prepare(parameters.emission))
  }

  public func expectation(rows: Range<Int>, of data: DataSet, given prepared: Prepared,
                          statistics: UnsafeMutableBufferPointer<Double>,
                          scratch: UnsafeMutableBufferPointer<Double>) -> Double {
    let K = family.components, d = data.dimension
    if let packed = (family as? any PackedMixtureExpectation)?.packedExpectation(
      rows: rows, of: data, prepared: prepared.emission, logWeights: prepared.logWeights,
      into: statistics.baseAddress!)
    {
      return packed
    }
    return data.values.withUnsafeBufferPointer { all in
      let x = all.baseAddress! + rows.lowerBound * d
      if let fused = (family as? any FusedMixtureExpectation)?.fusedExpectation(
        x, rows: rows.count, prepared: prepared.emission, logWeights: prepared.logWeights,
        into: statistics.baseAddress!)
      {
        return fused
      }
      family.logDensities(x, rows: rows.count, prepared: prepared.emission, into: scratch.baseAddress!)
      let logLikelihood = emz_normalize_rows(scratch.baseAddress!, rows.count, K, prepared.logWeights)
      family.accumulate(x, rows: rows.count, weights: scratch.baseAddress!, prepared: prepared.emission,
                        into: statistics.baseAddress!)
      return logLikelihood
    }
  }

  public func maximization(_ statistics: [Double], previous: Parameters, prepared: Prepared,
                           data: DataSet) -> (Parameters, repair: String?) {
    let counts = componentWeights(statistics)
    let n = counts.reduce(0, +)
    // A component whose weight has vanished cannot be updated (0/0): move it onto the row
    // the current fit explains worst, and say so.
    if let empty = counts.firstIndex(where: { $0 <= 1e-8 * max(n, 1) }) {
      let (row, values) = family.worstExplainedRowValues(data, prepared: prepared.emission, logWeights: prepared.logWeights)
      var weights = previous.weights
      weights[empty] = 1 / Double(max(data.rows, 1))
      let total = weights.reduce(0, +)
      weights = weights.map { $0 / total }
      let emission = values.withUnsafeBufferPointer {
        family.reseeded(previous.emission, component: empty, at: $0.baseAddress!)
      }
      return (Parameters(weights: weights, emission: emission),
              "component \(empty) lost all its weight; re-seeded at data row \(row + 1)")
    }
    let weights = Dirichlet.mode(counts, concentration: weightPrior) ?? previous.weights
    let emission = statistics.withUnsafeBufferPointer { family.maximize($0, previous: previous.emission) }
    return (Parameters(weights: weights, emission: emission), nil)
  }

  public func logPrior(_ parameters: Parameters) -> Double {
    var total = family.logPrior(parameters.emission)
    if let alpha = weightPrior {
      total += Dirichlet.logDensity(parameters.weights, concentration: alpha)
    }
    return total
  }

  public func constantLogLikelihood(of data: DataSet) -> Double { family.constantLogLikelihood(of: data) }
  public func adapted(to data: DataSet) -> Mixture {
    var copy = self
    copy.family = family.adapted(to: data)
    // A family with its own packed copy of the data (binary rows) makes it here, once per fit.
    if let packing = copy.family as? any PackedMixtureExpectation,
       let packed = packing.anyPackedForMixture(data) as? Family
    {
      copy.family = packed
    }
    return copy
  }

  public func parameterCount(dimension: Int) -> Int { family.components - 1 + family.parameterCount }

  /// Whether a component has collapsed onto the family's constraint (see `EMModel.isDegenerate`).
  public func isDegenerate(_ p: Parameters) -> Bool { family.isDegenerate(p.emission) }

  // MARK: - Initialisation

  /// Starting parameters by `method`; on more than `DataSet.initializationRows` rows they come
  /// from the fixed-seed subsample `data.initializationSample()`, so no start allocates O(n).
  public func initialParameters(for data: DataSet, method: InitMethod, random: RandomSource) throws -> Parameters {
    if data.rows > DataSet.initializationRows {
      return try initialParameters(for: data.initializationSample(), method: method, random: random)
    }
    let K = family.components
    let distinct = KMeans.distinctRows(data, atMost: K)
    guard distinct >= K else {
      throw InputError("\(data.source): only \(distinct) distinct rows; cannot fit \(K) components")
    }
    let labels: [Int]
    switch method {
    case .kmeansPlusPlus, .shortEM: labels = KMeans.cluster(data, k: K, random: random, lloydIterations: 20)
    case .random: labels = KMeans.cluster(data, k: K, random: random, lloydIterations: 0, plusPlus: false)
    case .randomPartition:
      if let tables = (family as? any RandomTableFamily)?.randomTables(for: data, random: random) as? Family.Parameters {
        return Parameters(weights: [Double](repeating: 1 / Double(K), count: K), emission: tables)
      }
      labels = Self.randomPartition(rows: data.rows, components: K, random: random)
    case .spec: preconditionFailure("the engine starts from the spec's parameters itself")
    }
    return try parameters(fromLabels: labels, data: data)
  }

  /// A uniformly random label for every row, then rows 0…K−1 of a random order relabelled
  /// 0…K−1 wherever a label went unused (so no component starts empty; needs rows ≥ K).
  static func randomPartition(rows n: Int, components K: Int, random: RandomSource) -> [Int] {
    var labels = (0..<n).map { _ in random.integer(below: K) }
    var used = [Bool](repeating: false, count: K)
    for label in labels { used[label] = true }
    if used.contains(false) {
      var order = Array(0..<n)
      for i in 0..<min(K, n) { order.swapAt(i, i + random.integer(below: n - i)) }
      for k in 0..<min(K, n) { labels[order[k]] = k }
    }
    return labels
  }

  /// The rows whose statistics `parameters(fromLabels:data:)` adds in one call.
  static var labelBlockRows: Int { 2048 }

  /// One M step from hard labels: what the clustering says each component looks like.
  func parameters(fromLabels labels: [Int], data: DataSet) throws -> Parameters {
    let K = family.components, d = data.dimension
    var statistics = [Double](repeating: 0, count: statisticsCount)
    // Centre the statistics on each cluster's mean so the family's update is accurate.
    let emptyParameters = initialCentres(labels: labels, data: data)
    let prepared = try family.prepare(emptyParameters)
    // The rows' one-hot weights a block at a time: the families' kernels work on blocks of rows
    // (row by row, 200 000 rows of 64 columns took a tenth of a default fit).
    let block = min(Self.labelBlockRows, data.rows)
    var oneHot = [Double](repeating: 0, count: block * K)
    data.values.withUnsafeBufferPointer { all in
      for start in stride(from: 0, to: data.rows, by: block) {
        let rows = min(block, data.rows - start)
        for r in 0..<rows { oneHot[r * K + labels[start + r]] = 1 }
        family.accumulate(all.baseAddress! + start * d, rows: rows, weights: oneHot, prepared: prepared, into: &statistics)
        for r in 0..<rows { oneHot[r * K + labels[start + r]] = 0 }
      }
    }
    let counts = componentWeights(statistics)
    let n = counts.reduce(0, +)
    let emission = statistics.withUnsafeBufferPointer { family.maximize($0, previous: emptyParameters) }
    return Parameters(weights: counts.map { $0 / n }, emission: emission)
  }

  /// Family parameters centred on one member of each cluster, used only as the centring point
  /// of the first statistics.
  func initialCentres(labels: [Int], data: DataSet) -> Family.Parameters {
    var parameters = family.placeholder
    let K = family.components, d = data.dimension
    data.values.withUnsafeBufferPointer { all in
      for k in 0..<K {
        if let i = labels.firstIndex(of: k) {
          parameters = family.reseeded(parameters, component: k, at: all.baseAddress! + i * d)
        }
      }
    }
    return parameters
  }
}
