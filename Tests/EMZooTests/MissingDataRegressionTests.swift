import Foundation
import Numerics
import Testing

@testable import EMZoo

@Suite struct MissingDataRegressionTests {
  /// Two covariates, a spec without missing values unless `missing` is given.
  func twoCovariates(missing: String? = nil) -> String {
    """
    { "model": "missing-data-regression",
      "options": { "response": "y"\(missing.map { ", \"missing\": \($0)" } ?? "") },
      "parameters": { "coefficients": [1.5, 2, -1], "noiseVariance": 0.5, "covariateMean": [1, -2],
                      "covariateCovariance": [[1, 0.4], [0.4, 2]] } }
    """
  }

  let threeCovariatesMCAR = """
    { "model": "missing-data-regression",
      "options": { "response": "y", "missing": { "rate": 0.2, "mechanism": "MCAR" } },
      "parameters": { "coefficients": [1, 2, -1, 0.5], "noiseVariance": 0.5, "covariateMean": [0, 1, -2],
                      "covariateCovariance": [[1, 0.5, 0.2], [0.5, 2, -0.3], [0.2, -0.3, 1.5]] } }
    """

  func regressionModel(_ text: String, dimension: Int? = nil) throws -> SpecifiedKind<MissingDataRegression> {
    guard let m = try model(spec(text), dimension: dimension) as? SpecifiedKind<MissingDataRegression> else {
      preconditionFailure("the registry builds a MissingDataRegression")
    }
    return m
  }

  /// Solves the small system A x = b (n×n, row-major) by Gauss–Jordan with partial pivoting.
  func solve(_ a: [Double], _ b: [Double]) -> [Double] {
    let n = b.count
    var m = a, x = b
    for c in 0..<n {
      let pivot = (c..<n).max { abs(m[$0 * n + c]) < abs(m[$1 * n + c]) } ?? c
      for k in 0..<n { m.swapAt(c * n + k, pivot * n + k) }
      x.swapAt(c, pivot)
      for r in 0..<n where r != c {
        let f = m[r * n + c] / m[c * n + c]
        for k in 0..<n { m[r * n + k] -= f * m[c * n + k] }
        x[r] -= f * x[c]
      }
    }
    return (0..<n).map { x[$0] / m[$0 * n + $0] }
  }

  /// The inverse of a small matrix, column by column.
  func inverse(_ a: [Double], _ n: Int) -> [Double] {
    var out = [Double](repeating: 0, count: n * n)
    for c in 0..<n {
      var e = [Double](repeating: 0, count: n)
      e[c] = 1
      let column = solve(a, e)
      for r in 0..<n { out[r * n + c] = column[r] }
    }
    return out
  }

  func numbers(_ value: JSONValue?) -> [Double] {
    switch value {
    case .number(let x)?: return [x]
    case .array(let items)?: return items.flatMap { numbers($0) }
    default: return []
    }
  }

  // MARK: - Complete data: least squares and the sample moments

