public import EMZooCore
public import EMZooModels
import Foundation

/// How well fixed parameters explain a data set (`emzoo score`): no fitting.
public struct ScoreReport: Sendable, Equatable {
  /// ℓ = log p(data | θ), every constant included (as in a fit result).
  public var logLikelihood: Double
  /// n, the number of rows.
  public var n: Int
  /// p, the free parameters (as in a fit result).
  public var parameterCount: Int

  public init(logLikelihood: Double, n: Int, parameterCount: Int) {
    self.logLikelihood = logLikelihood
    self.n = n
    self.parameterCount = parameterCount
  }

  /// ℓ / n (scikit-learn's `score(X)`); NaN for no rows.
  public var meanLogLikelihood: Double { logLikelihood / Double(n) }
  /// −2ℓ + 2p.
  public var aic: Double { 2 * Double(parameterCount) - 2 * logLikelihood }
  /// −2ℓ + p log n.
  public var bic: Double { Double(parameterCount) * log(Double(n)) - 2 * logLikelihood }

  /// The score as JSON, with fit results' names.
  public var json: JSONValue {
    func number(_ x: Double) -> JSONValue { x.isFinite ? .number(x) : .null }
    return .object([
      ("logLikelihood", number(logLikelihood)),
      ("n", .number(Double(n))),
      ("meanLogLikelihood", number(meanLogLikelihood)),
      ("parameterCount", .number(Double(parameterCount))),
      ("aic", number(aic)),
      ("bic", number(bic)),
    ])
  }
}

extension SpecifiedModel {
  /// The log-likelihood, AIC and BIC of `data` at the spec's (fitted) parameters.
  public func score(spec: ModelSpec, data: DataSet) throws -> ScoreReport {
    let parameters = try requiredParameters(spec, for: "score")
    try checkColumns(data)
    try validate(data)
    let logLikelihood = try EMEngine.logLikelihood(self, of: data, at: parameters)
    return ScoreReport(logLikelihood: logLikelihood, n: data.rows, parameterCount: parameterCount(dimension: data.dimension))
  }

  /// Labels, posterior probabilities, log-likelihoods and predictions of every row of `data`
  /// under the spec's (fitted) parameters; nil when the kind reports nothing per row.
  public func rowPosteriors(spec: ModelSpec, data: DataSet) throws -> RowPosteriors? {
    try rowPosteriors(try requiredParameters(spec, for: "predict with"), data: data)
  }
}
