import Foundation
import Numerics
import Testing

@testable import EMZoo

@Suite struct StandardErrorTests {
  func fit(_ text: String, _ data: DataSet, restarts: Int = 2) throws -> FitReport {
    let s = try spec(text)
    return try model(s, dimension: data.dimension).fitReport(spec: s, data: data, options: options(restarts: restarts, standardErrors: true))
  }

  /// One Poisson component: λ̂ = x̄ and SE(λ̂) = √(λ̂ / n) (the inverse Fisher information).
  @Test func onePoissonRate() throws {
    let data = DataSet(source: "t", columns: ["c"], values: [0, 4, 7, 2, 1, 3, 3, 5, 2, 6, 1, 0, 2])
    let report = try fit(#"{ "model": "poisson-mixture", "options": { "components": 1 } }"#, data)
    let n = Double(data.rows), rate = data.values.reduce(0, +) / n
    let se = report.result["standardErrors"]?["rates"]?.flatNumbers.first
    #expect(se?.isApproximatelyEqual(to: (rate / n).squareRoot(), relativeTolerance: 1e-5) == true, "\(String(describing: se))")
    // The one weight is 1 by the simplex, on its boundary: no standard error.
    #expect(report.result["standardErrors"]?["weights"] == .array([.null]))
  }

  /// One normal component: SE(μ̂) = σ̂/√n and SE(σ̂²) = σ̂² √(2/n) (σ̂² the MLE, divisor n).
  @Test func oneGaussianMeanAndVariance() throws {
    let values = (0..<200).map { sin(Double($0) * 1.7) * 3 + Double($0 % 7) }
    let data = DataSet(source: "t", columns: ["x"], values: values)
    var s = FitSettings()
    s.covarianceFloor = 0
    let specText = #"{ "model": "gaussian-mixture", "options": { "components": 1 }, "fit": { "covarianceFloor": 0 } }"#
    let report = try fit(specText, data)
    let n = Double(values.count), mean = values.reduce(0, +) / n
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
    let se = report.result["standardErrors"]
    let seMean = se?["means"]?.flatNumbers.first, seVariance = se?["covariances"]?.flatNumbers.first
    #expect(seMean?.isApproximatelyEqual(to: (variance / n).squareRoot(), relativeTolerance: 1e-4) == true, "\(String(describing: seMean))")
    #expect(seVariance?.isApproximatelyEqual(to: variance * (2 / n).squareRoot(), relativeTolerance: 1e-4) == true, "\(String(describing: seVariance))")
  }

  /// A two-component Poisson mixture against the inverse of a Hessian computed here, directly in
  /// (π₁, λ₁, λ₂) with its own log-likelihood (Richardson-extrapolated central differences).
  @Test func poissonMixtureAgainstDirectHessian() throws {
    let data = SquaremTests.deaths
    let report = try fit(SquaremTests.deathsSpec, data, restarts: 1)
    let w = report.result["parameters"]?["weights"]?.flatNumbers ?? []
    let rates = report.result["parameters"]?["rates"]?.flatNumbers ?? []
    let x = data.values
    func ell(_ t: [Double]) -> Double {
      x.reduce(0) { total, k in
        let f = { (l: Double) in exp(k * log(l) - l - lgamma(k + 1)) }
        return total + log(t[0] * f(t[1]) + (1 - t[0]) * f(t[2]))
      }
    }
    let theta = [w[0], rates[0], rates[1]]
    func hessian(_ h: Double) -> [Double] {
      var H = [Double](repeating: 0, count: 9)
      for a in 0..<3 {
        for b in 0..<3 {
          func at(_ sa: Double, _ sb: Double) -> Double {
            var t = theta
            t[a] += sa * h
            t[b] += sb * h
            return ell(t)
          }
          H[a * 3 + b] = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h * h)
        }
      }
      return H
    }
    let h1 = hessian(1e-3), h2 = hessian(5e-4)
    let H = zip(h1, h2).map { (4 * $1 - $0) / 3 }
    guard let covariance = SymmetricMatrix.inverse(H.map { -$0 }, dimension: 3) else {
      Issue.record("not positive definite")
      return
    }
    let expected = [covariance[0], covariance[4], covariance[8]].map { $0.squareRoot() }
    let se = report.result["standardErrors"]
    let got = [se?["weights"]?.flatNumbers.first, se?["rates"]?.flatNumbers.first, se?["rates"]?.flatNumbers.last]
    for (g, e) in zip(got, expected) {
      #expect(g?.isApproximatelyEqual(to: e, relativeTolerance: 1e-4) == true, "\(String(describing: g)) vs \(e)")
    }
    // The second weight is 1 − π₁: the same standard error by the delta method.
    let second = se?["weights"]?.flatNumbers.last
    #expect(second?.isApproximatelyEqual(to: expected[0], relativeTolerance: 1e-4) == true)
  }

