public import EMZooCore
import EMZooModels
import Foundation

/// Model selection over the number of components (or states) and the covariance structure,
/// as mclust's `Mclust(x, G = A:B, modelNames = …)` does: one fit per candidate, ranked by BIC
/// or ICL (lower is better, scikit-learn's sign; mclust's BIC is the negative).
public struct ModelSelection: Sendable {
  /// The ranking criterion.
  public enum Criterion: String, Sendable, CaseIterable {
    case bic, icl
  }

  /// One candidate model: its K and covariance type, and its fit (or why it failed).
  public struct Row: Sendable {
    /// K, the number of components or states.
    public var labels: Int
    /// The covariance type, when the kind has the option (from the model's options in effect).
    public var covariance: String?
    /// The spec the candidate was fitted from (the original with its options rewritten).
    public var spec: ModelSpec
    /// The fit, or nil when it could not run.
    public var report: FitReport?
    /// Why the fit could not run.
    public var failure: String?

    public var logLikelihood: Double? { report?.logLikelihood }
    public var converged: Bool { report?.converged ?? false }
    public var parameterCount: Int? { number("parameterCount").map { Int($0) } }
    public var bic: Double? { number("bic") }
    public var icl: Double? { number("icl") }

    /// Whether the fit is a spurious maximum: a component (or state) with a variance at the
    /// covariance floor, i.e. collapsed onto tied values of a column, where the likelihood is
    /// unbounded. mclust reports such fits as missing; here they rank after the others.
    public var degenerate: Bool {
      let floor = spec.fit.covarianceFloor
      guard floor > 0, case .array(let covariances)? = report?.result["parameters"]?["covariances"] else { return false }
      return covariances.contains { matrix in
        guard case .array(let rows) = matrix else { return false }
        return rows.indices.contains { j in
          guard case .array(let row) = rows[j], j < row.count, case .number(let variance) = row[j] else { return false }
          return variance <= floor * (1 + 1e-6)
        }
      }
    }

    /// The candidate's value of `criterion` (+∞ when it has none, so it ranks last).
    public func value(_ criterion: Criterion) -> Double {
      (criterion == .bic ? bic : icl) ?? .infinity
    }

    func number(_ key: String) -> Double? {
      if case .number(let x)? = report?.result[key] { return x }
      return nil
    }
  }

  /// "components", or "states" for a kind that counts states (hmm).
  public var labelKey: String
  /// The candidates' specs, K outermost, then the covariance types in the order given.
  public var candidates: [(labels: Int, covariance: String?, spec: ModelSpec)]

  /// The candidates for K in `labels` and each of `covariances` (nil: the spec's own), from a
  /// spec whose `options` has `components` or `states`. The rewritten specs drop `parameters`
  /// and start from k-means++ when the spec said `fit.init: "spec"`.
  public init(spec: ModelSpec, labels: ClosedRange<Int>, covariances: [String]?) throws {
    guard case .object(let members)? = spec.options.value else {
      throw spec.options.error("select needs options.components (or options.states) to vary")
    }
    guard let key = ["components", "states"].first(where: { key in members.contains { $0.key == key } }) else {
      throw spec.options.error("select needs options.components (or options.states for hmm) to vary; found neither")
    }
    labelKey = key
    candidates = []
    for K in labels {
      for covariance in covariances.map({ $0.map(Optional.some) }) ?? [nil] {
        var options = members.filter { $0.key != key && (covariance == nil || $0.key != "covariance") }
        options.insert((key, .number(Double(K))), at: 0)
        if let covariance { options.append(("covariance", .string(covariance))) }
        var candidate = spec
        candidate.options = Field(.object(options), path: spec.options.path, file: spec.file)
        candidate.parameters = Field(nil, path: spec.parameters.path, file: spec.file)
        if candidate.fit.initialization == .spec { candidate.fit.initialization = .kmeansPlusPlus }
        candidates.append((K, covariance, candidate))
      }
    }
  }

