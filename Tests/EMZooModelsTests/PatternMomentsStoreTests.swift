import Foundation
import Testing
import EMZooCore
@testable import EMZooModels

/// Missing-data regression keeps its pattern moments for the data it was adapted to, and only
/// for them (the statistics themselves are compared with the pass over the rows in
/// EMZooTests/PatternMomentsTests).
@Suite struct PatternMomentsStoreTests {
  /// 40 000 rows of (x1, x2, y) with about a quarter of the entries missing (never a whole row).
  let data: DataSet = {
    let random = RandomSource(seed: 9)
    var values: [Double] = []
    for _ in 0..<40_000 {
      let x1 = random.gaussian(), x2 = 0.5 * x1 + random.gaussian()
      var row = [x1, x2, 1 + 2 * x1 - x2 + 0.3 * random.gaussian()]
      let keep = Int(random.uniform() * 3)
      for j in 0..<3 where j != keep && random.uniform() < 0.35 { row[j] = .nan }
      values += row
    }
    return DataSet(source: "rows", columns: ["x1", "x2", "y"], values: values)
  }()

  let parameters = MissingDataRegression.Parameters(
    mean: [0, 0, 1], covariance: [1, 0.5, 1.5, 0.5, 1.25, -0.25, 1.5, -0.25, 3.34])

  func eStep(_ model: MissingDataRegression, on data: DataSet) throws -> [[Double]] {
    let prepared = try model.prepare(parameters)
    return model.chunks(of: data).map { rows in
      var statistics = [Double](repeating: 0, count: model.statisticsCount)
      var scratch = [Double](repeating: 0, count: model.scratchCount(rows: rows.count))
      let value = statistics.withUnsafeMutableBufferPointer { s in
        scratch.withUnsafeMutableBufferPointer { model.expectation(rows: rows, of: data, given: prepared, statistics: s, scratch: $0) }
      }
      return statistics + [value]
    }
  }

  @Test func theStoreFillsOnTheFirstEStepAndServesTheNext() throws {
    let plain = MissingDataRegression(covariates: 2, response: "y")
    #expect(plain.patternMoments == nil)
    let adapted = plain.adapted(to: data)
    let store = try #require(adapted.patternMoments)
    #expect(store.chunkCount == 0)
    let first = try eStep(adapted, on: data)
    #expect(store.chunkCount == 3)
    #expect(try eStep(adapted, on: data) == first)
    // Another data set of the same shape is not served from the store.
    var other = data
    other.values = DataValues(data.values.array.map { $0.isNaN ? $0 : $0 + 1 })
    #expect(!store.matches(other))
    #expect(try eStep(adapted, on: other) == (try eStep(plain, on: other)))
    #expect(store.chunkCount == 3)
  }
}
