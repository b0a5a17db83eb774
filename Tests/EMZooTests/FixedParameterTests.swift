import Foundation
import Numerics
import Testing

@testable import EMZoo

@Suite struct FixedParameterTests {
  func fitted(_ text: String, n: Int = 3000) throws -> (FitReport, FitReport) {
    let s = try spec(text)
    let m = try model(s)
    let data = try m.sampleData(spec: s, count: n, seed: 5)
    // The same spec without fit.fixed, for the parameter count.
    let free = try spec(text.replacingOccurrences(of: #""fixed": \["[a-z]+"\]"#, with: #""fixed": []"#,
                                                  options: .regularExpression))
    return (try m.fitReport(spec: s, data: data, options: options()),
            try model(free).fitReport(spec: free, data: data, options: options()))
  }

  @Test func hmmWithFixedTransitionKeepsIt() throws {
    let (held, free) = try fitted("""
      { "model": "hmm", "options": { "states": 2, "emission": "poisson" }, "fit": { "fixed": ["transition"] },
        "parameters": { "initial": [0.5, 0.5], "transition": [[0.8, 0.2], [0.3, 0.7]], "rates": [[2], [9]] } }
      """)
    let transition = held.result["parameters"]?["transition"]?.flatNumbers ?? []
    for (a, b) in zip(transition, [0.8, 0.2, 0.3, 0.7]) { #expect(abs(a - b) <= 1e-12) }
    // The rest is fitted: rates near the truth.
    let rates = (held.result["parameters"]?["rates"]?.flatNumbers ?? []).sorted()
    #expect(abs(rates[0] - 2) < 0.3 && abs(rates[1] - 9) < 0.5)
    // Two transition coordinates fewer.
    #expect(held.result["parameterCount"] == .number((free.result["parameterCount"]?.flatNumbers.first ?? 0) - 2))
  }

  @Test func gmmWithFixedWeights() throws {
    let (held, free) = try fitted("""
      { "model": "gaussian-mixture", "options": { "components": 2 }, "fit": { "fixed": ["weights"] },
        "parameters": { "weights": [0.25, 0.75], "means": [[0, 0], [3, 3]],
                        "covariances": [[[1, 0], [0, 1]], [[1, 0.3], [0.3, 1]]] } }
      """)
    let weights = held.result["parameters"]?["weights"]?.flatNumbers ?? []
    #expect(weights.count == 2 && abs(weights[0] - 0.25) <= 1e-12 && abs(weights[1] - 0.75) <= 1e-12)
    #expect(held.result["parameterCount"] == .number((free.result["parameterCount"]?.flatNumbers.first ?? 0) - 1))
  }

  /// Fixed means: the covariances are updated about them, and EM stays monotone (the engine's
  /// guard would throw otherwise).
  @Test func gmmWithFixedMeansStaysMonotone() throws {
    let (held, _) = try fitted("""
      { "model": "gaussian-mixture", "options": { "components": 2 }, "fit": { "fixed": ["means"], "accelerate": "none" },
        "parameters": { "weights": [0.4, 0.6], "means": [[0.5, 0], [3, 2.5]],
                        "covariances": [[[1, 0], [0, 1]], [[1, 0.3], [0.3, 1]]] } }
      """)
    #expect(held.result["parameters"]?["means"]?.flatNumbers == [0.5, 0, 3, 2.5])
    let trace = held.result["trace"]?.flatNumbers ?? []
    for (a, b) in zip(trace, trace.dropFirst()) { #expect(b >= a - 1e-9 * abs(a)) }
  }

  @Test func badNamesAreInputErrors() throws {
    let s = try spec("""
      { "model": "poisson-mixture", "options": { "components": 2 }, "fit": { "fixed": ["rate"] },
        "parameters": { "weights": [0.5, 0.5], "rates": [[1], [5]] } }
      """)
    let data = try model(s).sampleData(spec: s, count: 100, seed: 1)
    #expect {
      try model(s).fitReport(spec: s, data: data, options: options())
    } throws: { "\($0)".contains("expected one of weights, rates") }
  }
}