  /// Builds every candidate's model and checks the data first (so a bad option or a bad entry
  /// fails before any fit), then fits
  /// each in order. `progress` is told which fit starts (index from 0). A fit that cannot run
  /// (too few distinct rows for K, a numerical failure) becomes a row with its `failure`;
  /// when every fit fails, the first error is thrown.
  public func run(data: DataSet, registry: ModelRegistry, settings: FitSettings,
                  fitProgress: (@Sendable (FitProgress) -> Void)? = nil,
                  progress: (Int, Int, String?) -> Void = { _, _, _ in }) throws -> [Row] {
    let models = try candidates.map { try registry.model(for: $0.spec, dimension: data.dimension) }
    // Data that no candidate can fit (a bad entry, a wrong column count, a column with no
    // observed value) fails here, once, before any fit starts and before `progress` says
    // anything: the candidates differ only in K and the covariance type, which these checks do
    // not read.
    try models.first?.checkDataForFitting(data, threads: settings.threads)
    var rows: [Row] = []
    var firstError: Error?
    for (index, (candidate, model)) in zip(candidates, models).enumerated() {
      progress(index, candidate.labels, candidate.covariance)
      var options = settings
      options.initialization = candidate.spec.fit.initialization
      var row = Row(labels: candidate.labels, covariance: Self.covariance(of: model) ?? candidate.covariance,
                    spec: candidate.spec)
      do {
        row.report = try model.fitReport(spec: candidate.spec, data: data, options: FitOptions(options, progress: fitProgress))
      } catch let error as InputError {
        row.failure = error.message
        firstError = firstError ?? error
      } catch let error as FitFailure {
        row.failure = error.description
        firstError = firstError ?? error
      }
      rows.append(row)
    }
    if let firstError, rows.allSatisfy({ $0.report == nil }) { throw firstError }
    return rows
  }

  /// The covariance type a model is using, from its options in effect.
  static func covariance(of model: any SpecifiedModel) -> String? {
    if case .string(let type)? = model.options["covariance"] { return type }
    return nil
  }

  /// The rows best first by `criterion` (lower is better), then the degenerate fits, then
  /// the failed ones; ties kept in candidate order.
  public static func ranked(_ rows: [Row], by criterion: Criterion) -> [Row] {
    func group(_ row: Row) -> Int { row.report == nil ? 2 : row.degenerate ? 1 : 0 }
    return rows.enumerated().sorted { a, b in
      let (g, h) = (group(a.element), group(b.element))
      if g != h { return g < h }
      let x = a.element.value(criterion), y = b.element.value(criterion)
      return x != y ? x < y : a.offset < b.offset
    }.map(\.element)
  }

  /// Every row as JSON (the `--table` file), best first, the best marked.
  public static func table(_ ranked: [Row], criterion: Criterion, labelKey: String) -> JSONValue {
    func number(_ x: Double?) -> JSONValue { x.flatMap { $0.isFinite ? JSONValue.number($0) : nil } ?? .null }
    return .object([
      ("criterion", .string(criterion.rawValue)),
      ("rows", .array(ranked.enumerated().map { index, row in
        var members: [(key: String, value: JSONValue)] = [(labelKey, .number(Double(row.labels)))]
        if let covariance = row.covariance { members.append(("covariance", .string(covariance))) }
        members += [
          ("logLikelihood", number(row.logLikelihood)),
          ("parameterCount", number(row.parameterCount.map(Double.init))),
          ("bic", number(row.bic)),
          ("icl", number(row.icl)),
          ("converged", .bool(row.converged)),
          ("best", .bool(index == 0 && row.report != nil && !row.degenerate)),
        ]
        if row.degenerate { members.append(("degenerate", .bool(true))) }
        if let failure = row.failure { members.append(("failure", .string(failure))) }
        return .object(members)
      })),
    ])
  }
}
