import Foundation
import Numerics
import Testing

@testable import EMZoo

/// Degenerate data is fitted (or refused with a clear error), never crashed on.
@Suite struct DegenerateFitTests {
  func fit(_ specText: String, csv: String, restarts: Int = 2, initialization: InitMethod = .kmeansPlusPlus) throws -> FitReport {
    let s = try spec(specText)
    let data = try CSVReader.parse(text: csv, source: "d.csv")
    return try model(s, dimension: data.dimension).fitReport(
      spec: s, data: data, options: options(restarts: restarts, initialization: initialization))
  }

  static func rows(_ n: Int, seed: UInt64, _ row: (RandomSource) -> String) -> String {
    let random = RandomSource(seed: seed)
    return (0..<n).map { _ in row(random) }.joined(separator: "\n") + "\n"
  }

  @Test func aComponentCollapsingOntoOnePointKeepsAPositiveDefiniteCovariance() throws {
    // 50 identical rows and 300 scattered ones: one component sits on the point, its
    // covariance held at the floor (1e-6 on the diagonal).
    let csv = "a,b\n" + Self.rows(300, seed: 1) { "\($0.gaussian()),\($0.gaussian())" }
      + String(repeating: "7,7\n", count: 50)
    let report = try fit(#"{ "model": "gaussian-mixture", "options": { "components": 2 } }"#, csv: csv)
    #expect(report.logLikelihood.isFinite && report.converged)
    let covariances = PropertyTests.numbers(report.result["parameters"]?["covariances"])
    #expect(covariances.contains { $0 == 1e-6 })
  }

  @Test func aConstantColumnIsFitted() throws {
    let csv = "a,b\n" + Self.rows(300, seed: 2) { "\($0.gaussian()),5" }
    let report = try fit(#"{ "model": "gaussian-mixture", "options": { "components": 2, "covariance": "diagonal" } }"#, csv: csv)
    #expect(report.logLikelihood.isFinite)
  }

  @Test func allZeroBernoulliColumnsStayOffZero() throws {
    let csv = "a,b,c\n" + Self.rows(300, seed: 3) { "\(Int($0.bernoulli(0.5))),0,\(Int($0.bernoulli(0.3)))" }
    let report = try fit(#"{ "model": "bernoulli-mixture", "options": { "components": 2 } }"#, csv: csv)
    let p = PropertyTests.numbers(report.result["parameters"]?["probabilities"])
    #expect(report.logLikelihood.isFinite)
    #expect(p.allSatisfy { $0 >= BernoulliFamily.probabilityFloor && $0 <= 1 - BernoulliFamily.probabilityFloor })
  }

  @Test func countsOfABillionKeepTheLikelihoodAccurateAndMonotone() throws {
    // x log λ − λ − log x! is ~10¹⁰ per term before cancelling to ~10: computed directly, the
    // rounding faked a decrease of the likelihood and tripped the monotone guard.
    let csv = "c\n" + Self.rows(300, seed: 4) { r in
      String(Int(1e9 + (r.bernoulli(0.5) == 1 ? 2e5 : -2e5) + r.gaussian(sigma: 3e4)))
    }
    let report = try fit(#"{ "model": "poisson-mixture", "options": { "components": 2 } }"#, csv: csv)
    #expect(report.logLikelihood.isFinite)
    // Against the log-pmf evaluated independently with lgamma, at the fitted parameters.
    let data = try CSVReader.parse(text: csv, source: "d.csv")
    let w = PropertyTests.numbers(report.result["parameters"]?["weights"])
    let rates = PropertyTests.numbers(report.result["parameters"]?["rates"])
    var direct = 0.0
    for i in 0..<data.rows {
      let x = data[i, 0]
      // log Σₖ wₖ exp(x log λₖ − λₖ − log x!), with the log-sum-exp written out.
      var terms: [Double] = []
      for k in 0..<2 {
        let stirling: Double = lgamma(x + 1) - x * log(x) + x
        let term: Double = log(w[k]) + x * log(rates[k] / x) + x - rates[k] - stirling
        terms.append(term)
      }
      let m = max(terms[0], terms[1])
      direct += m + log(exp(terms[0] - m) + exp(terms[1] - m))
    }
    #expect(report.logLikelihood.isApproximatelyEqual(to: direct, relativeTolerance: 1e-6))
  }

  @Test func valuesNearTheFloatLimitsAreRefusedClearly() throws {
    let csv = "a,b\n1,2\n3e200,4\n5,6\n"
    do {
      _ = try fit(#"{ "model": "gaussian-mixture", "options": { "components": 1 } }"#, csv: csv)
      Issue.record("accepted 3e200")
    } catch let error as InputError {
      #expect(error.message.hasPrefix("d.csv: line 3, column 'a': expected a value of magnitude below 1e150"))
    }
    // Tiny values are fine (the covariance floor then dominates, as documented).
    let tiny = "a\n" + Self.rows(100, seed: 5) { "\($0.gaussian(sigma: 1e-300))" }
    #expect(try fit(#"{ "model": "gaussian-mixture", "options": { "components": 1 } }"#, csv: tiny).logLikelihood.isFinite)
  }

  @Test func anHMMStateNeverVisitedIsRepairedNotCrashed() throws {
    // Three states for data from one Gaussian, started with a state far away: it never gets
    // weight, is re-seeded, and the fit finishes.
    let spec3 = """
      { "model": "hmm", "options": { "states": 3, "emission": "gaussian" },
        "parameters": { "initial": [0.5, 0.49, 0.01], "transition": [[0.9, 0.09, 0.01], [0.09, 0.9, 0.01], [0.5, 0.25, 0.25]],
          "means": [[0], [1], [1000]], "covariances": [[[1]], [[1]], [[0.001]]] } }
      """
    let csv = "x\n" + Self.rows(400, seed: 6) { "\($0.gaussian())" }
    let report = try fit(spec3, csv: csv, restarts: 1, initialization: .spec)
    #expect(report.logLikelihood.isFinite)
    #expect(report.restarts[0].repairs.isEmpty == false)
    let transition = PropertyTests.numbers(report.result["parameters"]?["transition"])
    for k in 0..<3 { #expect(abs(transition[(3 * k)..<(3 * k + 3)].reduce(0, +) - 1) < 1e-12) }
  }

  @Test func samplingHugePoissonRatesFinishes() throws {
    // Found by fuzzing: GSL's Poisson sampler loops forever for rates beyond ~4.9e9; emzoo
    // switches to the normal approximation above 1e8.
    let s = try spec(#"{ "model": "poisson-mixture", "options": { "components": 1 }, "parameters": { "weights": [1], "rates": [[5e10, 1e300, 3]] } }"#)
    let data = try model(s).sampleData(spec: s, count: 1000, seed: 1)
    let first = (0..<data.rows).map { data[$0, 0] }
    let mean = first.reduce(0, +) / Double(data.rows)
    #expect(abs(mean - 5e10) < 5 * (5e10).squareRoot())  // the mean of 1000 draws: SE ≈ 7e3
    #expect(first.allSatisfy { $0 == $0.rounded() && $0 >= 0 })
    #expect((0..<data.rows).allSatisfy { data[$0, 1].isFinite && data[$0, 2] < 30 })
  }
}
