public import EMZooCore
public import EMZooModels
import Foundation

/// A finished fit: the result JSON (itself a valid spec) and the numbers callers print.
public struct FitReport: Sendable {
  public var result: JSONValue
  public var logLikelihood: Double
  public var logPosterior: Double?
  public var iterations: Int
  /// E steps run by the best start.
  public var evaluations: Int
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

  /// The checks of `data` before a fit: its columns and entries, then what fitting needs (an
  /// observed value in every column, …). With a row window each process checks its own rows;
  /// all stop at the first failure. Work the checks do on several threads (packing a Bernoulli
  /// mixture's rows) uses at most `threads` of them (0: every core), like the fit.
  public func checkDataForFitting(_ data: DataSet, threads: Int = 0) throws {
    try FitOptions.$preparationThreads.withValue(threads) {
      try Processes.group.agreeing {
        try checkColumns(data)
        try validate(data)
      }
      try Processes.group.agreeing { try validateForFitting(data) }
    }
  }

  /// Fits by EM and builds the result JSON.
  ///
  /// `dataPath`, when given, is recorded as the result's `data` member as is (make it relative
  /// to the result file with `ModelSpec.dataReference(_:from:)`), so that commands reading the
  /// result find the data without `--data`.
  public func fitReport(
    spec: ModelSpec, data: DataSet, options: FitOptions, dataPath: String? = nil
  ) throws -> FitReport {
    try checkDataForFitting(data, threads: options.threads)
    let start = try specParameters(spec)
    if options.initialization == .spec, start == nil {
      throw spec.parameters.error("fit.init \"spec\" needs the spec's parameters")
    }
    let held = try heldBlocks(spec)
    let outcome: FitOutcome<Parameters>
    var p = Double(parameterCount(dimension: data.dimension))
    if let held {
      outcome = try EMEngine.fit(held, to: data, options: options, start: start.map { held.holding($0) })
      p -= Double(held.heldCount)
    } else {
      outcome = try EMEngine.fit(self, to: data, options: options, start: start)
    }
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
    ]
    if let sequence = spec.sequenceColumn { members.append(("sequence", .string(sequence))) }
    members += [
      ("parameters", encodeParameters(outcome.parameters)),
    ]
    if let priorJSON { members.append(("prior", priorJSON)) }
    members += [("logLikelihood", .number(outcome.logLikelihood))]
    if let logPosterior = outcome.logPosterior { members.append(("logPosterior", .number(logPosterior))) }
    members += [
      ("iterations", .number(Double(outcome.iterations))),
      ("evaluations", .number(Double(outcome.evaluations))),
      ("converged", .bool(outcome.converged)),
      ("trace", JSONValue(outcome.trace)),
      ("evaluationTrace", .array(outcome.evaluationTrace.map { .number(Double($0)) })),
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
    // Under MPI (even with one process) the result says how many processes shared the E step;
    // apart from this and `seconds` it is the same for every process count.
    if Processes.group.isDistributed {
      members.append(("processes", .number(Double(Processes.group.size))))
    }
    members += [
      ("seconds", .number((outcome.seconds * 1e6).rounded() / 1e6)),
    ]
    let extras = extraResults(outcome.parameters, data: data)
    // Generic standard errors unless the kind gives its own (the regression's analytic ones).
    var notes: [String] = []
    let coordinates = coordinates(outcome.parameters)?.count ?? 0
    // By default only when the 2m² likelihood evaluations of the numerical Hessian stay cheap:
    // an E step costs about rows × statisticsCount (0.3–0.6 ns each in a release build), so the
    // budget of 10¹⁰ is a few seconds (an 8-state 4-D Gaussian HMM on 10⁴ rows, 175 coordinates,
    // would take 40 s; a 4-class 20-column Bernoulli mixture on 10⁴ rows 14 s: both are skipped
    // with a note). Deterministic: no clock.
    let hessianWork = 2 * Double(coordinates) * Double(coordinates) * Double(data.rows) * Double(statisticsCount)
    let wanted = options.standardErrors ?? (coordinates <= 2000 && hessianWork <= 1e10)
    if wanted, !extras.contains(where: { $0.key == "standardErrors" }) {
      let (errors, errorNotes) = standardErrorMembers(
        outcome.parameters, data: data, held: held?.names ?? [], threads: options.threads)
      members.insert(("standardErrors", errors), at: (members.firstIndex { $0.key == "parameters" } ?? 0) + 1)
      notes += errorNotes
    } else if options.standardErrors == nil, !extras.contains(where: { $0.key == "standardErrors" }) {
      notes.append("standardErrors skipped: \(coordinates) coordinates need \(2 * coordinates * coordinates) likelihood evaluations of \(data.rows) rows; set fit.standardErrors true to compute them")
    }
    members += extras
    if !notes.isEmpty { members.append(("notes", .array(notes.map { .string($0) }))) }
    return FitReport(
      result: .object(members), logLikelihood: outcome.logLikelihood, logPosterior: outcome.logPosterior,
      iterations: outcome.iterations, evaluations: outcome.evaluations, converged: outcome.converged,
      seconds: outcome.seconds, restarts: outcome.restarts, restartsAtBest: outcome.restartsAtBest,
      atBestTolerance: outcome.atBestTolerance)
  }

  /// The model with the spec's `fit.fixed` blocks held at the spec's values; nil when none are.
  /// A name that is not a parameter block of this model, or a block the spec's `parameters`
  /// does not give, is an input error.
  func heldBlocks(_ spec: ModelSpec) throws -> HeldBlocks<Self>? {
    let names = spec.fit.fixed
    guard !names.isEmpty else { return nil }
    let place = "\(spec.file): fit.fixed"
    guard let values = try specParameters(spec) else {
      throw InputError("\(place): \"\(names[0])\" is held at the spec's value, but the spec gives no parameters")
    }
    guard case .object(let members) = encodeParameters(values) else { return nil }
    let valid = coordinateBlocks(values).map(\.name).filter { name in members.contains { $0.key == name } }
    for name in names where !valid.contains(name) {
      throw InputError(valid.isEmpty
        ? "\(place): model \(kind) cannot hold parameters fixed"
        : "\(place): unknown parameter block \"\(name)\"; expected one of \(valid.joined(separator: ", "))")
    }
    if let absent = names.first(where: { !spec.parameters[$0].isPresent }) {
      throw InputError("\(place): \"\(absent)\" is held at the spec's value, but parameters.\(absent) is not given")
    }
    return HeldBlocks(self, holding: Set(names), at: values)
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
    members += [("iterations", .number(Double(iterations))), ("evaluations", .number(Double(evaluations))),
                ("converged", .bool(converged))]
    if !repairs.isEmpty { members.append(("repairs", .array(repairs.map { .string($0) }))) }
    if let failure { members.append(("failure", .string(failure))) }
    if degenerate { members.append(("degenerate", .bool(true))) }
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
  /// cannot impute, `ImputationUnavailable` when this model's family cannot (categorical
  /// symbols, a C plugin without `conditional_mean`).
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
