import Foundation
import Testing
import EMZooCore

/// A model written against `EMZooCore` alone (no families, no JSON): a two-component mixture
/// of unit-variance normals on the line with unknown weight w and means μ₀, μ₁. Its EM is the
/// textbook one, so every number here is checked against formulas evaluated separately.
struct TwoNormals: EMModel {
  struct Parameters: Sendable, Equatable { var w: Double; var mu: (Double, Double)
    static func == (a: Self, b: Self) -> Bool { a.w == b.w && a.mu == b.mu } }
  typealias Prepared = Parameters

  /// Set to break the M step on purpose (the engine must catch the decrease).
  var brokenMStep = false

  var statisticsCount: Int { 4 }  // Σr₀, Σr₀x, Σr₁, Σr₁x
  func scratchCount(rows: Int) -> Int { 0 }
  func prepare(_ p: Parameters) throws -> Parameters { p }

  static func logDensity(_ x: Double, _ mu: Double) -> Double { -0.5 * log(2 * .pi) - 0.5 * (x - mu) * (x - mu) }

  func expectation(rows: Range<Int>, of data: DataSet, given p: Parameters,
                   statistics s: UnsafeMutableBufferPointer<Double>,
                   scratch: UnsafeMutableBufferPointer<Double>) -> Double {
    var ll = 0.0
    for i in rows {
      let x = data[i, 0]
      let a = log(p.w) + Self.logDensity(x, p.mu.0), b = log(1 - p.w) + Self.logDensity(x, p.mu.1)
      let m = max(a, b), total = m + log(exp(a - m) + exp(b - m))
      let r0 = exp(a - total), r1 = 1 - r0
      s[0] += r0; s[1] += r0 * x; s[2] += r1; s[3] += r1 * x
      ll += total
    }
    return ll
  }

  func maximization(_ s: [Double], previous: Parameters, prepared: Parameters,
                    data: DataSet) -> (Parameters, repair: String?) {
    let w = s[0] / (s[0] + s[2])
    let next = Parameters(w: w, mu: (s[1] / s[0], s[3] / s[2]))
    // Broken on purpose: the means swapped but not the weight, which lowers the likelihood.
    if brokenMStep { return (Parameters(w: w, mu: (next.mu.1, next.mu.0)), nil) }
    return (next, nil)
  }

  func initialParameters(for data: DataSet, method: InitMethod, random: RandomSource) throws -> Parameters {
    let a = data[random.integer(below: data.rows), 0], b = data[random.integer(below: data.rows), 0]
    return Parameters(w: 0.5, mu: (min(a, b) - 0.1, max(a, b) + 0.1))
  }

  func parameterCount(dimension: Int) -> Int { 3 }

  func coordinates(_ p: Parameters) -> [Double]? { [log(p.w / (1 - p.w)), p.mu.0, p.mu.1] }
  func parameters(fromCoordinates c: [Double], like p: Parameters) -> Parameters? {
    guard c.allSatisfy(\.isFinite) else { return nil }
    return Parameters(w: 1 / (1 + exp(-c[0])), mu: (c[1], c[2]))
  }
  func coordinateBlocks(_ p: Parameters) -> [CoordinateBlock] {
    [CoordinateBlock(name: "weights", range: 0..<1, transform: .logRatio),
     CoordinateBlock(name: "means", range: 1..<3, transform: .identity)]
  }
}

/// 5000 draws: weight 0.3 at −2, 0.7 at +1.5 (overlapping enough that EM needs many steps).
func toyData(rows n: Int = 5000) -> DataSet {
  let random = RandomSource(seed: 11)
  let values = (0..<n).map { _ in random.uniform() < 0.3 ? -2 + random.gaussian() : 1.5 + random.gaussian() }
  return DataSet(source: "toy", columns: ["x"], values: values)
}

/// The observed-data log-likelihood summed directly, in one loop (no chunks, no threads).
func directLogLikelihood(_ data: DataSet, _ p: TwoNormals.Parameters) -> Double {
  (0..<data.rows).reduce(0.0) { sum, i in
    let x = data[i, 0]
    return sum + log(p.w * exp(TwoNormals.logDensity(x, p.mu.0)) + (1 - p.w) * exp(TwoNormals.logDensity(x, p.mu.1)))
  }
}

@Suite struct ToyModelTests {
  let data = toyData()