  @Test func withoutMissingValuesTheFitIsLeastSquares() throws {
    let s = try spec(twoCovariates())
    let m = try regressionModel(twoCovariates())
    let data = try m.sampleData(spec: s, count: 200, seed: 5)
    #expect(!data.hasMissing)
    let report = try m.fitReport(spec: s, data: data, options: options(restarts: 1))
    let result = report.result
    let n = Double(data.rows)
    // Ordinary least squares by the normal equations on [1, x1, x2] (an independent route).
    var xtx = [Double](repeating: 0, count: 9), xty = [Double](repeating: 0, count: 3)
    for i in 0..<data.rows {
      let row = [1, data[i, 0], data[i, 1]]
      for a in 0..<3 {
        xty[a] += row[a] * data[i, 2]
        for b in 0..<3 { xtx[a * 3 + b] += row[a] * row[b] }
      }
    }
    let ols = solve(xtx, xty)
    var rss = 0.0
    for i in 0..<data.rows {
      let r = data[i, 2] - ols[0] - ols[1] * data[i, 0] - ols[2] * data[i, 1]
      rss += r * r
    }
    let coefficients = numbers(result["parameters"]?["coefficients"])
    #expect(coefficients.count == 3 && numbers(result["parameters"]?["covariateCovariance"]).count == 4)
    for (ours, theirs) in zip(coefficients, ols) {
      #expect(ours.isApproximatelyEqual(to: theirs, relativeTolerance: 1e-10), "\(coefficients) vs \(ols)")
    }
    // σ² is the MLE RSS/n (not RSS/(n − p − 1)).
    let noise = numbers(result["parameters"]?["noiseVariance"])[0]
    #expect(noise.isApproximatelyEqual(to: rss / n, relativeTolerance: 1e-10))
    // The covariates' sample mean and covariance (divisor n).
    let mean = (0..<2).map { j in (0..<data.rows).reduce(0.0) { $0 + data[$1, j] } / n }
    var covariance = [Double](repeating: 0, count: 4)
    for i in 0..<data.rows {
      for a in 0..<2 { for b in 0..<2 { covariance[a * 2 + b] += (data[i, a] - mean[a]) * (data[i, b] - mean[b]) / n } }
    }
    for (ours, theirs) in zip(numbers(result["parameters"]?["covariateMean"]), mean) {
      #expect(ours.isApproximatelyEqual(to: theirs, absoluteTolerance: 1e-12))
    }
    for (ours, theirs) in zip(numbers(result["parameters"]?["covariateCovariance"]), covariance) {
      #expect(ours.isApproximatelyEqual(to: theirs, relativeTolerance: 1e-10))
    }
    // Standard errors: with complete data the observed information gives least squares'
    // √diag(σ̂² (XᵀX)⁻¹) with the MLE σ̂² = RSS/n.
    let inverseXtX = inverse(xtx, 3)
    let errors = numbers(result["standardErrors"]?["coefficients"])
    #expect(errors.count == 3)
    for (a, se) in errors.enumerated() {
      #expect(se.isApproximatelyEqual(to: (rss / n * inverseXtX[a * 3 + a]).squareRoot(), relativeTolerance: 1e-8))
    }
    // Complete-case analysis uses every row, so it is the same fit.
    #expect(numbers(result["completeCase"]?["n"]) == [n])
    for (cc, ours) in zip(numbers(result["completeCase"]?["coefficients"]), coefficients) {
      #expect(cc.isApproximatelyEqual(to: ours, relativeTolerance: 1e-10))
    }
  }

  // MARK: - The observed-data log-likelihood

  @Test func logLikelihoodMatchesAHandComputation() throws {
    let text = twoCovariates()
    let s = try spec(text)
    let m = try regressionModel(text)
    let nan = Double.nan
    // x1, x2, y with missing entries: observed (x1, y), (x2, y), (x1), (x1, x2).
    let data = DataSet(source: "t.csv", columns: ["x1", "x2", "y"],
                       values: [1, nan, 3, nan, 1, 2, 0.5, nan, nan, 2, -1, nan])
    let ours = try m.logLikelihood(spec: s, data: data)
    // The joint normal by hand: μ_y = b0 + b·m, Cov(x, y) = S b, Var y = bᵀSb + σ².
    let (b0, b1, b2, s2) = (1.5, 2.0, -1.0, 0.5)
    let (m1, m2) = (1.0, -2.0), (s11, s12, s22) = (1.0, 0.4, 2.0)
    let my = b0 + b1 * m1 + b2 * m2
    let c1y = s11 * b1 + s12 * b2, c2y = s12 * b1 + s22 * b2
    let syy = b1 * b1 * s11 + 2 * b1 * b2 * s12 + b2 * b2 * s22 + s2
    func normal1(_ x: Double, _ mu: Double, _ v: Double) -> Double {
      -0.5 * log(2 * Double.pi * v) - (x - mu) * (x - mu) / (2 * v)
    }
    func normal2(_ x: (Double, Double), _ mu: (Double, Double), _ a: Double, _ c: Double, _ b: Double) -> Double {
      // Covariance [[a, c], [c, b]]: log N = −log 2π − ½ log det − ½ eᵀΣ⁻¹e.
      let det = a * b - c * c
      let (e1, e2) = (x.0 - mu.0, x.1 - mu.1)
      return -log(2 * Double.pi) - 0.5 * log(det) - 0.5 * (b * e1 * e1 - 2 * c * e1 * e2 + a * e2 * e2) / det
    }
    let direct = normal2((1, 3), (m1, my), s11, c1y, syy) + normal2((1, 2), (m2, my), s22, c2y, syy)
      + normal1(0.5, m1, s11) + normal2((2, -1), (m1, m2), s11, s12, s22)
    #expect(ours.isApproximatelyEqual(to: direct, relativeTolerance: 1e-13), "\(ours) vs \(direct)")
  }

