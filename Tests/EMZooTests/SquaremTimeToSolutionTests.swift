import Foundation
import Testing

@testable import EMZoo

/// The result's `evaluationTrace` and SQUAREM's cost to reach the optimum (bench/tts.py).
@Suite struct SquaremTimeToSolutionTests {
  func fit(_ text: String, data: DataSet? = nil, sample: Int = 0, acceleration: Acceleration,
           tolerance: Double = 1e-13, maxIterations: Int = 100_000) throws -> FitReport {
    let s = try spec(text)
    let m = try model(s, dimension: data?.dimension)
    let rows = try data ?? m.sampleData(spec: s, count: sample, seed: 7)
    var o = options(restarts: 1, maxIterations: maxIterations, tolerance: tolerance, initialization: .spec)
    o.acceleration = acceleration
    return try m.fitReport(spec: s, data: rows, options: o)
  }

  func evaluationTrace(_ report: FitReport) -> [Int] {
    (report.result["evaluationTrace"]?.flatNumbers ?? []).map { Int($0) }
  }

  /// E steps to the first accepted iterate within `gap`·|ℓ*| of ℓ*.
  func stepsToSolution(_ report: FitReport, best: Double, gap: Double = 1e-8) -> Int? {
    let trace = report.result["trace"]?.flatNumbers ?? []
    guard let i = trace.firstIndex(where: { $0 >= best - gap * abs(best) }) else { return nil }
    return evaluationTrace(report)[i]
  }

  /// Element k − 1 of the evaluation trace is the E-step count of the same fit stopped after
  /// k iterations, counted by that separate run's own `evaluations`.
  @Test func evaluationTraceIsTheCountOfTheFitStoppedThere() throws {
    let full = try fit(SquaremTests.deathsSpec, data: SquaremTests.deaths, acceleration: .squarem)
    let steps = evaluationTrace(full)
    #expect(steps.count == full.iterations)
    #expect(steps.last == full.evaluations)
    for k in 1...min(full.iterations, 40) {
      let stopped = try fit(SquaremTests.deathsSpec, data: SquaremTests.deaths, acceleration: .squarem,
                            tolerance: 0, maxIterations: k)
      #expect(stopped.evaluations == steps[k - 1], "iteration \(k)")
    }
    // Plain EM: one E step per iteration after the start's own.
    let plain = try fit(SquaremTests.deathsSpec, data: SquaremTests.deaths, acceleration: .none)
    #expect(evaluationTrace(plain) == Array(2...(plain.iterations + 1)))
  }

  /// SQUAREM never needs more E steps than plain EM to come within 1e-8 of the optimum, from
  /// fast fits (well-separated clusters, where it runs plain EM steps) to slow ones (3× fewer
  /// on Hasselblad's deaths).
  @Test func squaremNeverNeedsMoreEStepsThanPlainEM() throws {
    let cases: [(String, DataSet?, Int)] = [
      (SquaremTests.deathsSpec, SquaremTests.deaths, 0),
      (try String(contentsOf: repositoryRoot.appendingPathComponent("models/gaussian-2d-full.json"), encoding: .utf8), nil, 5000),
      (try String(contentsOf: repositoryRoot.appendingPathComponent("models/poisson-4d.json"), encoding: .utf8), nil, 5000),
      (try String(contentsOf: repositoryRoot.appendingPathComponent("models/hmm-casino.json"), encoding: .utf8), nil, 5000),
    ]
    for (index, (text, data, n)) in cases.enumerated() {
      let plain = try fit(text, data: data, sample: n, acceleration: .none)
      let fast = try fit(text, data: data, sample: n, acceleration: .squarem)
      let best = max(plain.logLikelihood, fast.logLikelihood)
      let a = stepsToSolution(plain, best: best), b = stepsToSolution(fast, best: best)
      #expect(a != nil && b != nil, "case \(index)")
      if let a, let b {
        #expect(b <= a, "case \(index): SQUAREM \(b) E steps, plain EM \(a)")
        if index == 0 { #expect(3 * b <= a, "Hasselblad: SQUAREM \(b) E steps, plain EM \(a)") }
      }
    }
  }
}