  /// The regression's generic standard errors (numerical, via the joint normal) agree with its
  /// analytic ones.
  @Test func regressionGenericMatchesAnalytic() throws {
    let s = try spec("""
      { "model": "missing-data-regression", "options": { "response": "y", "missing": { "rate": 0.2 } },
        "parameters": { "coefficients": [1, 2, -1], "noiseVariance": 0.5, "covariateMean": [3, 1],
                        "covariateCovariance": [[2, 0.5], [0.5, 1]] } }
      """)
    let m = try model(s)
    let data = try m.sampleData(spec: s, count: 400, seed: 3)
    let report = try m.fitReport(spec: s, data: data, options: options(restarts: 1, standardErrors: true))
    let analytic = report.result["standardErrors"]
    let fitted = try ModelSpec(text: report.result.formatted(), file: "r.json")
    let refit = try model(fitted, dimension: data.dimension)
    let generic = try #require(try refit.genericErrors(fitted, data: data))
    for key in ["coefficients", "noiseVariance", "covariateMean", "covariateCovariance"] {
      let a = analytic?[key]?.flatNumbers ?? [], g = generic[key]?.flatNumbers ?? []
      #expect(a.count == g.count && !a.isEmpty, "\(key)")
      for (x, y) in zip(a, g) { #expect(x.isApproximatelyEqual(to: y, relativeTolerance: 1e-4), "\(key): \(x) vs \(y)") }
    }
  }

  /// A Bernoulli probability at its floor (a column of zeros in one class) gets null and a note.
  @Test func boundaryEntriesAreNull() throws {
    var values: [Double] = []
    for i in 0..<300 { values += i % 2 == 0 ? [1, 1, 0] : [0, 0, Double(i % 3 == 0 ? 1 : 0)] }
    let data = DataSet(source: "t", columns: ["a", "b", "c"], values: values)
    let report = try fit(#"{ "model": "bernoulli-mixture", "options": { "components": 2 } }"#, data)
    guard case .array(let rows)? = report.result["standardErrors"]?["probabilities"] else {
      Issue.record("no standard errors: \(report.result["standardErrors"].map { $0.formatted() } ?? "none")")
      return
    }
    let flat = rows.flatMap { if case .array(let r) = $0 { return r } else { return [] } }
    #expect(flat.contains(.null))
    #expect(report.result["notes"] != nil)
  }
}

extension SpecifiedModel {
  /// `standardErrorMembers` at a spec's parameters, for tests.
  func genericErrors(_ spec: ModelSpec, data: DataSet) throws -> JSONValue? {
    guard let p = try specParameters(spec) else { return nil }
    return standardErrorMembers(p, data: data).standardErrors
  }
}

/// The HMM's standard errors against a Hessian computed here, independently: a scaled forward
/// algorithm written out below, the free parameters (a₀₀, a₁₁, λ₀, λ₁) differenced directly,
/// with `initial` held fixed (one sequence cannot estimate it: its MLE sits on the boundary).
@Suite struct HiddenMarkovModelStandardErrorTests {
  static func logLikelihood(_ x: [Double], a00: Double, a11: Double, rates: [Double]) -> Double {
    let transition = [[a00, 1 - a00], [1 - a11, a11]]
    func density(_ value: Double, _ k: Int) -> Double {
      exp(value * log(rates[k]) - rates[k] - lgamma(value + 1))
    }
    var alpha = [0.5 * density(x[0], 0), 0.5 * density(x[0], 1)]
    var total = log(alpha[0] + alpha[1])
    alpha = alpha.map { $0 / (alpha[0] + alpha[1]) }
    for t in 1..<x.count {
      let next = (0..<2).map { j in (alpha[0] * transition[0][j] + alpha[1] * transition[1][j]) * density(x[t], j) }
      let scale = next[0] + next[1]
      total += log(scale)
      alpha = next.map { $0 / scale }
    }
    return total
  }

  @Test func poissonHMMMatchesANumericalHessian() throws {
    let text = """
      { "model": "hmm", "options": { "states": 2, "emission": "poisson" },
        "parameters": { "initial": [0.5, 0.5], "transition": [[0.9, 0.1], [0.2, 0.8]], "rates": [[1.5], [7]] },
        "fit": { "fixed": ["initial"], "tolerance": 1e-14, "maxIterations": 5000 } }
      """
    let s = try spec(text)
    let m = try model(s)
    let data = try m.sampleData(spec: s, count: 600, seed: 21)
    let report = try m.fitReport(spec: s, data: data, options: options(restarts: 2, maxIterations: 5000, tolerance: 1e-14,
                                                                       standardErrors: true))
    let p = report.result["parameters"]
    let transition = p?["transition"]?.flatNumbers ?? [], rates = p?["rates"]?.flatNumbers ?? []
    let theta = [transition[0], transition[3], rates[0], rates[1]]
    func f(_ v: [Double]) -> Double { Self.logLikelihood(data.values.array, a00: v[0], a11: v[1], rates: [v[2], v[3]]) }
    // Central differences (steps 1e-4 relative: truncation ~1e-8, rounding ~1e-8 of the entries).
    let q = theta.count, h = theta.map { 1e-4 * max(abs($0), 0.1) }
    var hessian = [Double](repeating: 0, count: q * q)
    for i in 0..<q {
      for j in 0..<q {
        func at(_ si: Double, _ sj: Double) -> Double {
          var v = theta
          v[i] += si * h[i]
          v[j] += sj * h[j]
          return f(v)
        }
        hessian[i * q + j] = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h[i] * h[j])
      }
    }
    // Invert −H (4×4) by Gauss–Jordan.
    var a = hessian.map { -$0 }, inverse = [Double](repeating: 0, count: q * q)
    for i in 0..<q { inverse[i * q + i] = 1 }
    for c in 0..<q {
      let pivot = a[c * q + c]
      for k in 0..<q { a[c * q + k] /= pivot; inverse[c * q + k] /= pivot }
      for r in 0..<q where r != c {
        let factor = a[r * q + c]
        for k in 0..<q { a[r * q + k] -= factor * a[c * q + k]; inverse[r * q + k] -= factor * inverse[c * q + k] }
      }
    }
    let expected = (0..<q).map { inverse[$0 * q + $0].squareRoot() }
    let se = report.result["standardErrors"]
    let seTransition = se?["transition"]?.flatNumbers ?? [], seRates = se?["rates"]?.flatNumbers ?? []
    let got = [seTransition[0], seTransition[3], seRates[0], seRates[1]]
    for (g, e) in zip(got, expected) {
      #expect(g.isApproximatelyEqual(to: e, relativeTolerance: 1e-4), "\(got) vs \(expected)")
    }
    // The held initial distribution has no standard error.
    #expect(se?["initial"] == .array([.null, .null]))
  }
}
