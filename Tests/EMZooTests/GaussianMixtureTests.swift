import Foundation
import Numerics
import Testing

@testable import EMZoo

@Suite struct GaussianMixtureTests {
  /// log Σₖ wₖ N(x | μₖ, Σₖ) for 2×2 covariances, written out by hand.
  func directLogLikelihood(_ data: DataSet, weights: [Double], means: [[Double]], covariances: [[Double]]) -> Double {
    var total = 0.0
    for i in 0..<data.rows {
      let x = [data[i, 0], data[i, 1]]
      var p = 0.0
      for k in weights.indices {
        let s = covariances[k]
        let det = s[0] * s[3] - s[1] * s[2]
        let e = [x[0] - means[k][0], x[1] - means[k][1]]
        let q = (s[3] * e[0] * e[0] - 2 * s[1] * e[0] * e[1] + s[0] * e[1] * e[1]) / det
        p += weights[k] * exp(-0.5 * q) / (2 * Double.pi * det.squareRoot())
      }
      total += log(p)
    }
    return total
  }

  @Test func logLikelihoodMatchesAnIndependentComputation() throws {
    let s = try spec(twoBlobs)
    let m = try model(s)
    let data = try m.sampleData(spec: s, count: 500, seed: 3)
    let ours = try m.logLikelihood(spec: s, data: data)
    let direct = directLogLikelihood(data, weights: [0.4, 0.6], means: [[0, 0], [4, 4]],
                                     covariances: [[1, 0, 0, 1], [1, 0.5, 0.5, 2]])
    #expect(ours.isApproximatelyEqual(to: direct, relativeTolerance: 1e-12))
  }

  @Test(arguments: ["full", "diagonal", "spherical", "tied"])
  func recoversTheTruth(_ covariance: String) throws {
    let text = """
      { "model": "gaussian-mixture", "options": { "components": 3, "covariance": "\(covariance)" },
        "parameters": { "weights": [0.3, 0.3, 0.4], "means": [[0, 0], [6, 0], [0, 6]],
          "covariances": [[[1, 0], [0, 1]], [[1, 0], [0, 1]], [[1, 0], [0, 1]]] },
        "check": { "tolerance": 0.08 } }
      """
    let s = try spec(text)
    let report = try model(s).check(spec: s, n: 20_000, seed: 4, options: options())
    // With n = 20000 the standard errors are ~0.01–0.02: a tolerance of 0.08 is 4+ of them.
    #expect(report.passed, "errors: \(report.entries.map { "\($0.name) \($0.error)" })")
    #expect(report.fit.converged)
    #expect((report.labelAccuracy ?? 0) > 0.99)
    // The fitted likelihood is at least the truth's on the same sample (it is the MLE).
    #expect(report.fit.logLikelihood >= report.logLikelihoodAtTruth)
  }

  @Test func diagonalMStepMatchesWeightedMoments() throws {
    // One component, no floor: the M step is the sample mean and (biased) variance.
    let data = DataSet(source: "t", columns: ["a", "b"], values: [1, 10, 2, 20, 4, 60])
    let family = GaussianFamily(components: 1, dimension: 2, covariance: .diagonal, covarianceFloor: 0)
    let mixture = Mixture(family: family)
    let start = Mixture<GaussianFamily>.Parameters(weights: [1], emission: family.placeholder)
    let outcome = try EMEngine.fit(mixture, to: data, options: options(restarts: 1, maxIterations: 3, initialization: .spec), start: start)
    let means = outcome.parameters.emission.means, cov = outcome.parameters.emission.covariances
    #expect(means[0].isApproximatelyEqual(to: 7.0 / 3) && means[1].isApproximatelyEqual(to: 30))
    let mean = 7.0 / 3
    let deviations: [Double] = [1.0 - mean, 2.0 - mean, 4.0 - mean]
    let va = (deviations[0] * deviations[0] + deviations[1] * deviations[1] + deviations[2] * deviations[2]) / 3
    #expect(cov[0].isApproximatelyEqual(to: va, relativeTolerance: 1e-12))
    #expect(cov[3].isApproximatelyEqual(to: (400.0 + 100 + 900) / 3, relativeTolerance: 1e-12))
  }

