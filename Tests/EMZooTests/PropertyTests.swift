import CKernels
import Foundation
import PropertyBased
import Testing

@testable import EMZoo

/// For random valid parameters of every kind (each mixture, each HMM emission, the
/// regression): sample → fit never decreases the objective, never returns NaN, and returns
/// valid parameters (probabilities summing to 1, positive-definite covariances).
@Suite struct PropertyTests {
  /// A Aᵀ + I for a d×d matrix A of N(0, σ²) entries: symmetric positive definite.
  static func randomSPD(_ d: Int, sigma: Double, random: RandomSource) -> [[Double]] {
    let a: [Double] = (0..<(d * d)).map { _ in random.gaussian(sigma: sigma) }
    var m = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
    for i in 0..<d {
      for j in 0..<d {
        var s: Double = i == j ? 1 : 0
        for l in 0..<d { s += a[i * d + l] * a[j * d + l] }
        m[i][j] = s
      }
    }
    return m
  }

  /// A spec with random valid parameters for `kind`, K components, d dimensions, from `seed`.
  static func randomSpec(_ kind: String, components K: Int, dimension d: Int, seed: UInt64) -> String {
    let random = RandomSource(seed: seed)
    func json(_ x: [Double]) -> String { "[" + x.map { JSONValue.format($0) }.joined(separator: ", ") + "]" }
    func rows(_ count: Int, _ make: () -> [Double]) -> String { "[" + (0..<count).map { _ in json(make()) }.joined(separator: ", ") + "]" }
    let weights = json(random.dirichlet([Double](repeating: 2, count: K)))
    switch kind {
    case let k where k.hasPrefix("gaussian-mixture"):
      let covariance = String(k.dropFirst("gaussian-mixture/".count))
      // Random SPD matrices, constrained to the covariance type.
      var matrices = (0..<K).map { _ in randomSPD(d, sigma: 0.7, random: random) }
      switch covariance {
      case "diagonal": matrices = matrices.map { m in (0..<d).map { i in (0..<d).map { j in i == j ? m[i][i] : 0 } } }
      case "spherical": matrices = matrices.map { m in (0..<d).map { i in (0..<d).map { j in i == j ? m[0][0] : 0 } } }
      case "tied": matrices = [[[Double]]](repeating: matrices[0], count: K)
      default: break
      }
      let covariances = "[" + matrices.map { m in "[" + m.map(json).joined(separator: ", ") + "]" }.joined(separator: ", ") + "]"
      return """
        { "model": "gaussian-mixture", "options": { "components": \(K), "covariance": "\(covariance)" },
          "parameters": { "weights": \(weights), "means": \(rows(K) { (0..<d).map { _ in random.gaussian(sigma: 4) } }),
                          "covariances": \(covariances) } }
        """
    case "poisson-mixture":
      return """
        { "model": "poisson-mixture", "options": { "components": \(K) },
          "parameters": { "weights": \(weights), "rates": \(rows(K) { (0..<d).map { _ in 0.1 + random.gamma(shape: 2, scale: 5) } }) } }
        """
    case let k where k.hasPrefix("hmm/"):
      // Sticky transitions (so states are identifiable from 300 steps), random emissions.
      let emission = String(k.dropFirst("hmm/".count))
      let initial = json(random.dirichlet([Double](repeating: 2, count: K)))
      var matrix: [[Double]] = (0..<K).map { i in
        let off = random.dirichlet([Double](repeating: 1, count: K)).map { 0.3 * $0 }
        return (0..<K).map { j in off[j] + (i == j ? 0.7 : 0) }
      }
      matrix = matrix.map { row in let s = row.reduce(0, +); return row.map { $0 / s } }
      let transitionJSON = "[" + matrix.map(json).joined(separator: ", ") + "]"
      switch emission {
      case "gaussian":
        let covariances = "[" + (0..<K).map { _ in
          "[" + (0..<d).map { i in json((0..<d).map { j in i == j ? 0.5 + random.uniform() : 0 }) }.joined(separator: ", ") + "]"
        }.joined(separator: ", ") + "]"
        return """
          { "model": "hmm", "options": { "states": \(K), "emission": "gaussian", "length": 50 },
            "parameters": { "initial": \(initial), "transition": \(transitionJSON),
              "means": \(rows(K) { (0..<d).map { _ in random.gaussian(sigma: 4) } }), "covariances": \(covariances) } }
          """
      case "poisson":
        return """
          { "model": "hmm", "options": { "states": \(K), "emission": "poisson", "length": 50 },
            "parameters": { "initial": \(initial), "transition": \(transitionJSON),
              "rates": \(rows(K) { (0..<d).map { _ in 0.5 + random.gamma(shape: 2, scale: 5) } }) } }
          """
      default:
        let M = d + 2
        return """
          { "model": "hmm", "options": { "states": \(K), "emission": "categorical", "symbols": \(M), "length": 50 },
            "parameters": { "initial": \(initial), "transition": \(transitionJSON),
              "probabilities": \(rows(K) { random.dirichlet([Double](repeating: 1, count: M)) }) } }
          """
      }
    case "missing-data-regression":
      // p = d covariates with a random SPD covariance, 20% of entries missing.
      let covariance = randomSPD(d, sigma: 0.5, random: random)
      let columns = (1...d).map { "\"x\($0)\"" }.joined(separator: ", ")
      return """
        { "model": "missing-data-regression", "options": { "response": "y", "missing": { "rate": 0.2 } },
          "columns": [\(columns), "y"],
          "parameters": { "coefficients": \(json((0...d).map { _ in random.gaussian(sigma: 2) })),
            "noiseVariance": \(JSONValue.format(0.2 + random.uniform())),
            "covariateMean": \(json((0..<d).map { _ in random.gaussian() })),
            "covariateCovariance": [\(covariance.map(json).joined(separator: ", "))] } }
        """
    default:
      return """
        { "model": "bernoulli-mixture", "options": { "components": \(K) },
          "parameters": { "weights": \(weights), "probabilities": \(rows(K) { (0..<d).map { _ in random.uniform() } }) } }
        """
    }
  }