  // MARK: - EM against complete-case analysis

  @Test func emBeatsCompleteCaseAnalysisUnderMAR() throws {
    let text = twoCovariates(missing: "{ \"rate\": 0.3, \"mechanism\": \"MAR\" }")
    let s = try spec(text)
    let m = try regressionModel(text)
    let report = try m.check(spec: s, n: 20_000, seed: 3, options: options(restarts: 1))
    let em = Dictionary(uniqueKeysWithValues: report.entries.map { ($0.name, $0.error) })
    guard let baseline = report.fit.result["completeCase"], let truth = s.parameters.value else {
      Issue.record("no complete-case estimate")
      return
    }
    let cc = Dictionary(uniqueKeysWithValues: RecoveryReport.errors(of: baseline, against: truth).map { ($0.name, $0.error) })
    // Standard errors at n = 20000 are ~0.01; EM recovers every parameter within 0.05.
    #expect(report.passed && report.maxError < 0.05, "\(em)")
    // Missingness grows with x1, so the complete cases have a smaller x1: their covariate mean
    // is off by about half a standard deviation and their covariances shrink. EM uses every
    // observed entry and is unbiased.
    #expect((cc["covariateMean"] ?? 0) > 0.3 && (em["covariateMean"] ?? 1) < 0.05, "EM \(em), complete-case \(cc)")
    #expect((cc["covariateCovariance"] ?? 0) > 0.1 && (em["covariateCovariance"] ?? 1) < 0.05)
    #expect(report.maxError < RecoveryReport.errors(of: baseline, against: truth).map(\.error).max() ?? 0)
    // The regression itself: missingness that depends on a covariate only leaves complete-case
    // least squares unbiased (Little 1992), just less precise, so both are close here.
    #expect((cc["coefficients"] ?? 1) < 0.1 && (em["coefficients"] ?? 1) < 0.05)
  }

  // MARK: - Standard errors

