import Foundation
import Numerics
import Testing

@testable import EMZoo

@Suite struct PoissonBernoulliTests {
  func number(_ v: JSONValue?, _ path: [Int]) -> Double? {
    var current = v
    for i in path {
      guard case .array(let items)? = current, i < items.count else { return nil }
      current = items[i]
    }
    if case .number(let x)? = current { return x }
    return nil
  }

  @Test func sharedChecks() throws {
    try checkEMModel("""
      { "model": "poisson-mixture", "options": { "components": 2 },
        "parameters": { "weights": [0.5, 0.5], "rates": [[2, 9], [12, 1]] } }
      """)
    try checkEMModel("""
      { "model": "bernoulli-mixture", "options": { "components": 2 },
        "parameters": { "weights": [0.3, 0.7], "probabilities": [[0.9, 0.9, 0.1, 0.2], [0.1, 0.2, 0.8, 0.7]] } }
      """)
  }

  @Test func poissonMapRateIsThePosteriorMode() throws {
    // One component with a Gamma(a, b) prior: λ = (Σx + a − 1) / (n + b).
    let s = try spec("""
      { "model": "poisson-mixture", "options": { "components": 1 },
        "prior": { "rates": { "shape": 3, "rate": 0.5 } } }
      """)
    let data = DataSet(source: "t", columns: ["c"], values: [0, 4, 7, 2, 1])
    let report = try model(s, dimension: 1).fitReport(spec: s, data: data, options: options(restarts: 1))
    let rate = number(report.result["parameters"]?["rates"], [0, 0])
    #expect(rate?.isApproximatelyEqual(to: (14 + 3 - 1) / (5 + 0.5), relativeTolerance: 1e-12) == true)
    // log-posterior = log-likelihood + log Gamma(λ | 3, 0.5).
    let lambda = rate ?? 0
    let logPrior = 3 * log(0.5) - lgamma(3.0) + 2 * log(lambda) - 0.5 * lambda
    #expect(report.logPosterior?.isApproximatelyEqual(to: report.logLikelihood + logPrior, relativeTolerance: 1e-12) == true)
  }

  @Test func bernoulliMapProbabilityIsThePosteriorMode() throws {
    // One component with a Beta(a, b) prior: p = (Σx + a − 1) / (n + a + b − 2).
    let s = try spec("""
      { "model": "bernoulli-mixture", "options": { "components": 1 },
        "prior": { "probabilities": { "a": 2, "b": 3 } } }
      """)
    let data = DataSet(source: "t", columns: ["a", "b"], values: [1, 0, 1, 0, 1, 0, 0, 0])
    let report = try model(s, dimension: 2).fitReport(spec: s, data: data, options: options(restarts: 1))
    let p0 = number(report.result["parameters"]?["probabilities"], [0, 0])
    let p1 = number(report.result["parameters"]?["probabilities"], [0, 1])
    #expect(p0?.isApproximatelyEqual(to: (3 + 1) / (4 + 3.0), relativeTolerance: 1e-12) == true)
    #expect(p1?.isApproximatelyEqual(to: (0 + 1) / (4 + 3.0), relativeTolerance: 1e-12) == true)
  }

  @Test func dirichletWeightsMatchThePosteriorMode() throws {
    // Two clusters 1000 apart: responsibilities are exactly 0 or 1, so the MAP weights are
    // (nₖ + α − 1) / (n + K(α − 1)) with n₀ = 3, n₁ = 5.
    let s = try spec("""
      { "model": "poisson-mixture", "options": { "components": 2 },
        "prior": { "weights": { "dirichlet": 3 } } }
      """)
    let data = DataSet(source: "t", columns: ["c"], values: [1, 2, 1, 1000, 1010, 990, 1003, 1001])
    let report = try model(s, dimension: 1).fitReport(spec: s, data: data, options: options(restarts: 1))
    guard case .array(let w)? = report.result["parameters"]?["weights"],
          case .number(let w0) = w[0], case .number(let w1) = w[1] else { Issue.record("no weights"); return }
    let small = min(w0, w1), large = max(w0, w1)
    #expect(small.isApproximatelyEqual(to: (3 + 2) / (8 + 4.0), relativeTolerance: 1e-9))
    #expect(large.isApproximatelyEqual(to: (5 + 2) / (8 + 4.0), relativeTolerance: 1e-9))
  }

