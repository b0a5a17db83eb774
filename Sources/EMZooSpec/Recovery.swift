import Foundation
public import EMZooCore
internal import EMZooModels

/// How well a fit recovered known parameters (`emzoo check`).
///
/// Labels are matched first: the fitted components (or states) are permuted to maximise
/// the number of rows whose most probable fitted label agrees with the true hidden label
/// (Hungarian algorithm on the confusion matrix). Then, for each parameter, the error is
///
///     max over entries |estimate − truth| / max(1, |truth|)
///
/// an absolute error for entries of magnitude up to 1 (weights, probabilities, unit-scale
/// means) and a relative error beyond (large rates or variances).
public struct RecoveryReport: Sendable {
  public struct Entry: Sendable {
    public var name: String
    public var error: Double
  }
  public var entries: [Entry]
  public var tolerance: Double
  /// Share of rows whose matched fitted label equals the true one (nil without labels).
  public var labelAccuracy: Double?
  public var fit: FitReport
  /// The log-likelihood of the sample at the true parameters, for comparison with the fit's.
  public var logLikelihoodAtTruth: Double
  public var n: Int
  /// The sampled data the fit ran on (for pictures of the fit).
  public var data: DataSet

  public var maxError: Double { entries.map(\.error).max() ?? 0 }
  public var passed: Bool { entries.allSatisfy { $0.error <= tolerance } }
}

extension SpecifiedModel {
  /// Samples `n` rows from the spec's parameters, fits from a fresh start, matches labels and
  /// measures the recovery error of every parameter.
  public func check(spec: ModelSpec, n: Int, seed: UInt64, options: FitOptions) throws -> RecoveryReport {
    guard let truth = try specParameters(spec) else {
      throw spec.parameters.error("expected the true parameters to check recovery against")
    }
    let data = try sampleData(spec: spec, count: n, seed: seed)
    var fitOptions = options
    if fitOptions.initialization == .spec { fitOptions.initialization = .shortEM }
    // Recovery compares estimates only; standard errors only when asked for.
    if fitOptions.standardErrors == nil { fitOptions.standardErrors = false }
    var fitSpec = spec
    fitSpec.parameters = Field(nil, path: "parameters", file: spec.file)
    let report = try fitReport(spec: fitSpec, data: data, options: fitOptions)
    guard let estimateField = report.result["parameters"] else { preconditionFailure("a result has parameters") }
    var estimate = try decodeParameters(Field(estimateField, path: "parameters", file: "result"))
    var accuracy: Double? = nil
    if labelCount > 1, let latent = data.latent {
      let fitted = try assignments(estimate, data: data)
      var confusion = [[Double]](repeating: [Double](repeating: 0, count: labelCount), count: labelCount)
      for (t, f) in zip(latent, fitted) { confusion[t][f] += 1 }
      // order[t] = the fitted label matched to true label t.
      let order = Hungarian.maximize(confusion)
      estimate = permuted(estimate, by: order)
      let agree = (0..<labelCount).reduce(0.0) { $0 + confusion[$1][order[$1]] }
      accuracy = agree / Double(max(data.rows, 1))
    }
    let truthBlocks = blocks(truth), estimateBlocks = blocks(estimate)
    let entries = zip(truthBlocks, estimateBlocks).map { t, e in
      RecoveryReport.Entry(name: t.name, error: zip(t.values, e.values).map { abs($1 - $0) / max(1, abs($0)) }.max() ?? 0)
    }
    let atTruth = try EMEngine.logLikelihood(self, of: data, at: truth)
    return RecoveryReport(entries: entries, tolerance: spec.check.tolerance, labelAccuracy: accuracy, fit: report,
                          logLikelihoodAtTruth: atTruth, n: n, data: data)
  }
}

/// The assignment problem (Kuhn 1955, Munkres 1957) in O(K³).
enum Hungarian {
  /// For a square score matrix, the permutation `order` (row i ↦ column order[i]) that
  /// maximises Σᵢ score[i][order[i]].
  static func maximize(_ score: [[Double]]) -> [Int] {
    let n = score.count
    guard n > 0 else { return [] }
    let top = score.flatMap { $0 }.max() ?? 0
    // Minimise cost = top − score, with 1-based potentials (e-maxx formulation).
    var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: n + 1)
    var p = [Int](repeating: 0, count: n + 1), way = [Int](repeating: 0, count: n + 1)
    for i in 1...n {
      p[0] = i
      var j0 = 0
      var minv = [Double](repeating: .infinity, count: n + 1)
      var used = [Bool](repeating: false, count: n + 1)
      repeat {
        used[j0] = true
        let i0 = p[j0]
        var delta = Double.infinity, j1 = 0
        for j in 1...n where !used[j] {
          let cur = (top - score[i0 - 1][j - 1]) - u[i0] - v[j]
          if cur < minv[j] { minv[j] = cur; way[j] = j0 }
          if minv[j] < delta { delta = minv[j]; j1 = j }
        }
        for j in 0...n {
          if used[j] { u[p[j]] += delta; v[j] -= delta } else { minv[j] -= delta }
        }
        j0 = j1
      } while p[j0] != 0
      repeat {
        let j1 = way[j0]
        p[j0] = p[j1]
        j0 = j1
      } while j0 != 0
    }
    var order = [Int](repeating: 0, count: n)
    for j in 1...n where p[j] > 0 { order[p[j] - 1] = j - 1 }
    return order
  }
}