  @Test func standardErrorsMatchANumericalHessian() throws {
    let text = twoCovariates(missing: "{ \"rate\": 0.25, \"mechanism\": \"MCAR\" }")
    let s = try spec(text)
    let m = try regressionModel(text)
    let data = try m.sampleData(spec: s, count: 300, seed: 9)
    // Converge far beyond the default so the gradient at the estimate is negligible.
    let outcome = try EMEngine.fit(m, to: data, options: options(restarts: 1, maxIterations: 5000, tolerance: 1e-15))
    let fitted = m.model.regression(outcome.parameters)
    guard case .success(let errors) = m.model.standardErrors(outcome.parameters, data: data) else {
      Issue.record("no standard errors")
      return
    }
    // φ = (β₀, β₁, β₂, σ², m₁, m₂, S₁₁, S₁₂, S₂₂): the log-likelihood's Hessian by central
    // differences (step 1e-4 relative: truncation ~1e-8, rounding ~1e-7 of the entries).
    let phi = fitted.coefficients + [fitted.noiseVariance] + fitted.covariateMean
      + [fitted.covariateCovariance[0], fitted.covariateCovariance[1], fitted.covariateCovariance[3]]
    func logLikelihood(_ v: [Double]) throws -> Double {
      let r = RegressionParameters(coefficients: Array(v[0..<3]), noiseVariance: v[3], covariateMean: Array(v[4..<6]),
                                   covariateCovariance: [v[6], v[7], v[7], v[8]])
      return try EMEngine.logLikelihood(m, of: data, at: r.joint)
    }
    let q = phi.count
    let h = phi.map { 1e-4 * max(1, abs($0)) }
    var information = [Double](repeating: 0, count: q * q)
    for i in 0..<q {
      for j in i..<q {
        func at(_ a: Double, _ b: Double) throws -> Double {
          var v = phi
          v[i] += a * h[i]
          v[j] += b * h[j]
          return try logLikelihood(v)
        }
        let second = (try at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h[i] * h[j])
        information[i * q + j] = -second
        information[j * q + i] = -second
      }
    }
    let covariance = inverse(information, q)
    let numerical = (0..<q).map { covariance[$0 * q + $0].squareRoot() }
    let analytic = errors.coefficients + [errors.noiseVariance] + errors.covariateMean
      + [errors.covariateCovariance[0], errors.covariateCovariance[1], errors.covariateCovariance[3]]
    for (a, b) in zip(analytic, numerical) {
      #expect(a.isApproximatelyEqual(to: b, relativeTolerance: 1e-4), "analytic \(analytic), numerical \(numerical)")
    }
  }

  // MARK: - The shared checks, sampling and imputation

  @Test func passesTheSharedModelChecks() throws {
    try checkEMModel(threeCovariatesMCAR, n: 2000)
  }

