import CKernels
import Foundation
import Numerics
import Testing

@testable import EMZoo

/// Missing-data regression's E step from cached pattern moments against the pass over the
/// rows it replaces, and the Poisson constant's log n! table against GSL.
@Suite struct PatternMomentsTests {
  let spec3 = """
    { "model": "missing-data-regression",
      "options": { "response": "y", "missing": { "rate": 0.3, "mechanism": "MCAR" } },
      "parameters": { "coefficients": [1, 2, -1, 0.5], "noiseVariance": 0.5, "covariateMean": [0, 1, -2],
                      "covariateCovariance": [[1, 0.5, 0.2], [0.5, 2, -0.3], [0.2, -0.3, 1.5]] } }
    """

  func regression(_ text: String) throws -> (SpecifiedKind<MissingDataRegression>, ModelSpec) {
    let s = try spec(text)
    guard let m = try model(s) as? SpecifiedKind<MissingDataRegression> else {
      preconditionFailure("the registry builds a MissingDataRegression")
    }
    return (m, s)
  }

  /// Each chunk's statistics and log-likelihood (statistics count + 1 numbers per chunk).
  func chunkStatistics(_ model: MissingDataRegression, data: DataSet,
                       at parameters: MissingDataRegression.Parameters) throws -> [[Double]] {
    let prepared = try model.prepare(parameters)
    return model.chunks(of: data).map { rows in
      var statistics = [Double](repeating: 0, count: model.statisticsCount)
      var scratch = [Double](repeating: 0, count: model.scratchCount(rows: rows.count))
      let logLikelihood = statistics.withUnsafeMutableBufferPointer { s in
        scratch.withUnsafeMutableBufferPointer { model.expectation(rows: rows, of: data, given: prepared, statistics: s, scratch: $0) }
      }
      return statistics + [logLikelihood]
    }
  }

  /// The largest difference between two lists of chunk results, relative to each chunk's largest entry.
  func largestRelativeDifference(_ a: [[Double]], _ b: [[Double]]) -> Double {
    zip(a, b).map { x, y in
      let scale = x.map(abs).max() ?? 1
      return zip(x, y).map { abs($0 - $1) / scale }.max() ?? 0
    }.max() ?? 0
  }

  @Test func cachedMomentsGiveTheStatisticsOfThePassOverTheRows() throws {
    let (m, s) = try regression(spec3)
    // 40 000 rows: two full chunks of 16 384 and a short one, 15 patterns of 4 coordinates.
    let data = try m.sampleData(spec: s, count: 40_000, seed: 11)
    #expect(data.hasMissing)
    let plain = m.model, cached = m.model.adapted(to: data)
    guard let start = try m.specParameters(s) else { preconditionFailure("the spec has parameters") }
    var far = start
    // The mean far from the data (10 standard deviations off): the moments' shift is large.
    for a in far.mean.indices { far.mean[a] += 10 * far.covariance[a * 4 + a].squareRoot() }
    var scaled = start
    for e in scaled.covariance.indices { scaled.covariance[e] *= 3 }
    for parameters in [start, far, scaled] {
      let byRows = try chunkStatistics(plain, data: data, at: parameters)
      let first = try chunkStatistics(cached, data: data, at: parameters)
      let again = try chunkStatistics(cached, data: data, at: parameters)
      #expect(byRows.count == 3)
      #expect(largestRelativeDifference(byRows, first) < 1e-13)
      #expect(first == again)
    }
  }

  @Test func momentsBelongToTheDataTheyWereMadeFor() throws {
    let (m, s) = try regression(spec3)
    let a = try m.sampleData(spec: s, count: 3000, seed: 1)
    let b = try m.sampleData(spec: s, count: 3000, seed: 2)
    guard let start = try m.specParameters(s) else { preconditionFailure("the spec has parameters") }
    let cached = m.model.adapted(to: a)
    _ = try chunkStatistics(cached, data: a, at: start)
    // Same shape, other values: the E step runs over b's rows, not a's moments.
    let onB = try chunkStatistics(cached, data: b, at: start)
    #expect(onB == (try chunkStatistics(m.model, data: b, at: start)))
    #expect(largestRelativeDifference(onB, try chunkStatistics(cached, data: a, at: start)) > 1e-3)
  }

  @Test func fitsAreTheSameForAnyThreadCount() throws {
    let (m, s) = try regression(spec3)
    let data = try m.sampleData(spec: s, count: 40_000, seed: 3)
    let one = try m.fitReport(spec: s, data: data, options: options(restarts: 1, threads: 1)).result
    let three = try m.fitReport(spec: s, data: data, options: options(restarts: 1, threads: 3)).result
    #expect(one["parameters"] == three["parameters"])
    #expect(one["trace"] == three["trace"])
  }

  @Test func poissonConstantUsesGSLsLogFactorial() {
    let family = PoissonFamily(components: 1, dimension: 1)
    for v in 0...200 {
      let data = DataSet(source: "t", columns: ["x"], values: [Double(v)])
      let constant = family.constantLogLikelihood(of: data)
      // reference 1: v log 1 − 1 − log v!, with log v! from GSL (`emz_lnfact`) row by row.
      #expect(constant == family.constantLogLikelihoods(of: data)[0])
      #expect(constant.isApproximatelyEqual(to: -1 - lgamma(Double(v) + 1), relativeTolerance: 1e-14))
    }
  }
}
