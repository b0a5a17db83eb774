import CKernels
import Foundation
import Numerics
import Testing

@testable import EMZoo

/// Brute force over all Kᵀ state paths of one sequence: the definition of every quantity the
/// forward–backward and Viterbi kernels compute.
struct PathEnumeration {
  var logLikelihood: Double
  /// γ, T×K.
  var gamma: [Double]
  /// Σₜ ξₜ, K×K.
  var xi: [Double]
  var bestPath: [Int]
  var bestLogProbability: Double

  init(T: Int, K: Int, logb: [Double], initial: [Double], transition: [Double]) {
    var count = 1
    for _ in 0..<T { count *= K }
    var paths: [[Int]] = []
    var logProbabilities: [Double] = []
    for index in 0..<count {
      var path = [Int](repeating: 0, count: T)
      var rest = index
      for t in 0..<T { path[t] = rest % K; rest /= K }
      var lp = log(initial[path[0]]) + logb[path[0]]
      for t in 1..<T { lp += log(transition[path[t - 1] * K + path[t]]) + logb[t * K + path[t]] }
      paths.append(path)
      logProbabilities.append(lp)
    }
    let top = logProbabilities.max() ?? 0
    logLikelihood = top + log(logProbabilities.reduce(0) { $0 + exp($1 - top) })
    gamma = [Double](repeating: 0, count: T * K)
    xi = [Double](repeating: 0, count: K * K)
    for (path, lp) in zip(paths, logProbabilities) {
      let w = exp(lp - logLikelihood)
      for t in 0..<T { gamma[t * K + path[t]] += w }
      for t in 1..<T { xi[path[t - 1] * K + path[t]] += w }
    }
    let best = logProbabilities.indices.max { logProbabilities[$0] < logProbabilities[$1] } ?? 0
    bestPath = paths[best]
    bestLogProbability = logProbabilities[best]
  }
}

@Suite struct HiddenMarkovModelTests {
  /// A random tiny HMM: Dirichlet initial and transition rows, and log-densities spread over
  /// hundreds of nats (row 2 sits 1000 nats down, which underflows exp without the shift).
  func tinyCase(seed: UInt64, T: Int = 5, K: Int = 3) -> (logb: [Double], initial: [Double], transition: [Double]) {
    let random = RandomSource(seed: seed)
    let ones = [Double](repeating: 1, count: K)
    let initial = random.dirichlet(ones)
    let transition = (0..<K).flatMap { _ in random.dirichlet(ones) }
    var logb = (0..<(T * K)).map { _ in -30 * random.uniform() }
    for k in 0..<K { logb[2 * K + k] -= 1000 }
    return (logb, initial, transition)
  }

  // MARK: - Kernels against brute force