  /// Every number under a JSON value.
  static func numbers(_ value: JSONValue?) -> [Double] {
    switch value {
    case .number(let x)?: return [x]
    case .array(let items)?: return items.flatMap { numbers($0) }
    case .object(let members)?: return members.flatMap { numbers($0.value) }
    default: return []
    }
  }

  static func checkValid(_ result: JSONValue, kind: String, dimension d: Int) {
    let parameters = result["parameters"]
    #expect(numbers(parameters).allSatisfy { $0.isFinite }, "non-finite parameter in \(kind)")
    #expect(numbers(result["logLikelihood"]).allSatisfy { $0.isFinite })
    if kind.hasSuffix("-mixture") || kind.hasPrefix("gaussian-mixture") {
      let weights = numbers(parameters?["weights"])
      #expect(abs(weights.reduce(0, +) - 1) < 1e-9 && weights.allSatisfy { $0 >= 0 }, "weights \(weights)")
    }
    let trace = numbers(result["trace"])
    // A repair (a component that lost its weight, re-seeded) may lower the objective at its
    // iteration; the engine reports it in the best restart's `repairs` and exempts it.
    var repaired = Set<Int>()
    if case .number(let best)? = result["bestRestart"], case .array(let restarts)? = result["restarts"],
       Int(best) < restarts.count, case .array(let repairs)? = restarts[Int(best)]["repairs"] {
      for case .string(let text) in repairs {
        if let match = text.firstMatch(of: /iteration ([0-9]+):/), let m = Int(match.output.1) { repaired.insert(m) }
      }
    }
    for (t, (a, b)) in zip(trace, trace.dropFirst()).enumerated() where !repaired.contains(t + 2) {
      #expect(b >= a - 1e-9 * abs(a), "\(kind): trace decreased from \(a) to \(b) at iteration \(t + 2)")
    }
    if kind.hasPrefix("gaussian") || kind == "hmm/gaussian" {
      let c = numbers(parameters?["covariances"])
      for k in 0..<(c.count / (d * d)) {
        var m = Array(c[(k * d * d)..<((k + 1) * d * d)])
        #expect(emz_cholesky(d, &m) == 0, "\(kind): covariance \(k) not positive definite")
      }
    }
    if kind == "poisson-mixture" || kind == "hmm/poisson" { #expect(numbers(parameters?["rates"]).allSatisfy { $0 > 0 }) }
    if kind.hasPrefix("hmm/") {
      let initial = numbers(parameters?["initial"])
      #expect(abs(initial.reduce(0, +) - 1) < 1e-9 && initial.allSatisfy { $0 >= 0 })
      guard case .array(let rows)? = parameters?["transition"] else { Issue.record("no transition"); return }
      for row in rows { #expect(abs(numbers(row).reduce(0, +) - 1) < 1e-9, "\(kind): transition row sums to \(numbers(row).reduce(0, +))") }
      if kind == "hmm/categorical", case .array(let emissions)? = parameters?["probabilities"] {
        for row in emissions { #expect(abs(numbers(row).reduce(0, +) - 1) < 1e-9) }
      }
    }
    if kind == "missing-data-regression" {
      #expect(numbers(parameters?["noiseVariance"]).allSatisfy { $0 > 0 })
      var c = numbers(parameters?["covariateCovariance"])
      #expect(emz_cholesky(d, &c) == 0, "covariate covariance not positive definite")
    }
    if kind == "bernoulli-mixture" { #expect(numbers(parameters?["probabilities"]).allSatisfy { $0 > 0 && $0 < 1 }) }
  }

  static let kinds = ["gaussian-mixture/full", "gaussian-mixture/diagonal", "gaussian-mixture/spherical",
                      "gaussian-mixture/tied", "poisson-mixture", "bernoulli-mixture",
                      "hmm/gaussian", "hmm/poisson", "hmm/categorical", "missing-data-regression"]

  @Test(arguments: kinds)
  func sampleThenFitIsMonotoneAndValid(_ kind: String) async {
    await propertyCheck(count: 12, input: Gen.int(in: 1...4), Gen.int(in: 1...3), Gen.int(in: 0...1_000_000)) { K, d, seed in
      do {
        let text = Self.randomSpec(kind, components: K, dimension: d, seed: UInt64(seed))
        let s = try spec(text)
        let m = try model(s)
        let data = try m.sampleData(spec: s, count: kind.hasPrefix("hmm/") ? 600 : 300, seed: UInt64(seed) + 1)
        var fitSpec = s
        fitSpec.parameters = Field(nil, path: "parameters", file: "test.json")
        let report = try m.fitReport(spec: fitSpec, data: data, options: options(restarts: 2, seed: UInt64(seed), maxIterations: 300, tolerance: 1e-8))
        Self.checkValid(report.result, kind: kind, dimension: d)
      } catch let error as InputError where error.message.contains("distinct rows") {
        // Bernoulli data in few dimensions can have fewer distinct rows than components:
        // that is correctly refused as bad input.
      } catch {
        Issue.record("\(kind) K=\(K) d=\(d) seed=\(seed): \(error)")
      }
    }
  }
}

/// Cases the property tests once found, kept as plain tests.
struct PropertyRegressionTests {
  /// A component collapsing onto a few points (diagonal, K = 3, d = 1): with the floor added to
  /// the variance (scikit-learn's reg_covar) the EM step from a SQUAREM iterate lowered the
  /// likelihood by 8e-4; with the floor as a constraint (eigenvalues ≥ ε) EM stays monotone.
  @Test(arguments: [Acceleration.squarem, .none])
  func collapsingComponentStaysMonotone(_ acceleration: Acceleration) throws {
    let kind = "gaussian-mixture/diagonal", seed = 420_139
    let s = try spec(PropertyTests.randomSpec(kind, components: 3, dimension: 1, seed: UInt64(seed)))
    let m = try model(s)
    let data = try m.sampleData(spec: s, count: 300, seed: UInt64(seed) + 1)
    var fitSpec = s
    fitSpec.parameters = Field(nil, path: "parameters", file: "test.json")
    var o = options(restarts: 2, seed: UInt64(seed), maxIterations: 300, tolerance: 1e-8)
    o.acceleration = acceleration
    let report = try m.fitReport(spec: fitSpec, data: data, options: o)
    #expect(report.logLikelihood.isFinite)
  }
}