  @Test func missingColumnEqualsTheColumnDropped() throws {
    // A column that is entirely missing is marginalised out: the fit equals the fit on the
    // data without it.
    let s3 = try spec("""
      { "model": "poisson-mixture", "options": { "components": 2 },
        "parameters": { "weights": [0.5, 0.5], "rates": [[2, 9, 4], [12, 1, 4]] } }
      """)
    let full = try model(s3).sampleData(spec: s3, count: 1000, seed: 2)
    var withMissing = full
    var dropped: [Double] = []
    for i in 0..<full.rows {
      withMissing.values[i * 3 + 2] = .nan
      dropped += [full[i, 0], full[i, 1]]
    }
    let s2 = try spec(#"{ "model": "poisson-mixture", "options": { "components": 2 } }"#)
    let a = try model(s2, dimension: 3).fitReport(spec: s2, data: withMissing, options: options())
    let b = try model(s2, dimension: 2).fitReport(
      spec: s2, data: DataSet(source: "t", columns: ["a", "b"], values: dropped), options: options())
    #expect(a.logLikelihood.isApproximatelyEqual(to: b.logLikelihood, relativeTolerance: 1e-12))
    for k in 0..<2 {
      for j in 0..<2 {
        let x = number(a.result["parameters"]?["rates"], [k, j]) ?? .nan
        let y = number(b.result["parameters"]?["rates"], [k, j]) ?? .nan
        #expect(x.isApproximatelyEqual(to: y, relativeTolerance: 1e-9))
      }
    }
  }

  @Test func partlyMissingRowsMarginaliseInTheLikelihood() throws {
    // log p(x₀, ·) = log Σₖ wₖ Pois(x₀ | λₖ₀) for a row whose second entry is missing.
    let s = try spec("""
      { "model": "poisson-mixture", "options": { "components": 2 },
        "parameters": { "weights": [0.25, 0.75], "rates": [[2, 9], [6, 1]] } }
      """)
    let data = DataSet(source: "t", columns: ["a", "b"], values: [3, .nan])
    let ours = try model(s).logLikelihood(spec: s, data: data)
    func pois(_ x: Double, _ l: Double) -> Double { exp(x * log(l) - l - lgamma(x + 1)) }
    #expect(ours.isApproximatelyEqual(to: log(0.25 * pois(3, 2) + 0.75 * pois(3, 6)), relativeTolerance: 1e-13))
  }

  @Test func badCountsAndBitsAreRejected() throws {
    let p = try spec(#"{ "model": "poisson-mixture", "options": { "components": 1 } }"#)
    let counts = try CSVReader.parse(text: "a,b\n1,2\n3,2.5\n", source: "c.csv")
    #expect(throws: InputError.self) { try model(p, dimension: 2).validate(counts) }
    do { try model(p, dimension: 2).validate(counts) } catch let e as InputError {
      #expect(e.message == "c.csv: line 3, column 'b': expected a non-negative integer count, found 2.5")
    }
    let b = try spec(#"{ "model": "bernoulli-mixture", "options": { "components": 1 } }"#)
    let bits = try CSVReader.parse(text: "a\n1\n0\n2\n", source: "b.csv")
    do { try model(b, dimension: 1).validate(bits); Issue.record("accepted a 2") } catch let e as InputError {
      #expect(e.message == "b.csv: line 4, column 'a': expected 0 or 1, found 2")
    }
  }
}
