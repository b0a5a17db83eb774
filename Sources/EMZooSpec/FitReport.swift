public import EMZooCore
public import EMZooModels
import Foundation

/// A finished fit: the result JSON (itself a valid spec) and the numbers callers print.
public struct FitReport: Sendable {
  public var result: JSONValue
  public var logLikelihood: Double
  public var logPosterior: Double?
  public var iterations: Int
  public var converged: Bool
  public var seconds: Double
  public var restarts: [RestartSummary]
  /// How many restarts reached the best objective within `atBestTolerance`.
  public var restartsAtBest: Int
  public var atBestTolerance: Double
}

extension SpecifiedModel {
  /// The spec's parameters, validated; nil when the spec has none.
  public func specParameters(_ spec: ModelSpec) throws -> Parameters? {
    spec.parameters.isPresent ? try decodeParameters(spec.parameters) : nil
  }

  /// Fits by EM and builds the result JSON.
  ///
  /// `dataPath`, when given, is recorded as the result's `data` member as is (make it relative
  /// to the result file with `ModelSpec.dataReference(_:from:)`), so that commands reading the
  /// result find the data without `--data`.
  public func fitReport(
    spec: ModelSpec, data: DataSet, options: FitOptions, dataPath: String? = nil
  ) throws -> FitReport {
    try checkColumns(data)
    try validate(data)
    try validateForFitting(data)
    let start = try specParameters(spec)
    if options.initialization == .spec, start == nil {
      throw spec.parameters.error("fit.init \"spec\" needs the spec's parameters")
    }
    let outcome = try EMEngine.fit(self, to: data, options: options, start: start)
    let p = Double(parameterCount(dimension: data.dimension))
    let n = Double(data.rows)
    let bic = p * log(n) - 2 * outcome.logLikelihood
    // ICL (Biernacki, Celeux & Govaert 2000, as mclust computes it): BIC plus −2 log p(ẑ | x).
    let icl = try classificationLogLikelihood(outcome.parameters, data: data).map { bic - 2 * $0 }
    var members: [(key: String, value: JSONValue)] = [
      ("name", .string(spec.name)),
      ("model", .string(kind)),
    ]
    if let description = spec.description { members.append(("description", .string(description))) }
    members.append(("options", self.options))
    if let dataPath { members.append(("data", .string(dataPath))) }
    members += [
      ("columns", .array(data.columns.map { .string($0) })),
      ("parameters", encodeParameters(outcome.parameters)),
    ]
    if let priorJSON { members.append(("prior", priorJSON)) }
    members += [("logLikelihood", .number(outcome.logLikelihood))]
    if let logPosterior = outcome.logPosterior { members.append(("logPosterior", .number(logPosterior))) }
    members += [
      ("iterations", .number(Double(outcome.iterations))),
      ("converged", .bool(outcome.converged)),
      ("trace", JSONValue(outcome.trace)),
      ("n", .number(n)),
      ("parameterCount", .number(p)),
      ("aic", .number(2 * p - 2 * outcome.logLikelihood)),
      ("bic", .number(bic)),
    ]
    if let icl { members.append(("icl", .number(icl))) }
    members += [
      ("restarts", .array(outcome.restarts.map { $0.json })),
      ("bestRestart", .number(Double(outcome.bestRestart))),
      ("restartsAtBest", .number(Double(outcome.restartsAtBest))),
      ("atBestTolerance", .number(outcome.atBestTolerance)),
    ]
    if outcome.shortRuns > 0 { members.append(("shortRuns", .number(Double(outcome.shortRuns)))) }
    members += [
      ("seconds", .number((outcome.seconds * 1e6).rounded() / 1e6)),
    ]
    members += extraResults(outcome.parameters, data: data)
    return FitReport(
      result: .object(members), logLikelihood: outcome.logLikelihood, logPosterior: outcome.logPosterior,
      iterations: outcome.iterations, converged: outcome.converged, seconds: outcome.seconds,
      restarts: outcome.restarts, restartsAtBest: outcome.restartsAtBest, atBestTolerance: outcome.atBestTolerance)
  }

  /// `count` rows drawn from the spec's parameters, with column names from the spec.
  public func sampleData(spec: ModelSpec, count: Int, seed: UInt64) throws -> DataSet {
    guard let truth = try specParameters(spec) else {
      throw spec.parameters.error("expected the model's parameters to sample from")
    }
    var data = try sample(truth, count: count, random: RandomSource(seed: seed))
    if let columns = spec.columns {
      guard columns.count == data.columns.count else {
        throw InputError("\(spec.file): columns: expected \(data.columns.count) names for this model, found \(columns.count)")
      }
      data.columns = columns
    }
    return data
  }

  /// The log-likelihood of `data` at the spec's parameters (every constant included).
  public func logLikelihood(spec: ModelSpec, data: DataSet) throws -> Double {
    guard let parameters = try specParameters(spec) else {
      throw spec.parameters.error("expected the model's parameters")
    }
    try checkColumns(data)
    try validate(data)
    return try EMEngine.logLikelihood(self, of: data, at: parameters)
  }
}

extension RestartSummary {
  /// The summary as a result member.
  public var json: JSONValue {
    var members: [(key: String, value: JSONValue)] = [
      ("seed", .number(Double(seed))),
    ]
    if let initialization { members.append(("init", .string(initialization.rawValue))) }
    members += [
      ("logLikelihood", logLikelihood.isFinite ? .number(logLikelihood) : .null),
    ]
    if let logPosterior { members.append(("logPosterior", .number(logPosterior))) }
    members += [("iterations", .number(Double(iterations))), ("converged", .bool(converged))]
    if !repairs.isEmpty { members.append(("repairs", .array(repairs.map { .string($0) }))) }
    if let failure { members.append(("failure", .string(failure))) }
    members.append(("trace", JSONValue(trace)))
    return .object(members)
  }
}

extension SpecifiedModel {
  /// The spec's (fitted) parameters, or an error saying what they are needed for.
  func requiredParameters(_ spec: ModelSpec, for purpose: String) throws -> Parameters {
    guard let parameters = try specParameters(spec) else {
      throw spec.parameters.error("expected the model's parameters (a fitted result) to \(purpose)")
    }
    return parameters
  }

  /// The data with missing entries imputed under the spec's parameters; nil when this kind
  /// cannot impute.
  public func imputed(spec: ModelSpec, data: DataSet) throws -> DataSet? {
    try imputed(try requiredParameters(spec, for: "impute from"), data: data)
  }

  /// The hidden states of every row under the spec's parameters; nil when this kind has none.
  public func decodedStates(spec: ModelSpec, data: DataSet) throws -> StateDecoding? {
    try decodedStates(try requiredParameters(spec, for: "decode with"), data: data)
  }

  /// p(k | row) of every row under the spec's parameters; nil when this kind is no mixture.
  public func responsibilities(spec: ModelSpec, data: DataSet) throws -> [[Double]]? {
    try responsibilities(try requiredParameters(spec, for: "classify with"), data: data)
  }

  /// The label (component or state) of every row under the spec's parameters; empty when
  /// this kind has none.
  public func assignments(spec: ModelSpec, data: DataSet) throws -> [Int] {
    try assignments(try requiredParameters(spec, for: "classify with"), data: data)
  }
}