  @Test(arguments: 1...10 as ClosedRange<UInt64>)
  func forwardBackwardMatchesEnumeration(seed: UInt64) {
    let T = 5, K = 3
    let (logb, initial, transition) = tinyCase(seed: seed)
    let truth = PathEnumeration(T: T, K: K, logb: logb, initial: initial, transition: transition)
    var buffer = logb
    var alpha = [Double](repeating: 0, count: T * K), scale = [Double](repeating: 0, count: T)
    var work = [Double](repeating: 0, count: 3 * K)
    // Accumulators start non-zero: the kernel must add, not overwrite.
    var initialCounts = [Double](repeating: 1, count: K), transitionCounts = [Double](repeating: 1, count: K * K)
    let logLikelihood = emz_hmm_forward_backward(
      T, K, &buffer, initial, transition, &alpha, &scale, &work, &initialCounts, &transitionCounts)
    #expect(logLikelihood.isApproximatelyEqual(to: truth.logLikelihood, relativeTolerance: 1e-12))
    for e in 0..<(T * K) {
      #expect(abs(buffer[e] - truth.gamma[e]) < 1e-12, "γ[\(e / K)][\(e % K)]")
    }
    for k in 0..<K { #expect(abs(initialCounts[k] - 1 - truth.gamma[k]) < 1e-12, "γ₀[\(k)]") }
    for e in 0..<(K * K) {
      #expect(abs(transitionCounts[e] - 1 - truth.xi[e]) < 1e-12, "Σξ[\(e / K)][\(e % K)]")
    }
  }

  @Test(arguments: 1...10 as ClosedRange<UInt64>)
  func viterbiMatchesEnumeration(seed: UInt64) {
    let T = 5, K = 3
    let (logb, initial, transition) = tinyCase(seed: seed)
    let truth = PathEnumeration(T: T, K: K, logb: logb, initial: initial, transition: transition)
    var delta = [Double](repeating: 0, count: 2 * K)
    var back = [Int32](repeating: 0, count: T * K), path = [Int32](repeating: -1, count: T)
    let best = emz_hmm_viterbi(T, K, logb, initial.map { log($0) }, transition.map { log($0) }, &delta, &back, &path)
    #expect(path.map(Int.init) == truth.bestPath)
    #expect(best.isApproximatelyEqual(to: truth.bestLogProbability, relativeTolerance: 1e-12))
  }

  @Test func forwardBackwardEdgeCases() {
    // T = 1: γ₀ ∝ π b₀, no transitions.
    var logb = [log(0.2), log(0.6)], alpha = [0.0, 0.0], scale = [0.0], work = [Double](repeating: 0, count: 6)
    var initialCounts = [0.0, 0.0], transitionCounts = [Double](repeating: 0, count: 4)
    let one = emz_hmm_forward_backward(1, 2, &logb, [0.5, 0.5], [0.5, 0.5, 0.5, 0.5], &alpha, &scale, &work,
                                       &initialCounts, &transitionCounts)
    #expect(one.isApproximatelyEqual(to: log(0.4), relativeTolerance: 1e-14))
    #expect(abs(logb[0] - 0.25) < 1e-15 && abs(logb[1] - 0.75) < 1e-15)
    #expect(transitionCounts == [0, 0, 0, 0])
    // An impossible sequence (state 1 unreachable, state 0 cannot emit x₁) is −∞, and
    // nothing is accumulated.
    var impossible = [0.0, 0.0, -.infinity, 0.0]
    var alpha2 = [Double](repeating: 0, count: 4), scale2 = [0.0, 0.0]
    let zero = emz_hmm_forward_backward(2, 2, &impossible, [1, 0], [1, 0, 0, 1], &alpha2, &scale2, &work,
                                        &initialCounts, &transitionCounts)
    #expect(zero == -.infinity)
    #expect(transitionCounts == [0, 0, 0, 0])
    // A NaN density is reported as NaN, not as an impossible sequence.
    var broken = [0.0, .nan]
    let nan = emz_hmm_forward_backward(1, 2, &broken, [0.5, 0.5], [0.5, 0.5, 0.5, 0.5], &alpha, &scale, &work,
                                       &initialCounts, &transitionCounts)
    #expect(nan.isNaN)
  }

  // MARK: - The log-likelihood is hmmlearn's

  static let gaussianSpec = """
    { "model": "hmm", "options": { "states": 2, "emission": "gaussian" }, "columns": ["a", "b"],
      "parameters": { "initial": [0.6, 0.4], "transition": [[0.7, 0.3], [0.2, 0.8]],
        "means": [[0, 0], [3, 2.5]], "covariances": [[[1, 0.2], [0.2, 0.5]], [[0.8, -0.1], [-0.1, 1.2]]] } }
    """
  static let gaussianData = """
    sequence,a,b
    s1,0.3,-0.2
    s1,1.1,0.4
    s1,2.5,2.0
    s1,2.9,3.1
    s2,-0.4,0.2
    s2,3.2,2.2
    s2,0.1,0.5
    """

  /// Reference values from hmmlearn 0.3.3 (`GaussianHMM(covariance_type="full")`,
  /// `PoissonHMM`, `CategoricalHMM` with the same parameters; `score(X, lengths)`,
  /// `predict_proba` and `predict`), i.e. log Σ_paths p(x, path) with every constant.
  @Test func logLikelihoodMatchesHmmlearn() throws {
    let gaussian = try spec(Self.gaussianSpec)
    let gaussianData = try CSVReader.parse(text: Self.gaussianData, source: "g.csv", columns: gaussian.columns)
    #expect(gaussianData.sequences == [0..<4, 4..<7])
    let g = try model(gaussian, dimension: 2)
    #expect(try g.logLikelihood(spec: gaussian, data: gaussianData)
      .isApproximatelyEqual(to: -18.502119745741332, relativeTolerance: 1e-12))

    let poisson = try spec("""
      { "model": "hmm", "options": { "states": 2, "emission": "poisson" },
        "parameters": { "initial": [0.3, 0.7], "transition": [[0.9, 0.1], [0.25, 0.75]],
          "rates": [[2.5, 0.5], [0.8, 6.0]] } }
      """)
    let counts = DataSet(source: "p.csv", columns: ["x", "y"], values: [2, 0, 3, 1, 0, 7, 1, 5, 4, 0, 2, 2])
    #expect(try model(poisson, dimension: 2).logLikelihood(spec: poisson, data: counts)
      .isApproximatelyEqual(to: -22.029322513833282, relativeTolerance: 1e-12))

