import Foundation
import Numerics
import Testing

@testable import EMZoo

/// `rowPosteriors` (emzoo predict) and `score` against independent values: scikit-learn and
/// hmmlearn at fixed parameters (bench/crosscheck_predict.py), and formulas written out here.
@Suite struct PredictTests {
  // MARK: - Gaussian mixture vs scikit-learn

  static let gmmSpec = """
    {"model": "gaussian-mixture", "options": {"components": 2, "covariance": "full"},
     "parameters": {"weights": [0.3, 0.7], "means": [[0, 0], [3, 1]],
                    "covariances": [[[1, 0.3], [0.3, 2]], [[1.5, -0.4], [-0.4, 0.8]]]}}
    """
  static let gmmData: [Double] = [0.1, -0.2, 2.9, 1.1, 1.5, 0.5, -1.0, 2.0, 4.0, 0.0, 1.2, 0.9]

  // From bench/crosscheck_predict.py (scikit-learn 1.9.1 GaussianMixture with these parameters:
  // predict, predict_proba, score_samples).
  static let gmmLabels = [0, 1, 1, 0, 1, 1]
  static let gmmProbabilities: [Double] = [0.9883582926945133, 0.011641707305486651, 0.004665537604904094, 0.9953344623950957, 0.28034338260563346, 0.7196566173943664, 0.9089169983959046, 0.09108300160409503, 0.0001496519501086142, 0.9998503480498913, 0.34865012012068336, 0.6513498798793165]
  static let gmmLogLikelihoods: [Double] = [-3.3725396567575956, -2.2166974501899235, -3.2193158812890443, -5.154716745821906, -2.9351665499294857, -3.1080501895142625]

  @Test func gaussianMixtureMatchesScikitLearn() throws {
    let s = try spec(Self.gmmSpec)
    let data = DataSet(source: "test", columns: ["x1", "x2"], values: Self.gmmData)
    let rows = try #require(try model(s, dimension: 2).rowPosteriors(spec: s, data: data))
    #expect(rows.labelCount == 2)
    #expect(!rows.labelsArePath)
    #expect(rows.labels == Self.gmmLabels)
    expectClose(rows.probabilities, Self.gmmProbabilities, 1e-10)
    expectClose(rows.logLikelihoods, Self.gmmLogLikelihoods, 1e-10)
    // 1 − max p and Σᵢ log maxₖ p(k | xᵢ) from scikit-learn's probabilities.
    let maxima = (0..<6).map { max(Self.gmmProbabilities[2 * $0], Self.gmmProbabilities[2 * $0 + 1]) }
    expectClose(rows.uncertainties, maxima.map { 1 - $0 }, 1e-8)
    let classification = try #require(rows.classificationLogLikelihood)
    #expect(classification.isApproximatelyEqual(to: maxima.reduce(0) { $0 + log($1) }, relativeTolerance: 1e-10))
    // Σᵢ ℓᵢ is the log-likelihood the fit reports at these parameters.
    let total = try model(s, dimension: 2).logLikelihood(spec: s, data: data)
    #expect(rows.logLikelihoods.reduce(0, +).isApproximatelyEqual(to: total, relativeTolerance: 1e-12))
  }

  /// A missing entry is marginalised: p(k | x₂) ∝ πₖ N(x₂ | μₖ₂, Σₖ₂₂), written out.
  @Test func gaussianMixtureMarginalisesMissingEntries() throws {
    let s = try spec(Self.gmmSpec)
    let data = DataSet(source: "test", columns: ["x1", "x2"], values: [.nan, 0.5])
    let rows = try #require(try model(s, dimension: 2).rowPosteriors(spec: s, data: data))
    func normal(_ x: Double, _ mean: Double, _ variance: Double) -> Double {
      exp(-(x - mean) * (x - mean) / (2 * variance)) / (2 * Double.pi * variance).squareRoot()
    }
    let joint = [0.3 * normal(0.5, 0, 2), 0.7 * normal(0.5, 1, 0.8)]
    let total = joint[0] + joint[1]
    expectClose(rows.probabilities, joint.map { $0 / total }, 1e-12)
    expectClose(rows.logLikelihoods, [log(total)], 1e-12)
    #expect(rows.labels == [joint[0] > joint[1] ? 0 : 1])
  }

  // MARK: - Poisson mixture, by hand