  @Test func mapWithNormalInverseWishartMatchesTheClosedForm() throws {
    // One component: the MAP estimate is the NIW posterior mode (Fraley & Raftery 2007):
    // μ = (n x̄ + κ μ₀)/(n + κ), Σ = (Ψ + W + κn/(κ+n)(x̄−μ₀)(x̄−μ₀)ᵀ)/(ν + n + d + 2).
    let text = """
      { "model": "gaussian-mixture", "options": { "components": 1 },
        "prior": { "means": { "location": [1, -1], "shrinkage": 2 },
                   "covariances": { "degreesOfFreedom": 3, "scale": [[2, 0.5], [0.5, 1]] } },
        "fit": { "covarianceFloor": 0, "restarts": 1 } }
      """
    let s = try spec(text)
    let data = DataSet(source: "t", columns: ["a", "b"], values: [0, 0, 1, 2, 3, 1, 2, 5, -1, 1])
    let m = try model(s, dimension: 2)
    var fitOptions = options(restarts: 1)
    fitOptions.maxIterations = 20
    let report = try m.fitReport(spec: s, data: data, options: fitOptions)
    let n = 5.0, kappa = 2.0, nu = 3.0, d = 2.0
    let xbar = [(0.0 + 1 + 3 + 2 - 1) / n, (0.0 + 2 + 1 + 5 + 1) / n]
    let rows = [[0.0, 0], [1, 2], [3, 1], [2, 5], [-1, 1]]
    var w = [0.0, 0, 0, 0]
    for r in rows { for a in 0..<2 { for b in 0..<2 { w[a * 2 + b] += (r[a] - xbar[a]) * (r[b] - xbar[b]) } } }
    let shift = [xbar[0] - 1, xbar[1] + 1]
    let psi = [2.0, 0.5, 0.5, 1]
    let sigma = (0..<4).map { e in (psi[e] + w[e] + kappa * n / (kappa + n) * shift[e / 2] * shift[e % 2]) / (nu + n + d + 2) }
    let mu = [(n * xbar[0] + kappa * 1) / (n + kappa), (n * xbar[1] - kappa) / (n + kappa)]
    guard case .array(let means)? = report.result["parameters"]?["means"],
          case .array(let m0) = means[0], case .number(let m00) = m0[0], case .number(let m01) = m0[1],
          case .array(let covs)? = report.result["parameters"]?["covariances"],
          case .array(let c0) = covs[0], case .array(let c00) = c0[0], case .array(let c01) = c0[1],
          case .number(let s00) = c00[0], case .number(let s01) = c00[1], case .number(let s11) = c01[1]
    else { Issue.record("unexpected result shape"); return }
    #expect(m00.isApproximatelyEqual(to: mu[0], relativeTolerance: 1e-12))
    #expect(m01.isApproximatelyEqual(to: mu[1], relativeTolerance: 1e-12))
    #expect(s00.isApproximatelyEqual(to: sigma[0], relativeTolerance: 1e-12))
    #expect(s01.isApproximatelyEqual(to: sigma[1], relativeTolerance: 1e-12))
    #expect(s11.isApproximatelyEqual(to: sigma[3], relativeTolerance: 1e-12))
    #expect(report.logPosterior != nil)
    #expect(report.result["logPosterior"] != nil)
  }

  // MARK: - Missing values

  @Test func missingCoordinatesAreMarginalised() throws {
    // Rows (1, NaN) and (NaN, 3): the likelihood is that of the observed coordinate alone,
    // Σₖ wₖ N(x_j | μₖⱼ, Σₖⱼⱼ), computed here by hand; the complete row uses the 2-D formula.
    let s = try spec(twoBlobs)
    let data = DataSet(source: "t", columns: ["x1", "x2"], values: [1, .nan, .nan, 3, 0.5, 2])
    let ours = try model(s).logLikelihood(spec: s, data: data)
    func normal(_ x: Double, _ m: Double, _ v: Double) -> Double { exp(-(x - m) * (x - m) / (2 * v)) / (2 * Double.pi * v).squareRoot() }
    let row0 = log(0.4 * normal(1, 0, 1) + 0.6 * normal(1, 4, 1))
    let row1 = log(0.4 * normal(3, 0, 1) + 0.6 * normal(3, 4, 2))
    let row2 = directLogLikelihood(
      DataSet(source: "t", columns: ["x1", "x2"], values: [0.5, 2]), weights: [0.4, 0.6],
      means: [[0, 0], [4, 4]], covariances: [[1, 0, 0, 1], [1, 0.5, 0.5, 2]])
    #expect(ours.isApproximatelyEqual(to: row0 + row1 + row2, relativeTolerance: 1e-13))
  }