    let casino = try spec(Self.casinoSpec)
    let rolls = DataSet(source: "c.csv", columns: ["face"], values: [5, 5, 0, 3, 5, 5, 5, 1, 2, 5])
    #expect(try model(casino).logLikelihood(spec: casino, data: rolls)
      .isApproximatelyEqual(to: -14.552865299402283, relativeTolerance: 1e-12))
  }

  @Test func decodingMatchesHmmlearn() throws {
    let s = try spec(Self.gaussianSpec)
    let data = try CSVReader.parse(text: Self.gaussianData, source: "g.csv", columns: s.columns)
    guard let decoded = try model(s, dimension: 2).decodedStates(spec: s, data: data) else {
      Issue.record("an hmm decodes states")
      return
    }
    // hmmlearn: predict(X, lengths) and predict_proba(X, lengths)[:, 0].
    #expect(decoded.viterbi == [0, 0, 1, 1, 0, 1, 0])
    let p0 = [0.9999636380923372, 0.9844975536070597, 0.006267709311043742, 6.597610965123288e-06,
              0.9999536062549654, 0.005233996991477694, 0.9982244997903105]
    for i in 0..<7 {
      #expect(abs(decoded.posteriors[2 * i] - p0[i]) < 1e-12)
      #expect(abs(decoded.posteriors[2 * i] + decoded.posteriors[2 * i + 1] - 1) < 1e-14)
    }
    #expect(decoded.logLikelihood.isApproximatelyEqual(to: -18.502119745741332, relativeTolerance: 1e-12))
  }

  // MARK: - Missing observations

  /// A row with nothing observed has emission likelihood 1 in every state.
  @Test func entirelyMissingRowsAreMarginalised() throws {
    let s = try spec(Self.gaussianSpec)
    let m = try model(s, dimension: 2)
    let data = try CSVReader.parse(text: "a,b\n0.3,-0.2\n,\n2.5,2.0\nNA,NaN\n", source: "m.csv")
    // Brute force with the Gaussian densities written out (2×2 inverse and determinant).
    func logNormal(_ x: [Double], _ mu: [Double], _ c: [Double]) -> Double {
      let det = c[0] * c[3] - c[1] * c[2]
      let (u, v) = (x[0] - mu[0], x[1] - mu[1])
      let q = (c[3] * u * u - 2 * c[1] * u * v + c[0] * v * v) / det
      return -log(2 * Double.pi) - 0.5 * log(det) - 0.5 * q
    }
    let means = [[0.0, 0.0], [3.0, 2.5]], covariances = [[1, 0.2, 0.2, 0.5], [0.8, -0.1, -0.1, 1.2]]
    let rows: [[Double]?] = [[0.3, -0.2], nil, [2.5, 2.0], nil]
    let logb = rows.flatMap { row in (0..<2).map { k in row.map { logNormal($0, means[k], covariances[k]) } ?? 0 } }
    let truth = PathEnumeration(T: 4, K: 2, logb: logb, initial: [0.6, 0.4], transition: [0.7, 0.3, 0.2, 0.8])
    #expect(try m.logLikelihood(spec: s, data: data).isApproximatelyEqual(to: truth.logLikelihood, relativeTolerance: 1e-12))
    // And the model still fits such data (missing rows carry no emission statistics).
    let sample = try m.sampleData(spec: s, count: 400, seed: 3)
    var values = sample.values.array
    for i in stride(from: 5, to: 400, by: 7) { values[2 * i] = .nan; values[2 * i + 1] = .nan }
    let holes = DataSet(source: "holes", columns: sample.columns, values: values)
    let report = try m.fitReport(spec: s, data: holes, options: options())
    #expect(report.logLikelihood.isFinite)
  }

  @Test func badDataIsAnInputErrorNamingLineAndColumn() throws {
    let s = try spec(Self.gaussianSpec)
    // A partly missing row is marginalised: its emission density is that of the observed
    // coordinate, N(1.0 | μₖ₀, Σₖ₀₀), here written out for the brute-force enumeration.
    let partly = try CSVReader.parse(text: "a,b\n0.3,-0.2\n1.0,\n", source: "partly.csv")
    func logNormal1(_ x: Double, _ mu: Double, _ v: Double) -> Double { -0.5 * log(2 * Double.pi * v) - (x - mu) * (x - mu) / (2 * v) }
    func logNormal2(_ x: [Double], _ mu: [Double], _ c: [Double]) -> Double {
      let det = c[0] * c[3] - c[1] * c[2]
      let (u, v) = (x[0] - mu[0], x[1] - mu[1])
      return -log(2 * Double.pi) - 0.5 * log(det) - 0.5 * (c[3] * u * u - 2 * c[1] * u * v + c[0] * v * v) / det
    }
    let means = [[0.0, 0.0], [3.0, 2.5]], covariances = [[1, 0.2, 0.2, 0.5], [0.8, -0.1, -0.1, 1.2]]
    let logb = (0..<2).map { k in logNormal2([0.3, -0.2], means[k], covariances[k]) }
      + (0..<2).map { k in logNormal1(1.0, means[k][0], covariances[k][0]) }
    let truth = PathEnumeration(T: 2, K: 2, logb: logb, initial: [0.6, 0.4], transition: [0.7, 0.3, 0.2, 0.8])
    #expect(try model(s, dimension: 2).logLikelihood(spec: s, data: partly)
      .isApproximatelyEqual(to: truth.logLikelihood, relativeTolerance: 1e-12))

    let casino = try spec(Self.casinoSpec)
    for (text, found) in [("face\n5\n6\n", "6"), ("face\n1\n2.5\n", "2.5"), ("face\n-1\n", "-1")] {
      let rolls = try CSVReader.parse(text: text, source: "rolls.csv")
      let line = (text.split(separator: "\n").firstIndex(of: Substring(found)) ?? 0) + 1
      let error = #expect(throws: InputError.self) { try model(casino).logLikelihood(spec: casino, data: rolls) }
      #expect(error?.message == "rolls.csv: line \(line), column 'face': expected a symbol, an integer in 0..5, found \(found)")
    }
  }

  @Test func specErrorsNameTheField() throws {
    let cases: [(String, String)] = [
      (#"{ "model": "hmm", "options": { "states": 2, "emission": "categorical" } }"#, "options.symbols"),
      (#"{ "model": "hmm", "options": { "states": 2, "emission": "poisson", "symbols": 3 } }"#, "options.symbols"),
      (#"{ "model": "hmm", "options": { "states": 2, "emission": "dice" } }"#, "options.emission"),
      (#"{ "model": "hmm", "options": { "states": 2, "emission": "poisson", "lenght": 3 } }"#, "options.lenght"),
      (#"{ "model": "hmm", "options": { "states": 2, "emission": "poisson" }, "prior": { "initial": { "dirichlet": 0.5 } } }"#,
       "prior.initial.dirichlet"),
    ]
    for (text, field) in cases {
      let error = #expect(throws: InputError.self) { try model(try spec(text), dimension: 1) }
      #expect(error?.message.hasPrefix("test.json: \(field):") == true, "\(String(describing: error))")
    }
    let s = try spec(#"{ "model": "hmm", "options": { "states": 2, "emission": "poisson" }, "parameters": { "initial": [0.5, 0.5], "transition": [[0.5, 0.5], [0.7, 0.4]], "rates": [[1], [2]] } }"#)
    let error = #expect(throws: InputError.self) { try model(s).specParameters(s) }
    #expect(error?.message == "test.json: parameters.transition[1]: expected probabilities summing to 1, found sum 1.1")
  }

  // MARK: - Fitting

  static let casinoSpec = """
    { "model": "hmm", "options": { "states": 2, "emission": "categorical", "symbols": 6 }, "columns": ["face"],
      "parameters": { "initial": [0.5, 0.5], "transition": [[0.95, 0.05], [0.10, 0.90]],
        "probabilities": [[0.16666666666666666, 0.16666666666666666, 0.16666666666666666,
                           0.16666666666666666, 0.16666666666666666, 0.16666666666666666],
                          [0.1, 0.1, 0.1, 0.1, 0.1, 0.5]] } }
    """

  /// Trace monotone, same seed → same bits for 1 and 2 threads, result round-trips: on
  /// sequences of 100 rows, so the E step runs over several chunks.
  @Test func sharedChecks() throws {
    try checkEMModel(Self.casinoSpec.replacingOccurrences(of: "\"symbols\": 6", with: "\"symbols\": 6, \"length\": 100"),
                     n: 10_000)
    try checkEMModel(Self.gaussianSpec.replacingOccurrences(of: "\"gaussian\" }", with: "\"gaussian\", \"length\": 100 }"),
                     n: 10_000)
    try checkEMModel("""
      { "model": "hmm", "options": { "states": 2, "emission": "poisson", "length": 100 },
        "parameters": { "initial": [0.3, 0.7], "transition": [[0.9, 0.1], [0.25, 0.75]],
          "rates": [[2.5, 0.5], [0.8, 6.0]] } }
      """, n: 10_000)
  }

  @Test func sameSeedSameBitsAcrossThreadCounts() throws {
    let s = try spec(Self.casinoSpec.replacingOccurrences(of: "\"symbols\": 6", with: "\"symbols\": 6, \"length\": 37"))
    let m = try model(s)
    let data = try m.sampleData(spec: s, count: 20_000, seed: 5)
    #expect(m.chunks(of: data).count > 4)
    let one = try m.fitReport(spec: s, data: data, options: options(restarts: 2, maxIterations: 50, threads: 1))
    let three = try m.fitReport(spec: s, data: data, options: options(restarts: 2, maxIterations: 50, threads: 3))
    let again = try m.fitReport(spec: s, data: data, options: options(restarts: 2, maxIterations: 50, threads: 1))
    #expect(one.result["parameters"] == three.result["parameters"])
    #expect(one.result["trace"] == three.result["trace"])
    #expect(one.result["parameters"] == again.result["parameters"])
    #expect(one.logLikelihood.bitPattern == three.logLikelihood.bitPattern)
  }

  @Test func chunksAreWholeSequences() throws {
    let m = try model(try spec(Self.casinoSpec))
    let lengths = [5, 3000, 1, 2047, 1, 100, 100]
    var starts = [0]
    for l in lengths { starts.append(starts.last! + l) }
    let data = DataSet(source: "t", columns: ["face"], values: [Double](repeating: 0, count: starts.last!),
                       sequences: zip(starts, starts.dropFirst()).map { $0..<$1 })
    #expect(m.chunks(of: data) == [0..<3005, 3005..<5053, 5053..<5254])
  }

  /// Sampling with n = 40 000 in sequences of 50 and fitting from random starts recovers the
  /// casino within 0.1 (the initial probabilities rest on 800 sequence starts: standard error
  /// ≈ 0.02, and the posterior of the first roll blurs them further).
  @Test func recoversTheCasinoFromSamples() throws {
    let s = try spec(Self.casinoSpec.replacingOccurrences(of: "\"symbols\": 6", with: "\"symbols\": 6, \"length\": 50"))
    let report = try model(s).check(spec: s, n: 40_000, seed: 7, options: options(restarts: 2, tolerance: 1e-9,
                                                                                 initialization: .random))
    #expect(report.passed, "\(report.entries.map { "\($0.name) \($0.error)" })")
    // Viterbi on the casino is right about 80% of the time (Durbin et al. 1998, §3.2).
    #expect((report.labelAccuracy ?? 0) > 0.75)
    #expect(report.fit.logLikelihood >= report.logLikelihoodAtTruth - 1e-6 * abs(report.logLikelihoodAtTruth))
  }

  @Test func recoversGaussianAndPoissonFromSamples() throws {
    let gaussian = try spec("""
      { "model": "hmm", "options": { "states": 3, "emission": "gaussian", "covariance": "full", "length": 50 },
        "parameters": { "initial": [0.5, 0.3, 0.2], "transition": [[0.90, 0.06, 0.04], [0.05, 0.85, 0.10], [0.08, 0.02, 0.90]],
          "means": [[0, 0], [4, 0], [1, 4]],
          "covariances": [[[1, 0], [0, 1]], [[1, 0.5], [0.5, 1.5]], [[0.5, -0.2], [-0.2, 0.8]]] } }
      """)
    let g = try model(gaussian).check(spec: gaussian, n: 30_000, seed: 7, options: options(restarts: 2))
    #expect(g.passed, "\(g.entries.map { "\($0.name) \($0.error)" })")
    #expect((g.labelAccuracy ?? 0) > 0.98)
    let poisson = try spec("""
      { "model": "hmm", "options": { "states": 2, "emission": "poisson", "length": 100 },
        "parameters": { "initial": [0.6, 0.4], "transition": [[0.95, 0.05], [0.08, 0.92]], "rates": [[2, 5], [8, 1]] } }
      """)
    let p = try model(poisson).check(spec: poisson, n: 30_000, seed: 7, options: options(restarts: 2))
    #expect(p.passed, "\(p.entries.map { "\($0.name) \($0.error)" })")
  }

  /// One sequence of 10⁶ rolls: the probability of the sequence is about e^(−1.7·10⁶), far
  /// below the smallest double, but the scaled recursion stays finite, for one E step and a fit.
  @Test func millionStepSequenceHasAFiniteLogLikelihood() throws {
    let s = try spec(Self.casinoSpec)
    let m = try model(s)
    let data = try m.sampleData(spec: s, count: 1_000_000, seed: 9)
    #expect(data.sequences == [0..<1_000_000])
    let logLikelihood = try m.logLikelihood(spec: s, data: data)
    #expect(logLikelihood.isFinite)
    // Per roll between log(1/6) = −1.79 (a fair die) and the loaded die's entropy −1.50.
    #expect(logLikelihood / 1e6 < -1.5 && logLikelihood / 1e6 > -1.8)
    let report = try m.fitReport(spec: s, data: data, options: options(restarts: 1, maxIterations: 3))
    #expect(report.logLikelihood.isFinite && report.iterations == 3)
  }

  /// Deterministic emissions make γ and ξ exact counts, so the MAP update can be checked by hand:
  /// πₖ = (starts in k + α − 1)/(S + K(α − 1)), A_ij = (n_ij + α − 1)/(n_i + K(α − 1)).
  @Test func dirichletPriorsGiveThePosteriorMode() throws {
    let s = try spec("""
      { "model": "hmm", "options": { "states": 2, "emission": "categorical", "symbols": 2 },
        "prior": { "initial": { "dirichlet": 2 }, "transition": { "dirichlet": 2 } },
        "parameters": { "initial": [0.5, 0.5], "transition": [[0.5, 0.5], [0.5, 0.5]],
          "probabilities": [[1, 0], [0, 1]] } }
      """)
    // Sequences 0 0 1 1 1 0 | 1 1 0 | 0 1: starts (2, 1); n00 = 1, n01 = 2, n10 = 2, n11 = 3.
    let data = try CSVReader.parse(text: "sequence,x\na,0\na,0\na,1\na,1\na,1\na,0\nb,1\nb,1\nb,0\nc,0\nc,1\n", source: "t.csv")
    let report = try model(s).fitReport(spec: s, data: data, options: options(restarts: 1, initialization: .spec))
    let p = try model(s).decodeParameters(Field(report.result["parameters"], path: "parameters", file: "r"))
    guard let hmm = p as? HiddenMarkovModel<CategoricalFamily>.Parameters else {
      Issue.record("categorical HMM parameters")
      return
    }
    let expectedInitial = [3.0 / 5, 2.0 / 5], expectedTransition = [2.0 / 5, 3.0 / 5, 3.0 / 7, 4.0 / 7]
    for (a, b) in zip(hmm.initial, expectedInitial) { #expect(a.isApproximatelyEqual(to: b, relativeTolerance: 1e-12)) }
    for (a, b) in zip(hmm.transition, expectedTransition) { #expect(a.isApproximatelyEqual(to: b, relativeTolerance: 1e-12)) }
    // log-posterior = log-likelihood + log Dir(π | 2, 2) + Σᵢ log Dir(Aᵢ | 2, 2), log Dir(p | 2, 2) = log 6 + Σ log pₖ.
    let logPrior = ([hmm.initial] + [Array(hmm.transition[0..<2]), Array(hmm.transition[2..<4])])
      .reduce(0.0) { $0 + log(6) + $1.reduce(0) { $0 + log($1) } }
    #expect(report.logPosterior?.isApproximatelyEqual(to: report.logLikelihood + logPrior, relativeTolerance: 1e-12) == true)
  }

  // MARK: - Sampling and the CLI

  @Test func samplingWritesSequencesAndTheStatePath() throws {
    let s = try spec(Self.casinoSpec.replacingOccurrences(of: "\"symbols\": 6", with: "\"symbols\": 6, \"length\": 4"))
    let data = try model(s).sampleData(spec: s, count: 10, seed: 1)
    #expect(data.sequences == [0..<4, 4..<8, 8..<10])
    #expect(data.latent?.count == 10)
    let lines = data.csv().split(separator: "\n")
    #expect(lines.first == "sequence,face,latent")
    #expect(lines.dropFirst().map { $0.split(separator: ",")[0] } == ["0", "0", "0", "0", "1", "1", "1", "1", "2", "2"])
    // The CSV reads back into the same sequences.
    let back = try CSVReader.parse(text: data.csv(), source: "back.csv")
    #expect(back.sequences == data.sequences && back.latent == data.latent)
  }

  @Test func decodeCommandWritesViterbiAndPosteriors() throws {
    let dir = try temporaryDirectory()
    let result = dir.appendingPathComponent("r.json").path, csv = dir.appendingPathComponent("d.csv").path
    let out = dir.appendingPathComponent("decoded.csv").path
    try Self.gaussianSpec.write(toFile: result, atomically: true, encoding: .utf8)
    try Self.gaussianData.write(toFile: csv, atomically: true, encoding: .utf8)
    let run = try runEMZoo(["decode", result, "--data", csv, "--output", out])
    #expect(run.status == 0, "\(run.stderr)")
    let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
    #expect(lines.first == "sequence,a,b,viterbi,p0,p1")
    #expect(lines.dropFirst().map { $0.split(separator: ",")[3] } == ["0", "0", "1", "1", "0", "1", "0"])
    let p0 = lines.dropFirst().compactMap { Double($0.split(separator: ",")[4]) }
    #expect(p0.count == 7 && abs(p0[2] - 0.006267709311043742) < 1e-12)

    // Bad input: exit 2, one line naming the file and what was expected.
    let mixture = repositoryRoot.appendingPathComponent("models/gaussian-2d-full.json").path
    let points = dir.appendingPathComponent("points.csv").path
    try "x1,x2\n0.5,1.5\n".write(toFile: points, atomically: true, encoding: .utf8)
    let notHMM = try runEMZoo(["decode", mixture, "--data", points])
    #expect(notHMM.status == 2 && notHMM.stderr.contains("has no hidden state sequence to decode"))
    try "a,b\n1,x\n".write(toFile: csv, atomically: true, encoding: .utf8)
    let bad = try runEMZoo(["decode", result, "--data", csv, "--output", out + ".2"])
    #expect(bad.status == 2 && bad.stderr == "emzoo: \(csv): line 2, column 'b': expected a number, found 'x'\n")
    #expect(!FileManager.default.fileExists(atPath: out + ".2"))
  }
}

/// `emzoo sample` streams an HMM in blocks: the chain goes on across blocks.
struct HiddenMarkovModelStreamingTests {
  @Test(arguments: [nil, 5] as [Int?])
  func blocksPutTogetherEqualOneDraw(length: Int?) throws {
    let text = """
      {"model": "hmm", "options": {"states": 2, "emission": "poisson"\(length.map { ", \"length\": \($0)" } ?? "")},
       "parameters": {"initial": [0.5, 0.5], "transition": [[0.9, 0.1], [0.2, 0.8]], "rates": [[1], [6]]}}
      """
    let s = try spec(text)
    try Self.compare(model(s), spec: s)
  }

  static func compare<M: SpecifiedModel>(_ m: M, spec s: ModelSpec) throws {
    guard let truth = try m.specParameters(s) else { Issue.record("no parameters"); return }
    let whole = try m.sample(truth, count: 103, random: RandomSource(seed: 9))
    var values: [Double] = [], latent: [Int] = []
    try m.sampleInBlocks(truth, count: 103, blockRows: 7, random: RandomSource(seed: 9)) { block in
      values += block.values
      latent += block.latent ?? []
    }
    #expect(values == whole.values.array && latent == whole.latent)
  }
}