  /// log f(x | λ) = Σⱼ xⱼ log λⱼ − λⱼ − log xⱼ!, so each row's log-likelihood includes −log x!.
  @Test func poissonMixtureRowsIncludeTheFactorials() throws {
    let s = try spec("""
      {"model": "poisson-mixture", "options": {"components": 2},
       "parameters": {"weights": [0.4, 0.6], "rates": [[1.5, 4], [6, 0.5]]}}
      """)
    let values: [Double] = [0, 3, 7, 1, 2, .nan, 12, 9]
    let data = DataSet(source: "test", columns: ["a", "b"], values: values)
    let rows = try #require(try model(s, dimension: 2).rowPosteriors(spec: s, data: data))
    let rates = [[1.5, 4.0], [6.0, 0.5]], weights = [0.4, 0.6]
    for i in 0..<4 {
      let joint = (0..<2).map { k in
        weights[k] * exp((0..<2).reduce(0.0) { sum, j in
          let x = values[i * 2 + j]
          return x.isNaN ? sum : sum + x * log(rates[k][j]) - rates[k][j] - lgamma(x + 1)
        })
      }
      let total = joint[0] + joint[1]
      #expect(rows.logLikelihoods[i].isApproximatelyEqual(to: log(total), relativeTolerance: 1e-12))
      #expect(rows.probabilities[i * 2].isApproximatelyEqual(to: joint[0] / total, relativeTolerance: 1e-10))
    }
    let total = try model(s, dimension: 2).logLikelihood(spec: s, data: data)
    #expect(rows.logLikelihoods.reduce(0, +).isApproximatelyEqual(to: total, relativeTolerance: 1e-12))
  }

  // MARK: - Gaussian HMM vs hmmlearn

  // From bench/crosscheck_predict.py (hmmlearn 0.3.3 GaussianHMM with these parameters:
  // predict, predict_proba with lengths [4, 3], score and decode of each sequence).
  static let hmmViterbi = [0, 0, 1, 1, 0, 0, 1]
  static let hmmPosteriors: [Double] = [0.9981822541518177, 0.0018177458481819972, 0.9998315255819532, 0.0001684744180465236, 0.04564447805423295, 0.9543555219457667, 0.007191181066476474, 0.9928088189335239, 0.8325223100275134, 0.167477689972487, 0.9910972998109373, 0.008902700189062925, 0.03187638450746835, 0.9681236154925316]
  static let hmmSequenceLogLikelihoods: [Double] = [-5.9436852211241, -5.743896232245409]
  static let hmmViterbiLogJoint: [Double] = [-5.997688983711779, -5.9636490968483455]

  @Test func hiddenMarkovModelMatchesHmmlearn() throws {
    let s = try spec("""
      {"model": "hmm", "options": {"states": 2, "emission": "gaussian"},
       "parameters": {"initial": [0.6, 0.4], "transition": [[0.8, 0.2], [0.3, 0.7]],
                      "means": [[0], [2.5]], "covariances": [[[1]], [[0.5]]]}}
      """)
    let data = DataSet(source: "test", columns: ["y"], values: [0.2, -0.5, 2.4, 2.9, 1.3, 0.1, 3.1],
                       sequences: [0..<4, 4..<7])
    let rows = try #require(try model(s, dimension: 1).rowPosteriors(spec: s, data: data))
    #expect(rows.labelsArePath)
    #expect(rows.labels == Self.hmmViterbi)
    expectClose(rows.probabilities, Self.hmmPosteriors, 1e-10)
    // log p(sequence) on each sequence's first row, NaN on the others.
    expectClose([rows.logLikelihoods[0], rows.logLikelihoods[4]], Self.hmmSequenceLogLikelihoods, 1e-10)
    #expect(rows.logLikelihoods.enumerated().allSatisfy { $0.offset == 0 || $0.offset == 4 || $0.element.isNaN })
    // log p(Viterbi path | x) = log p(path, x) − log p(x), summed over the sequences.
    let expected = zip(Self.hmmViterbiLogJoint, Self.hmmSequenceLogLikelihoods).reduce(0) { $0 + $1.0 - $1.1 }
    let classification = try #require(rows.classificationLogLikelihood)
    #expect(classification.isApproximatelyEqual(to: expected, relativeTolerance: 1e-10))
  }

  // MARK: - Regression

  /// ŷ = β₀ + βᵀx with complete covariates (the row's own y unused); with x₂ missing,
  /// E[y | x₁] = μ_y + Σ_y1 / Σ_11 (x₁ − μ₁) from the joint normal, written out.
  @Test func regressionPredictsFromObservedCovariates() throws {
    let s = try spec("""
      {"model": "missing-data-regression", "options": {"response": "y"},
       "parameters": {"coefficients": [1, 2, -0.5], "noiseVariance": 0.25,
                      "covariateMean": [0.5, -1], "covariateCovariance": [[1, 0.4], [0.4, 2]]}}
      """)
    let data = DataSet(source: "test", columns: ["x1", "x2", "y"],
                       values: [1, 2, 100, 0.3, .nan, .nan, .nan, .nan, 4])
    let rows = try #require(try model(s, dimension: 3).rowPosteriors(spec: s, data: data))
    #expect(rows.labelCount == 0 && rows.labels.isEmpty && rows.classificationLogLikelihood == nil)
    // μ_y = 1 + 2(0.5) − 0.5(−1) = 2.5; Σ_y1 = (Sβ)₁ = 1·2 + 0.4·(−0.5) = 1.8; Σ_11 = 1.
    let complete: Double = 1 + 2 * 1 - 0.5 * 2
    let partial: Double = 2.5 + 1.8 * (0.3 - 0.5)
    let expected: [Double] = [complete, partial, 2.5]
    expectClose(rows.predictions, expected, 1e-12)
    // ℓ of the third row: log N(4 | μ_y, Σ_yy), Σ_yy = βᵀSβ + σ² = 4 − 0.8 + 0.5 + 0.25 = 3.95.
    let variance = 3.95
    let density = -0.5 * log(2 * Double.pi * variance) - (4 - 2.5) * (4 - 2.5) / (2 * variance)
    #expect(rows.logLikelihoods[2].isApproximatelyEqual(to: density, relativeTolerance: 1e-12))
  }