  @Test(arguments: ["full", "tied"])
  func emWithMissingValuesConvergesToTheObservedDataMLE(_ covariance: String) throws {
    // If the E step forgot the conditional covariance of the missing block, EM would converge
    // to a point that is not a maximum of the observed-data likelihood. Check that nudging any
    // parameter of the fit lowers that likelihood.
    let text = """
      { "model": "gaussian-mixture", "options": { "components": 2, "covariance": "\(covariance)", "missing": { "rate": 0.25 } },
        "parameters": { "weights": [0.5, 0.5], "means": [[0, 0], [3, 3]],
          "covariances": [[[1, 0.7], [0.7, 1]], [[1, 0.7], [0.7, 1]]] },
        "fit": { "covarianceFloor": 0 } }
      """
    let s = try spec(text)
    let m = try model(s)
    let data = try m.sampleData(spec: s, count: 400, seed: 9)
    #expect(data.hasMissing)
    let report = try m.fitReport(spec: s, data: data, options: options(restarts: 1, maxIterations: 20_000, tolerance: 1e-15))
    let fitted = try ModelSpec(text: report.result.formatted(), file: "r.json")
    let best = try m.logLikelihood(spec: fitted, data: data)
    #expect(best.isApproximatelyEqual(to: report.logLikelihood, relativeTolerance: 1e-13))
    guard case .object(var parameters)? = report.result["parameters"] else { Issue.record("no parameters"); return }
    // Nudge each mean coordinate and each covariance entry (symmetrically; all matrices for tied).
    var nudges: [(String, (inout [(key: String, value: JSONValue)], Double) -> Void)] = []
    for k in 0..<2 {
      for j in 0..<2 {
        nudges.append(("means[\(k)][\(j)]", { p, h in p[1].value = Self.adding(h, to: p[1].value, at: [k, j]) }))
      }
    }
    for (a, b) in [(0, 0), (0, 1), (1, 1)] {
      let matrices = covariance == "tied" ? [0, 1] : [0]
      for k in (covariance == "tied" ? [0] : [0, 1]) {
        nudges.append(("covariances[\(k)][\(a)][\(b)]", { p, h in
          for kk in (covariance == "tied" ? matrices : [k]) {
            p[2].value = Self.adding(h, to: p[2].value, at: [kk, a, b])
            if a != b { p[2].value = Self.adding(h, to: p[2].value, at: [kk, b, a]) }
          }
        }))
      }
    }
    for (name, nudge) in nudges {
      for h in [1e-3, -1e-3] {
        var changed = parameters
        nudge(&changed, h)
        var nudged = fitted
        nudged.parameters = Field(.object(changed), path: "parameters", file: "nudged")
        let value = try m.logLikelihood(spec: nudged, data: data)
        #expect(value <= best + 1e-9 * abs(best), "nudging \(name) by \(h) raised the likelihood: \(value) > \(best)")
      }
    }
    parameters.removeAll()
  }

  static func adding(_ h: Double, to value: JSONValue, at path: [Int]) -> JSONValue {
    guard let first = path.first else {
      if case .number(let x) = value { return .number(x + h) }
      return value
    }
    guard case .array(var items) = value else { return value }
    items[first] = adding(h, to: items[first], at: Array(path.dropFirst()))
    return .array(items)
  }

  @Test func aRowWithNothingObservedIsBadInput() throws {
    let s = try spec(twoBlobs)
    let data = try CSVReader.parse(text: "x1,x2\n1,2\nNA,\n", source: "d.csv")
    do { try model(s).validate(data); Issue.record("accepted an empty row") } catch let e as InputError {
      #expect(e.message == "d.csv: line 3: every value is missing; a mixture needs at least one observed entry per row")
    }
  }

  @Test func imputationIsTheResponsibilityWeightedConditionalMean() throws {
    // Row (1, NaN): p(k | x₁) ∝ wₖ N(1 | μₖ₁, Σₖ₁₁); E[x₂ | x₁, k] = μₖ₂ + Σₖ₂₁/Σₖ₁₁ (1 − μₖ₁).
    let s = try spec(twoBlobs)
    let data = DataSet(source: "t", columns: ["x1", "x2"], values: [1, .nan, 0.5, 0.25])
    guard let filled = try model(s).imputed(spec: s, data: data) else { Issue.record("not an imputer"); return }
    func normal(_ x: Double, _ m: Double, _ v: Double) -> Double { exp(-(x - m) * (x - m) / (2 * v)) / (2 * Double.pi * v).squareRoot() }
    let a = 0.4 * normal(1, 0, 1), b = 0.6 * normal(1, 4, 1)
    let expected = (a * (0 + 0 / 1 * (1 - 0)) + b * (4 + 0.5 / 1 * (1 - 4))) / (a + b)
    #expect(filled[0, 1].isApproximatelyEqual(to: expected, relativeTolerance: 1e-12))
    #expect(filled[0, 0] == 1 && filled[1, 0] == 0.5 && filled[1, 1] == 0.25)
  }
}