  @Test func samplersRemoveEntriesAtTheRequestedRate() throws {
    for mechanism in ["MCAR", "MAR"] {
      let text = twoCovariates(missing: "{ \"rate\": 0.2, \"mechanism\": \"\(mechanism)\" }")
      let data = try regressionModel(text).sampleData(spec: spec(text), count: 40_000, seed: 2)
      let rates = (0..<3).map { j in Double((0..<data.rows).filter { data[$0, j].isNaN }.count) / Double(data.rows) }
      // Binomial standard error √(0.2·0.8/40000) = 0.002: a band of 0.01 is 5 of them.
      if mechanism == "MCAR" {
        for rate in rates { #expect(abs(rate - 0.2) < 0.01, "\(mechanism) \(rates)") }
      } else {
        #expect(rates[0] == 0)
        for rate in rates.dropFirst() { #expect(abs(rate - 0.2) < 0.01, "\(mechanism) \(rates)") }
        // Rows with x1 above its mean lose more entries.
        let high = (0..<data.rows).filter { data[$0, 0] > 1 }
        let highRate = Double(high.filter { data[$0, 2].isNaN }.count) / Double(high.count)
        #expect(highRate > 0.3)
      }
      for i in 0..<data.rows { #expect((0..<3).contains { !data[i, $0].isNaN }) }
    }
    #expect(abs(MissingDataRegression.marIntercept(rate: 0.2, slope: 2) - -2.228) < 1e-3)
  }

  @Test func imputationFillsConditionalExpectations() throws {
    let text = twoCovariates()
    let s = try spec(text)
    let m = try regressionModel(text)
    let nan = Double.nan
    let data = DataSet(source: "t.csv", columns: ["x1", "x2", "y"],
                       values: [0.5, -1, nan, 2, nan, nan, 1, 2, 3, nan, nan, nan])
    guard let imputed = try m.imputed(spec: s, data: data) else { Issue.record("not an imputer"); return }
    // Only y missing: the regression's prediction.
    #expect(imputed[0, 2].isApproximatelyEqual(to: 1.5 + 2 * 0.5 - 1 * -1, relativeTolerance: 1e-14))
    // Only x1 observed: E[x2 | x1] = m2 + S12/S11 (x1 − m1), E[y | x1] = μ_y + Cov(x1, y)/S11 (x1 − m1).
    #expect(imputed[1, 1].isApproximatelyEqual(to: -2 + 0.4 * (2 - 1), relativeTolerance: 1e-14))
    let my = 1.5 + 2 * 1 - 1 * -2.0, c1y = 1 * 2 + 0.4 * -1.0
    #expect(imputed[1, 2].isApproximatelyEqual(to: my + c1y * (2 - 1), relativeTolerance: 1e-14))
    // Complete rows are unchanged; a row with nothing observed gets the mean.
    #expect(Array(imputed.values[6..<9]) == [1, 2, 3])
    #expect(imputed[3, 0] == 1 && imputed[3, 1] == -2 && imputed[3, 2].isApproximatelyEqual(to: my))
    #expect(!imputed.hasMissing)
  }

  @Test func theResponseMayBeAnyColumn() throws {
    // The response first: covariates are the other columns in order, and the fit does not
    // depend on where the response sits.
    let text = twoCovariates(missing: "{ \"rate\": 0.2 }").replacingOccurrences(
      of: "\"parameters\"", with: "\"columns\": [\"y\", \"a\", \"b\"], \"parameters\"")
    let s = try spec(text)
    let m = try regressionModel(text)
    let data = try m.sampleData(spec: s, count: 3000, seed: 8)
    #expect(data.columns == ["y", "a", "b"])
    var moved = data
    moved.columns = ["a", "b", "y"]
    for i in 0..<data.rows {
      for (o, x) in [data[i, 1], data[i, 2], data[i, 0]].enumerated() { moved.values[i * 3 + o] = x }
    }
    let first = try m.fitReport(spec: s, data: data, options: options(restarts: 1))
    let last = try regressionModel(twoCovariates()).fitReport(spec: spec(twoCovariates()), data: moved, options: options(restarts: 1))
    #expect(first.result["parameters"] == last.result["parameters"])
    // Coefficients in covariate order (a, b): the truth is (1.5, 2, −1); standard errors ~0.02.
    let coefficients = numbers(first.result["parameters"]?["coefficients"])
    for (estimate, truth) in zip(coefficients, [1.5, 2, -1]) { #expect(abs(estimate - truth) < 0.1) }
  }

  // MARK: - Bad input

  @Test func badInputNamesTheFileAndTheLine() throws {
    let m = try regressionModel(twoCovariates())
    let nan = Double.nan
    let allMissing = DataSet(source: "d.csv", columns: ["x1", "x2", "y"],
                             values: [1, 2, 3, nan, nan, nan, 2, 1, 0, 3, 0, 1, 0, 3, 2])
    let missingError = #expect(throws: InputError.self) { try m.validate(allMissing) }
    #expect(missingError?.message.contains("d.csv: line 3: every entry is missing") == true, "\(String(describing: missingError))")
    let noResponse = DataSet(source: "d.csv", columns: ["x1", "x2", "z"], values: [1, 2, 3, 2, 1, 0, 3, 0, 1, 0, 3, 2])
    let responseError = #expect(throws: InputError.self) { try m.validate(noResponse) }
    #expect(responseError?.message.contains("no column named 'y' (options.response)") == true)
    let cases: [(String, String)] = [
      (#"{ "model": "missing-data-regression", "options": {}, "columns": ["a", "y"] }"#, "options.response: expected the name"),
      (#"{ "model": "missing-data-regression", "options": { "response": "y" }, "columns": ["a", "b"] }"#,
       "columns: expected the response column 'y'"),
      (#"{ "model": "missing-data-regression", "options": { "response": "y", "missing": { "rate": 1 } }, "columns": ["a", "y"] }"#,
       "options.missing.rate: expected a rate in [0, 1)"),
      (#"{ "model": "missing-data-regression", "options": { "response": "y", "missing": { "rate": 0.1, "mechanism": "MNAR" } }, "columns": ["a", "y"] }"#,
       "options.missing.mechanism: expected one of"),
      (#"{ "model": "missing-data-regression", "options": { "response": "y" } }"#, "parameters: expected the model's parameters"),
    ]
    for (text, fragment) in cases {
      let error = #expect(throws: InputError.self) { try model(spec(text)) }
      #expect(error?.message.contains(fragment) == true, "\(String(describing: error)) lacks \(fragment)")
    }
    let wrongShape = twoCovariates().replacingOccurrences(of: "\"covariateMean\": [1, -2]", with: "\"covariateMean\": [1]")
    let shapeError = #expect(throws: InputError.self) { try model(spec(wrongShape), dimension: 3).specParameters(spec(wrongShape)) }
    #expect(shapeError?.message.contains("parameters.covariateMean: expected an array of 2 numbers") == true)
  }
}

/// The `emzoo` command on missing-data regression: the coefficient table, `check` with the
/// complete-case baseline, and `impute`.
@Suite(.serialized) struct MissingDataRegressionCLITests {
  let mar = repositoryRoot.appendingPathComponent("models/regression-mar.json").path

  @Test func fitPrintsTheTableAndImputeFillsTheGaps() throws {
    let dir = try temporaryDirectory()
    let csv = dir.appendingPathComponent("d.csv").path, result = dir.appendingPathComponent("r.json").path
    let imputed = dir.appendingPathComponent("i.csv").path
    #expect(try runEMZoo(["sample", mar, "--n", "2000", "--seed", "4", "--output", csv]).status == 0)
    let fit = try runEMZoo(["fit", mar, "--data", csv, "--output", result, "--restarts", "1"])
    #expect(fit.status == 0, "\(fit.stderr)")
    for fragment in ["regression of y on x1, x2, x3", "(intercept)", "p-value", "complete-case", "noise variance"] {
      #expect(fit.stderr.contains(fragment), "\(fit.stderr)")
    }
    let impute = try runEMZoo(["impute", result, "--data", csv, "--output", imputed])
    #expect(impute.status == 0, "\(impute.stderr)")
    let filled = try CSVReader.read(path: imputed)
    let original = try CSVReader.read(path: csv)
    #expect(filled.columns == original.columns && filled.rows == 2000 && !filled.hasMissing)
    for (a, b) in zip(original.values, filled.values) where !a.isNaN { #expect(a == b) }
    // Without --output the CSV goes to stdout.
    let stdout = try runEMZoo(["impute", result, "--data", csv])
    #expect(stdout.stdout.split(separator: "\n").count == 2001)
  }

  @Test func checkShowsTheCompleteCaseBaseline() throws {
    let r = try runEMZoo(["check", mar, "--n", "5000"])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("complete-case analysis") && r.stdout.contains("PASS"), "\(r.stdout)")
  }

  @Test func badInputExitsTwo() throws {
    let dir = try temporaryDirectory()
    let csv = dir.appendingPathComponent("d.csv").path, result = dir.appendingPathComponent("r.json").path
    try "x1,x2,x3,y\n1,2,3,4\n,,,\n2,1,0,1\n3,0,1,2\n0,3,2,1\n1,1,1,0\n".write(toFile: csv, atomically: true, encoding: .utf8)
    let fit = try runEMZoo(["fit", mar, "--data", csv, "--output", result, "--quiet"])
    #expect(fit.status == 2 && fit.stderr.contains("d.csv: line 3: every entry is missing"), "\(fit.stderr)")
    #expect(!FileManager.default.fileExists(atPath: result))
  }
}