  // MARK: - Score and ICL at fitted parameters

  @Test func scoreEqualsTheFitAndIclAddsTheClassificationTerm() throws {
    let s = try spec(Self.gmmSpec)
    let m = try model(s)
    let data = try m.sampleData(spec: s, count: 500, seed: 3)
    let report = try m.fitReport(spec: s, data: data, options: options())
    let result = try ModelSpec(text: report.result.formatted(), file: "result.json")
    let refit = try model(result, dimension: 2)
    let score = try refit.score(spec: result, data: data)
    #expect(score.logLikelihood.isApproximatelyEqual(to: report.logLikelihood, relativeTolerance: 1e-12))
    #expect(score.n == 500)
    #expect(Double(score.parameterCount) == number(report.result["parameterCount"]))
    // −2ℓ + p log n and −2ℓ + 2p, written out (p = 1 + 2·2 + 2·3 = 11 for K = 2, d = 2 full).
    #expect(score.parameterCount == 11)
    #expect(score.bic.isApproximatelyEqual(to: 11 * log(500.0) - 2 * score.logLikelihood, relativeTolerance: 1e-12))
    #expect(score.aic.isApproximatelyEqual(to: 22 - 2 * score.logLikelihood, relativeTolerance: 1e-12))
    #expect(score.meanLogLikelihood.isApproximatelyEqual(to: score.logLikelihood / 500, relativeTolerance: 1e-12))
    #expect(number(report.result["bic"]).isApproximatelyEqual(to: score.bic, relativeTolerance: 1e-9))
    // icl = bic − 2 Σᵢ log maxₖ p(k | xᵢ), the probabilities from predict.
    let rows = try #require(try refit.rowPosteriors(spec: result, data: data))
    let classification = (0..<500).reduce(0.0) { $0 + log(max(rows.probabilities[2 * $1], rows.probabilities[2 * $1 + 1])) }
    #expect(number(report.result["icl"]).isApproximatelyEqual(to: score.bic - 2 * classification, relativeTolerance: 1e-9))
    #expect(number(report.result["icl"]) >= number(report.result["bic"]))
  }

  @Test func regressionResultsHaveNoIcl() throws {
    let s = try spec("""
      {"model": "missing-data-regression", "options": {"response": "y"},
       "parameters": {"coefficients": [1, 2], "noiseVariance": 0.25,
                      "covariateMean": [0.5], "covariateCovariance": [[1]]}}
      """)
    let m = try model(s)
    let data = try m.sampleData(spec: s, count: 200, seed: 3)
    let report = try m.fitReport(spec: s, data: data, options: options())
    #expect(report.result["icl"] == nil)
    #expect(report.result["bic"] != nil)
  }

  @Test func hmmIclUsesTheViterbiPath() throws {
    let s = try spec("""
      {"model": "hmm", "options": {"states": 2, "emission": "gaussian"},
       "parameters": {"initial": [0.6, 0.4], "transition": [[0.9, 0.1], [0.2, 0.8]],
                      "means": [[0], [3]], "covariances": [[[1]], [[0.5]]]}}
      """)
    let m = try model(s)
    let data = try m.sampleData(spec: s, count: 400, seed: 5)
    let report = try m.fitReport(spec: s, data: data, options: options())
    let result = try ModelSpec(text: report.result.formatted(), file: "result.json")
    let rows = try #require(try model(result, dimension: 1).rowPosteriors(spec: result, data: data))
    let term = try #require(rows.classificationLogLikelihood)
    #expect(term <= 0)
    #expect(number(report.result["icl"]).isApproximatelyEqual(to: number(report.result["bic"]) - 2 * term, relativeTolerance: 1e-12))
    #expect(rows.logLikelihoods[0].isApproximatelyEqual(to: report.logLikelihood, relativeTolerance: 1e-12))
  }

  // MARK: - Helpers

  func number(_ value: JSONValue?) -> Double {
    if case .number(let x)? = value { return x }
    Issue.record("expected a number, found \(String(describing: value))")
    return .nan
  }

  func expectClose(_ a: [Double], _ b: [Double], _ tolerance: Double,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, sourceLocation: sourceLocation)
    for (x, y) in zip(a, b) {
      #expect(x.isApproximatelyEqual(to: y, absoluteTolerance: tolerance * max(1, abs(y))),
              "\(x) vs \(y)", sourceLocation: sourceLocation)
    }
  }
}
