import Foundation

/// A mixture as a spec-level model: `weights` plus the family's parameters.
public struct MixtureModel<Family: EmissionFamily>: SpecifiedModel {
  public typealias Parameters = Mixture<Family>.Parameters
  public typealias Prepared = Mixture<Family>.Prepared

  public let kind: String
  public private(set) var mixture: Mixture<Family>
  public let options: JSONValue
  public let priorJSON: JSONValue?
  /// Share of entries `sample` removes, independently (MCAR); 0 by default.
  public let missingRate: Double

  public init(kind: String, family: Family, weightPrior: Double?, options: JSONValue, prior: JSONValue?,
              missingRate: Double = 0) {
    self.kind = kind
    self.missingRate = missingRate
    mixture = Mixture(family: family, weightPrior: weightPrior)
    self.options = options
    priorJSON = prior
  }

  var family: Family { mixture.family }
  public var dimension: Int { family.dimension }
  public var labelCount: Int { family.components }

  // MARK: EMModel, by delegation

  public var statisticsCount: Int { mixture.statisticsCount }
  public var hasPrior: Bool { mixture.hasPrior }
  public func scratchCount(rows: Int) -> Int { mixture.scratchCount(rows: rows) }
  public func prepare(_ p: Parameters) throws -> Prepared { try mixture.prepare(p) }
  public func expectation(rows: Range<Int>, of data: DataSet, given prepared: Prepared,
                          statistics: UnsafeMutableBufferPointer<Double>,
                          scratch: UnsafeMutableBufferPointer<Double>) -> Double {
    mixture.expectation(rows: rows, of: data, given: prepared, statistics: statistics, scratch: scratch)
  }
  public func maximization(_ statistics: [Double], previous: Parameters, prepared: Prepared,
                           data: DataSet) -> (Parameters, repair: String?) {
    mixture.maximization(statistics, previous: previous, prepared: prepared, data: data)
  }
  public func logPrior(_ p: Parameters) -> Double { mixture.logPrior(p) }
  public func constantLogLikelihood(of data: DataSet) -> Double { mixture.constantLogLikelihood(of: data) }
  public func adapted(to data: DataSet) -> MixtureModel {
    var copy = self
    copy.mixture = mixture.adapted(to: data)
    return copy
  }
  public func initialParameters(for data: DataSet, method: InitMethod, random: RandomSource) throws -> Parameters {
    try mixture.initialParameters(for: data, method: method, random: random)
  }
  public func parameterCount(dimension: Int) -> Int { mixture.parameterCount(dimension: dimension) }

  // MARK: Spec I/O

  public func decodeParameters(_ field: Field) throws -> Parameters {
    try field.object(allowing: ["weights"] + family.parameterKeys)
    let weights = try Probability.vector(field["weights"], count: family.components)
    return Parameters(weights: weights, emission: try family.decode(field))
  }

  public func encodeParameters(_ p: Parameters) -> JSONValue {
    .object([("weights", JSONValue(p.weights))] + family.encode(p.emission))
  }

  public func validate(_ data: DataSet) throws {
    let d = data.dimension
    for i in 0..<data.rows where (0..<d).allSatisfy({ data.values[i * d + $0].isNaN }) {
      throw InputError("\(data.source): line \(i + data.firstLine): every value is missing; a mixture needs at least one observed entry per row")
    }
    try family.validate(data)
  }

  public func sample(_ p: Parameters, count: Int, random: RandomSource) throws -> DataSet {
    let d = dimension
    let prepared = try family.prepare(p.emission)
    let chooser = CategoricalSampler(p.weights)
    var values = [Double](repeating: 0, count: count * d)
    var latent = [Int](repeating: 0, count: count)
    values.withUnsafeMutableBufferPointer { out in
      for i in 0..<count {
        let k = chooser.draw(using: random)
        latent[i] = k
        family.sample(component: k, prepared: prepared, random: random, into: out.baseAddress! + i * d)
      }
    }
    if missingRate > 0 { MissingValues.remove(from: &values, dimension: d, rate: missingRate, random: random) }
    return DataSet(source: "sample", columns: defaultColumns, values: values, latent: latent)
  }

  public func assignments(_ p: Parameters, data: DataSet) throws -> [Int] {
    let prepared = try mixture.prepare(p)
    let K = family.components
    var labels = [Int](repeating: 0, count: data.rows)
    var buffer = [Double](repeating: 0, count: K)
    data.values.withUnsafeBufferPointer { all in
      for i in 0..<data.rows {
        family.logDensities(all.baseAddress! + i * data.dimension, rows: 1, prepared: prepared.emission, into: &buffer)
        var best = 0
        for k in 1..<max(K, 1) where buffer[k] + prepared.logWeights[k] > buffer[best] + prepared.logWeights[best] {
          best = k
        }
        labels[i] = best
      }
    }
    return labels
  }

  public func permuted(_ p: Parameters, by order: [Int]) -> Parameters {
    Parameters(weights: order.map { p.weights[$0] }, emission: family.permuted(p.emission, by: order))
  }

  public func blocks(_ p: Parameters) -> [(name: String, values: [Double])] {
    [("weights", p.weights)] + family.blocks(p.emission).map { ($0.name, Array($0.perComponent.joined())) }
  }
}

/// Validation of probability vectors in specs.
enum Probability {
  /// `count` non-negative numbers summing to 1 (within 1e-6, then renormalised exactly).
  static func vector(_ field: Field, count: Int) throws -> [Double] {
    let p = try field.vector(count: count)
    if let i = p.firstIndex(where: { !($0 >= 0) }) {
      throw field.error("expected probabilities ≥ 0; entry [\(i)] is \(JSONValue.format(p[i]))")
    }
    let sum = p.reduce(0, +)
    guard abs(sum - 1) <= 1e-6 else {
      throw field.error("expected probabilities summing to 1, found sum \(JSONValue.format(sum))")
    }
    return p.map { $0 / sum }
  }

  /// A Dirichlet prior `{ "dirichlet": α }` with α ≥ 1 (so the posterior mode exists).
  static func dirichlet(_ field: Field) throws -> Double? {
    guard field.isPresent else { return nil }
    try field.object(allowing: ["dirichlet"])
    let alpha = try field["dirichlet"].number()
    guard alpha >= 1 else {
      throw field["dirichlet"].error("expected a concentration ≥ 1 (the MAP estimate needs it), found \(JSONValue.format(alpha))")
    }
    return alpha
  }
}

/// Removing entries from sampled data (the `missing` option).
enum MissingValues {
  /// Removes each entry independently with probability `rate` (missing completely at random),
  /// except that a row never loses all of its entries: one of them, chosen uniformly, stays.
  static func remove(from values: inout [Double], dimension d: Int, rate: Double, random: RandomSource) {
    guard d > 0 else { return }
    for i in 0..<(values.count / d) {
      let keep = random.integer(below: d)
      for j in 0..<d where random.uniform() < rate && j != keep { values[i * d + j] = .nan }
    }
  }

  /// Reads `options.missing`: `{ "rate": r, "mechanism": "MCAR" }` with 0 ≤ r < 1.
  static func rate(_ field: Field) throws -> Double {
    guard field.isPresent else { return 0 }
    try field.object(allowing: ["rate", "mechanism"])
    if field["mechanism"].isPresent { _ = try field["mechanism"].choice(["MCAR"]) }
    let rate = try field["rate"].number()
    guard rate >= 0, rate < 1 else { throw field["rate"].error("expected a rate in [0, 1), found \(JSONValue.format(rate))") }
    return rate
  }
}
