import CKernels
import Foundation
import PropertyBased
import Testing

@testable import EMZoo

/// For random valid parameters of every kind: sample → fit never decreases the objective,
/// never returns NaN, and returns valid parameters.
@Suite struct PropertyTests {
  /// A spec with random valid parameters for `kind`, K components, d dimensions, from `seed`.
  static func randomSpec(_ kind: String, components K: Int, dimension d: Int, seed: UInt64) -> String {
    let random = RandomSource(seed: seed)
    func json(_ x: [Double]) -> String { "[" + x.map { JSONValue.format($0) }.joined(separator: ", ") + "]" }
    func rows(_ count: Int, _ make: () -> [Double]) -> String { "[" + (0..<count).map { _ in json(make()) }.joined(separator: ", ") + "]" }
    let weights = json(random.dirichlet([Double](repeating: 2, count: K)))
    switch kind {
    case let k where k.hasPrefix("gaussian-mixture"):
      let covariance = String(k.dropFirst("gaussian-mixture/".count))
      // A random SPD matrix A Aᵀ + I, constrained to the covariance type.
      func matrix() -> [[Double]] {
        let a: [Double] = (0..<(d * d)).map { _ in random.gaussian(sigma: 0.7) }
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
      var matrices = (0..<K).map { _ in matrix() }
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
    let weights = numbers(parameters?["weights"])
    #expect(abs(weights.reduce(0, +) - 1) < 1e-9 && weights.allSatisfy { $0 >= 0 }, "weights \(weights)")
    let trace = numbers(result["trace"])
    for (a, b) in zip(trace, trace.dropFirst()) {
      #expect(b >= a - 1e-9 * abs(a), "\(kind): trace decreased from \(a) to \(b)")
    }
    if kind.hasPrefix("gaussian") {
      let c = numbers(parameters?["covariances"])
      for k in 0..<(c.count / (d * d)) {
        var m = Array(c[(k * d * d)..<((k + 1) * d * d)])
        #expect(emz_cholesky(d, &m) == 0, "\(kind): covariance \(k) not positive definite")
      }
    }
    if kind == "poisson-mixture" { #expect(numbers(parameters?["rates"]).allSatisfy { $0 > 0 }) }
    if kind == "bernoulli-mixture" { #expect(numbers(parameters?["probabilities"]).allSatisfy { $0 > 0 && $0 < 1 }) }
  }

  static let kinds = ["gaussian-mixture/full", "gaussian-mixture/diagonal", "gaussian-mixture/spherical",
                      "gaussian-mixture/tied", "poisson-mixture", "bernoulli-mixture"]

  @Test(arguments: kinds)
  func sampleThenFitIsMonotoneAndValid(_ kind: String) async {
    await propertyCheck(count: 12, input: Gen.int(in: 1...4), Gen.int(in: 1...3), Gen.int(in: 0...1_000_000)) { K, d, seed in
      do {
        let text = Self.randomSpec(kind, components: K, dimension: d, seed: UInt64(seed))
        let s = try spec(text)
        let m = try model(s)
        let data = try m.sampleData(spec: s, count: 300, seed: UInt64(seed) + 1)
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