  @Test func theEngineFitsAModelWrittenAgainstTheCoreAlone() throws {
    let options = FitOptions(tolerance: 1e-12, initialization: .random, threads: 1, acceleration: .none)
    let fit = try EMEngine.fit(TwoNormals(), to: data, options: options)
    let p = fit.parameters
    // Stationarity of the likelihood, checked with an independent central difference of the
    // directly summed log-likelihood in each parameter.
    let h = 1e-5
    func ll(_ q: TwoNormals.Parameters) -> Double { directLogLikelihood(data, q) }
    let dw = (ll(.init(w: p.w + h, mu: p.mu)) - ll(.init(w: p.w - h, mu: p.mu))) / (2 * h)
    let d0 = (ll(.init(w: p.w, mu: (p.mu.0 + h, p.mu.1))) - ll(.init(w: p.w, mu: (p.mu.0 - h, p.mu.1)))) / (2 * h)
    let d1 = (ll(.init(w: p.w, mu: (p.mu.0, p.mu.1 + h))) - ll(.init(w: p.w, mu: (p.mu.0, p.mu.1 - h)))) / (2 * h)
    // (The curvature is about n/(w(1−w)) ≈ 2·10⁴ in w: a gradient of 1e-2 is a step of 5e-7.)
    #expect(fit.converged)
    #expect(abs(dw) < 1e-2 && abs(d0) < 1e-2 && abs(d1) < 1e-2, "gradient (\(dw), \(d0), \(d1))")
    #expect(abs(fit.logLikelihood - ll(p)) < 1e-9 * abs(fit.logLikelihood))
    #expect(abs(p.w - 0.3) < 0.03 && abs(p.mu.0 + 2) < 0.1 && abs(p.mu.1 - 1.5) < 0.1)
    // The trace never decreases.
    for (a, b) in zip(fit.trace, fit.trace.dropFirst()) { #expect(b >= a - 1e-9 * abs(a)) }
  }

  @Test func resultsAreBitIdenticalAcrossThreadCounts() throws {
    var results: [TwoNormals.Parameters] = []
    for threads in [1, 2, 3] {
      let options = FitOptions(initialization: .random, threads: threads)
      results.append(try EMEngine.fit(TwoNormals(), to: data, options: options).parameters)
    }
    #expect(results[0] == results[1] && results[1] == results[2])
  }

  @Test func squaremReachesThePlainOptimumWithFewerESteps() throws {
    let plain = try EMEngine.fit(TwoNormals(), to: data, options: FitOptions(
      tolerance: 1e-12, restarts: 1, initialization: .random, threads: 1, acceleration: .none))
    let fast = try EMEngine.fit(TwoNormals(), to: data, options: FitOptions(
      tolerance: 1e-12, restarts: 1, initialization: .random, threads: 1, acceleration: .squarem))
    #expect(abs(plain.logLikelihood - fast.logLikelihood) < 1e-8 * abs(plain.logLikelihood))
    #expect(fast.evaluations <= plain.evaluations)
  }

  /// Short-EM on large data (the work budget buys fewer than `shortRuns` short runs): short
  /// runs stop after `shortIterations` E steps, two kept runs that agree are enough, and every
  /// kept run still reruns alone, bit for bit, from its `init` and `seed`.
  @Test func shortEMOnLargeDataKeepsTwoRunsThatRerunAlone() throws {
    let large = toyData(rows: 100_000)
    let options = FitOptions(threads: 2)  // the defaults: short-EM, SQUAREM, 3 restarts
    // 100 000 rows × 4 statistics × 10 iterations = 4·10⁶ per run: 2·10⁷ buys 5 < 6 runs.
    #expect(EMEngine.isLarge(rows: large.rows, statistics: 4, options: options))
    #expect(!EMEngine.isLarge(rows: 5000, statistics: 4, options: options))
    let fit = try EMEngine.fit(TwoNormals(), to: large, options: options)
    #expect(fit.shortRuns == 6)
    #expect(fit.restarts.count == 2 && fit.restartsAtBest == 2)
    for restart in fit.restarts {
      let method = try #require(restart.initialization)
      let alone = try EMEngine.fit(TwoNormals(), to: large, options: FitOptions(
        restarts: 1, seed: restart.seed, initialization: method, threads: 1))
      #expect(alone.logLikelihood == restart.logLikelihood)
      // (A kept run re-evaluates its short run's end point when it carries on: one E step more.)
      #expect(alone.iterations == restart.iterations)
      #expect((0...1).contains(restart.evaluations - alone.evaluations))
    }
  }

  /// Starts run at once when the E step has few chunks a thread (`concurrentStarts`), and
  /// the fit is the same, bit for bit, as one start at a time: the short runs, the kept runs
  /// (the ones continued ahead of the rule and then dropped included) and the restarts.
  @Test func startsRunAtOnceWithTheBitsOfOneAtATime() throws {
    #expect(EMEngine.concurrentStarts(chunks: 3, threads: 2, processes: 1) == 2)
    #expect(EMEngine.concurrentStarts(chunks: 3, threads: 1, processes: 1) == 1)
    #expect(EMEngine.concurrentStarts(chunks: 3, threads: 2, processes: 2) == 1)
    #expect(EMEngine.concurrentStarts(chunks: 100, threads: 2, processes: 1) == 1)

    // 5000 rows: 3 chunks, so 2 and 3 threads run starts at once; 1 thread runs them in turn.
    for options in [FitOptions(), FitOptions(restarts: 4, initialization: .random),
                    FitOptions(restarts: 1, shortRuns: 5, maxShortRuns: 5)] {
      var fits: [FitOutcome<TwoNormals.Parameters>] = []
      for threads in [1, 2, 3] {
        var threaded = options
        threaded.threads = threads
        fits.append(try EMEngine.fit(TwoNormals(), to: data, options: threaded))
      }
      for fit in fits.dropFirst() {
        #expect(fit.parameters == fits[0].parameters && fit.trace == fits[0].trace)
        #expect(fit.bestRestart == fits[0].bestRestart && fit.restartsAtBest == fits[0].restartsAtBest)
        #expect(fit.shortRuns == fits[0].shortRuns)
        #expect(fit.restarts.map(\.seed) == fits[0].restarts.map(\.seed))
        #expect(fit.restarts.map(\.logLikelihood) == fits[0].restarts.map(\.logLikelihood))
        #expect(fit.restarts.map(\.evaluations) == fits[0].restarts.map(\.evaluations))
        #expect(fit.restarts.map(\.trace) == fits[0].restarts.map(\.trace))
      }
    }
  }

  @Test func theMonotoneGuardCatchesABrokenMStep() throws {
    let options = FitOptions(restarts: 1, initialization: .random, threads: 1, acceleration: .none)
    #expect(throws: MonotonicityViolation.self) {
      _ = try EMEngine.fit(TwoNormals(brokenMStep: true), to: data, options: options)
    }
  }
}
