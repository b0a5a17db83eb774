public import EMZooCore
import Foundation

extension Mixture {
  /// Each row's MAP component, responsibilities and log-likelihood under fixed parameters,
  ///
  ///     p(k | xᵢ) = πₖ f(xᵢ | θₖ) / Σⱼ πⱼ f(xᵢ | θⱼ),   ℓᵢ = log Σₖ πₖ f(xᵢ | θₖ) + cᵢ,
  ///
  /// with cᵢ the family's parameter-free constant of row i, so Σᵢ ℓᵢ is the fit's
  /// log-likelihood. Missing entries are marginalised by the family, as in the fit. Works for
  /// every family through `logDensities`. A row of probability 0 under every component gets
  /// ℓᵢ = −∞, NaN probabilities and label 0, and adds nothing to the classification term.
  public func rowPosteriors(_ parameters: Parameters, data: DataSet) throws -> RowPosteriors? {
    try checkColumns(data)
    try validate(data)
    let model = adapted(to: data)
    let prepared = try model.prepare(parameters)
    let constants = model.family.constantLogLikelihoods(of: data)
    let K = components
    var labels = [Int](repeating: 0, count: data.rows)
    var probabilities = [Double](repeating: .nan, count: data.rows * K)
    var logLikelihoods = [Double](repeating: -.infinity, count: data.rows)
    var classification = 0.0
    model.forEachBlockOfJointDensities(data, prepared: prepared) { start, count, joint in
      for r in 0..<count {
        let i = start + r, row = joint + r * K
        guard let (best, total) = Self.argmaxAndLogSumExp(row, count: K) else { continue }
        labels[i] = best
        logLikelihoods[i] = total + constants[i]
        for k in 0..<K { probabilities[i * K + k] = exp(row[k] - total) }
        classification += row[best] - total
      }
    }
    return RowPosteriors(labelCount: K, labels: labels, probabilities: probabilities,
                         logLikelihoods: logLikelihoods, predictions: [],
                         classificationLogLikelihood: classification)
  }

  /// Σᵢ log maxₖ p(k | xᵢ), block by block without storing the responsibilities.
  public func classificationLogLikelihood(_ parameters: Parameters, data: DataSet) throws -> Double? {
    try checkColumns(data)
    try validate(data)
    let model = adapted(to: data)
    let prepared = try model.prepare(parameters)
    func add(_ classification: inout Double, _ count: Int, _ joint: UnsafeMutablePointer<Double>) {
      for r in 0..<count {
        let row = joint + r * model.components
        guard let (best, total) = Self.argmaxAndLogSumExp(row, count: model.components) else { continue }
        classification += row[best] - total
      }
    }
    if data.sumsByBlock {
      // Large or windowed data: block by block, blocks added in order (the same bits for
      // any number of processes).
      return data.rowBlockSums(width: 1) { rows, sum in
        model.forEachBlockOfJointDensities(data, rows: rows, prepared: prepared) { _, count, joint in
          add(&sum[0], count, joint)
        }
      }[0]
    }
    var classification = 0.0
    model.forEachBlockOfJointDensities(data, prepared: prepared) { _, count, joint in
      add(&classification, count, joint)
    }
    return classification
  }

  /// Calls `body(start, count, joint)` for consecutive blocks of rows (of `rows`, default all),
  /// with joint[r·K + k] = log πₖ + log f(x_{start+r} | θₖ) (the family's constant excluded).
  func forEachBlockOfJointDensities(_ data: DataSet, rows: Range<Int>? = nil, prepared: Prepared,
                                    _ body: (Int, Int, UnsafeMutablePointer<Double>) -> Void) {
    let K = components, d = data.dimension, block = 2048
    let rows = rows ?? 0..<data.rows
    var buffer = [Double](repeating: 0, count: block * K)
    data.values.withUnsafeBufferPointer { all in
      buffer.withUnsafeMutableBufferPointer { out in
        for start in stride(from: rows.lowerBound, to: rows.upperBound, by: block) {
          let count = min(block, rows.upperBound - start)
          family.logDensities(all.baseAddress! + start * d, rows: count, prepared: prepared.emission,
                              into: out.baseAddress!)
          for e in 0..<(count * K) { out[e] += prepared.logWeights[e % K] }
          body(start, count, out.baseAddress!)
        }
      }
    }
  }

  /// (argmaxₖ aₖ, log Σₖ exp aₖ) of one row, or nil when every entry is −∞ (or NaN).
  static func argmaxAndLogSumExp(_ a: UnsafePointer<Double>, count K: Int) -> (Int, Double)? {
    var best = -1, m = -Double.infinity
    for k in 0..<K where a[k] > m {
      best = k
      m = a[k]
    }
    guard best >= 0, m.isFinite else { return nil }
    return (best, logSumExp(UnsafeBufferPointer(start: a, count: K)))
  }
}
