public import EMZooCore
import Foundation

extension Mixture {
  public var dimension: Int { family.dimension }
  public var labelCount: Int { family.components }
  /// Rows are independent (a row's missing entries are drawn right after the row), so any
  /// block of rows can be drawn on its own.
  public var sampleBlockRows: Int? { 1 }

  /// Every row needs one observed entry; then the family's own checks.
  public func validate(_ data: DataSet) throws {
    let d = data.dimension
    for i in data.heldRows where (0..<d).allSatisfy({ data.values[i * d + $0].isNaN }) {
      throw InputError("\(data.source): \(data.rowNoun) \(i + data.firstLine): every value is missing; a mixture needs at least one observed entry per row")
    }
    // A family that packs the rows checks them as it packs them: one pass over the matrix,
    // whose copy the fit then uses.
    if let packing = family as? any PackedMixtureExpectation, packing.validatedByPacking(data) { return }
    try family.validate(data)
  }

  public func validateForFitting(_ data: DataSet) throws { try family.validateForFitting(data) }

  /// Component labels drawn from the weights, each row from its component, then the row's
  /// entries removed at `sampleMissingRate` (all of one row's draws together, so drawing the
  /// rows in blocks gives the same rows as drawing them at once).
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
        if sampleMissingRate > 0 {
          MissingValues.remove(fromRow: out.baseAddress! + i * d, dimension: d, rate: sampleMissingRate, random: random)
        }
      }
    }
    return DataSet(source: "sample", columns: defaultColumns, values: values, latent: latent)
  }

  /// The component of largest posterior probability πₖ f(x|θₖ) of each row.
  public func assignments(_ p: Parameters, data: DataSet) throws -> [Int] {
    let prepared = try prepare(p)
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

/// Removing entries from sampled data (the `missing` option of `sample`).
public enum MissingValues {
  /// Removes each entry independently with probability `rate` (missing completely at random),
  /// except that a row never loses all of its entries: one of them, chosen uniformly, stays.
  public static func remove(fromRow row: UnsafeMutablePointer<Double>, dimension d: Int, rate: Double,
                            random: RandomSource) {
    guard d > 0 else { return }
    let keep = random.integer(below: d)
    for j in 0..<d where random.uniform() < rate && j != keep { row[j] = .nan }
  }
}
