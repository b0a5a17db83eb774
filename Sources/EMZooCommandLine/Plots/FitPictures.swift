public import EMZooCore
public import EMZooSpec
import EMZooModels
import Foundation

/// The pictures of one fit (`emzoo plot`, and `--plot` on `fit` and `check`), built from the
/// result JSON, the data and the model.
///
/// What is drawn depends on what the result holds, so that a kind added by a plugin gets
/// pictures too:
///
/// - every result with a `trace`: `trace.svg`, one line per restart, the best highlighted;
/// - a kind with hidden state sequences (`hmm`): `states.svg` (Viterbi states and posteriors
///   of the first 1 000 rows);
/// - `coefficients` (the regression): `coefficients.svg`, EM beside complete cases;
/// - a mixture with `means` and `covariances`: `density.svg` (d = 1), `classification.svg`
///   and `uncertainty.svg` with 95% ellipses;
/// - a mixture with `rates` (counts): `frequencies.svg` (observed against fitted) and the
///   classification and uncertainty scatters without ellipses; with `probabilities` (bits,
///   or symbols with the option `symbols`): `frequencies.svg` alone;
/// - any other kind: the classification scatter of the first two columns, coloured by the
///   kind's labels when it has any.
///
/// Scatters use a fixed-seed subsample of at most `Subsample.defaultLimit` rows (responsibilities
/// are computed for those rows only), so the same fit always gives the same bytes.
enum FitPictures {
  /// The figures by file name, in the order they are written.
  static func figures(
    result: JSONValue, spec: ModelSpec, data: DataSet, model: any SpecifiedModel
  ) throws -> [(name: String, figure: Figure)] {
    try model.checkColumns(data)
    try model.validate(data)
    let title = "\(spec.model): \(spec.name), n = \(data.rows)"
    let parameters = result["parameters"] ?? .null
    var figures: [(name: String, figure: Figure)] = []
    if let trace = traceFigure(result: result, title: title) { figures.append(("trace.svg", trace)) }

    if let decoded = try model.decodedStates(spec: spec, data: data) {
      figures.append(("states.svg", statesFigure(decoded, data: data, title: title)))
      return figures
    }
    if parameters["coefficients"] != nil {
      figures.append(("coefficients.svg", coefficientsFigure(result: result, title: title)))
      return figures
    }
    let shown = Subsample.indices(count: data.rows)
    let subset = data.subset(rows: shown)
    let points = subset.rowArrays
    let weights = numbers(parameters["weights"])
    guard let responsibilities = try model.responsibilities(spec: spec, data: subset) else {
      // A kind the pictures know nothing about: its labels (if any) on the first two columns.
      let labels = try model.assignments(spec: spec, data: subset)
      figures.append(("classification.svg", ClassificationPlot.make(
        points: points.map { Array($0.prefix(2)) }, labels: labels, means: [], covariances: [],
        columnNames: Array(data.columns.prefix(2)), title: title)))
      return figures
    }
    let labels = responsibilities.map { row in row.indices.max { row[$0] < row[$1] } ?? -1 }
    let uncertainty = UncertaintyPlot.uncertainty(responsibilities: responsibilities)
    var means = rows(parameters["means"])
    var covariances = (arrayItems(parameters["covariances"]) ?? []).map(rows)
    let gaussian = !means.isEmpty && means.count == covariances.count
    if gaussian, data.dimension == 1 {
      figures.append(("density.svg", DensityPlot.gaussian(
        values: data.values.array, weights: weights, means: means.map { $0.first ?? .nan },
        variances: covariances.map { $0.first?.first ?? .nan }, columnName: data.columns[0],
        title: title)))
    }
    if !gaussian {
      (means, covariances) = ([], [])
      if let frequencies = frequencyFigure(
        parameters: parameters, options: result["options"], data: data, title: title)
      {
        figures.append(("frequencies.svg", frequencies))
      }
      // Bits and symbols take a handful of values: a scatter of them shows nothing.
      if parameters["probabilities"] != nil { return figures }
    }
    figures.append(("classification.svg", ClassificationPlot.make(
      points: points, labels: labels, means: means, covariances: covariances,
      columnNames: data.columns, title: title)))
    figures.append(("uncertainty.svg", UncertaintyPlot.make(
      points: points, uncertainty: uncertainty, labels: labels, means: means,
      covariances: covariances, columnNames: data.columns, title: title)))
    return figures
  }

  // MARK: - One figure each

  /// Every restart's objective per iteration (`restarts[].trace`), the best (`bestRestart`)
  /// highlighted; a result from before restarts kept their traces shows its `trace` alone.
  static func traceFigure(result: JSONValue, title: String) -> Figure? {
    let objective = result["logPosterior"] == nil ? "log-likelihood" : "log-posterior"
    let restarts = arrayItems(result["restarts"]) ?? []
    let traces = restarts.map { numbers($0["trace"]) }
    if restarts.allSatisfy({ $0["trace"] != nil }), traces.contains(where: { !$0.isEmpty }) {
      // The result file may have been edited: a number that is not an index highlights no restart
      // (`TracePlot` ignores an index out of range).
      let best = number(result["bestRestart"]).flatMap { Int(exactly: $0) } ?? -1
      return TracePlot.make(
        traces: traces, best: best, title: title, objective: objective, firstIteration: 1)
    }
    let trace = numbers(result["trace"])
    guard !trace.isEmpty else { return nil }
    return TracePlot.make(
      traces: [trace], best: 0, title: title, objective: objective, firstIteration: 1)
  }

  /// The rows of a states picture: switches between states stay visible at this length.
  static let stateWindow = 1_000

  /// The first `stateWindow` rows (all when fewer): the series coloured by Viterbi state
  /// above the posterior state probabilities; the title says when rows are left out.
  static func statesFigure(_ decoded: StateDecoding, data: DataSet, title: String) -> Figure {
    let K = decoded.states
    let shown = min(data.rows, stateWindow)
    let window = data.subset(rows: Array(0..<shown))
    let posteriors = (0..<shown).map { Array(decoded.posteriors[($0 * K)..<(($0 + 1) * K)]) }
    let discrete = window.values.allSatisfy { $0.isNaN || $0 == $0.rounded() }
    return StatesPlot.make(
      series: window.rowArrays, states: Array(decoded.viterbi.prefix(shown)),
      posteriors: posteriors, columnNames: data.columns,
      title: shown < data.rows ? "\(title) (first \(shown) rows)" : title, discrete: discrete)
  }

  /// EM estimates ± 1.96 standard errors beside the complete-case least-squares estimates
  /// ± 1.96 of their classical standard errors (`completeCaseStandardErrors`); without
  /// standard errors the estimates are drawn as points and the legend says so.
  static func coefficientsFigure(result: JSONValue, title: String) -> Figure {
    let parameters = result["parameters"] ?? .null
    let estimates = numbers(parameters["coefficients"])
    let response = string(result["options"]?["response"])
    let covariates = (arrayItems(result["columns"]) ?? []).compactMap(string)
      .filter { $0 != response }
    let terms = ["intercept"]
      + (1..<max(estimates.count, 1)).map { $0 - 1 < covariates.count ? covariates[$0 - 1] : "x\($0)" }
    let errors = numbers(result["standardErrors"]?["coefficients"])
    let (lower, upper) = interval(estimates, errors)
    let baseline = result["completeCase"] ?? .null
    let completeCase = numbers(baseline["coefficients"])
    let completeErrors = completeCaseStandardErrors(baseline) ?? []
    let (completeLower, completeUpper) = interval(completeCase, completeErrors)
    var figure = CoefficientsPlot.make(
      terms: terms, estimates: estimates, lower: lower, upper: upper,
      completeCaseEstimates: completeCase, completeCaseLower: completeLower,
      completeCaseUpper: completeUpper, title: title,
      xLabel: "estimate ± 1.96 SE")
    if !figure.legend.entries.isEmpty, errors.count != estimates.count {
      figure.legend.entries[0].label = "EM (no standard errors)"
    }
    if figure.legend.entries.count > 1 {
      let count = number(baseline["n"]).flatMap { Int(exactly: $0) }.map { ", n = \($0)" } ?? ""
      figure.legend.entries[1].label = completeErrors.isEmpty
        ? "complete cases\(count) (no intervals)" : "complete cases\(count)"
    }
    return figure
  }

  /// Classical least-squares standard errors of the complete-case coefficients, from the
  /// members of the result's `completeCase` (n rows, maximum-likelihood covariate mean μ and
  /// covariance Σ, residual variance σ̂² = RSS/n):
  ///
  ///     s² = n σ̂² / (n − p − 1),  X'X = n [[1, μ'], [μ, Σ + μμ']]
  ///     Var(β̂₀) = s² (1 + μ'Σ⁻¹μ) / n,   Var(β̂ⱼ) = s² (Σ⁻¹)ⱼⱼ / n
  ///
  /// (R's `lm` on the complete rows). Nil when a member is missing, n ≤ p + 1 or Σ is singular.
  static func completeCaseStandardErrors(_ baseline: JSONValue) -> [Double]? {
    guard let n = number(baseline["n"]), let variance = number(baseline["noiseVariance"]) else {
      return nil
    }
    let mean = numbers(baseline["covariateMean"])
    let covariance = rows(baseline["covariateCovariance"])
    let p = mean.count
    guard p >= 1, n > Double(p + 1), covariance.count == p, covariance.allSatisfy({ $0.count == p }),
      let inverse = invert(covariance)
    else { return nil }
    let s2 = n * variance / (n - Double(p) - 1)
    var quadratic = 0.0
    for a in 0..<p { for b in 0..<p { quadratic += mean[a] * inverse[a][b] * mean[b] } }
    let errors = [s2 * (1 + quadratic) / n] + (0..<p).map { s2 * inverse[$0][$0] / n }
    return errors.allSatisfy { $0 >= 0 && $0.isFinite } ? errors.map { $0.squareRoot() } : nil
  }

  /// Observed against fitted frequencies of a count or bit mixture; nil for other families.
  static func frequencyFigure(
    parameters: JSONValue, options: JSONValue?, data: DataSet, title: String
  ) -> Figure? {
    let weights = numbers(parameters["weights"])
    if parameters["rates"] != nil {
      return FrequencyPlot.counts(
        data: data.rowArrays, weights: weights, rates: rows(parameters["rates"]),
        columnNames: data.columns, title: title)
    }
    guard parameters["probabilities"] != nil else { return nil }
    let probabilities = rows(parameters["probabilities"])
    // (A number that is not the probability rows' length, as in an edited file, draws the bits.)
    guard let symbols = number(options?["symbols"]).flatMap({ Int(exactly: $0) }), symbols >= 1,
          symbols == probabilities.first?.count
    else {
      return FrequencyPlot.bits(
        data: data.rowArrays, weights: weights, probabilities: probabilities,
        columnNames: data.columns, title: title)
    }
    // Categorical symbols 0…M−1 in one column: rows per symbol against n Σₖ wₖ pₖₛ.
    var observed = [Double](repeating: 0, count: symbols)
    for value in data.values where value >= 0 && value < Double(symbols) {
      observed[Int(value)] += 1
    }
    let total = observed.reduce(0, +)
    let fitted = (0..<symbols).map { s in
      total * zip(weights, probabilities).reduce(0) { $0 + $1.0 * (s < $1.1.count ? $1.1[s] : .nan) }
    }
    let panel = FrequencyPlot.Panel(
      name: data.columns.first ?? "x1", categories: (0..<symbols).map(String.init),
      observed: observed, fitted: fitted)
    return FrequencyPlot.make(panels: [panel], title: title, yLabel: "rows", xLabel: "symbol")
  }

  // MARK: - Reading the result

  static func number(_ value: JSONValue?) -> Double? {
    if case .number(let x)? = value { return x }
    return nil
  }

  static func string(_ value: JSONValue?) -> String? {
    if case .string(let s)? = value { return s }
    return nil
  }

  static func arrayItems(_ value: JSONValue?) -> [JSONValue]? {
    if case .array(let items)? = value { return items }
    return nil
  }

  /// An array of numbers (non-numbers as NaN); empty when `value` is no array.
  static func numbers(_ value: JSONValue?) -> [Double] {
    (arrayItems(value) ?? []).map { number($0) ?? .nan }
  }

  /// An array of arrays of numbers.
  static func rows(_ value: JSONValue?) -> [[Double]] {
    (arrayItems(value) ?? []).map(numbers)
  }

  /// estimate ± 1.96 error, NaN where an error is missing.
  static func interval(_ estimates: [Double], _ errors: [Double]) -> ([Double], [Double]) {
    let half = estimates.indices.map { $0 < errors.count ? 1.96 * errors[$0] : .nan }
    return (zip(estimates, half).map { $0 - $1 }, zip(estimates, half).map { $0 + $1 })
  }

  /// The inverse of a square matrix by Gauss–Jordan elimination with partial pivoting; nil
  /// when it is singular to working precision.
  static func invert(_ matrix: [[Double]]) -> [[Double]]? {
    let n = matrix.count
    var a = matrix.enumerated().map { i, row in row + (0..<n).map { $0 == i ? 1.0 : 0.0 } }
    let scale = matrix.joined().map(abs).max() ?? 0
    for column in 0..<n {
      guard let pivot = (column..<n).max(by: { abs(a[$0][column]) < abs(a[$1][column]) }),
        abs(a[pivot][column]) > 1e-13 * scale
      else { return nil }
      a.swapAt(column, pivot)
      let divisor = a[column][column]
      a[column] = a[column].map { $0 / divisor }
      for row in 0..<n where row != column {
        let factor = a[row][column]
        if factor != 0 { a[row] = zip(a[row], a[column]).map { $0 - factor * $1 } }
      }
    }
    return a.map { Array($0[n...]) }
  }
}

extension DataSet {
  /// The given rows (in order) as a data set of their own, one sequence.
  func subset(rows indices: [Int]) -> DataSet {
    guard indices.count != rows else { return self }
    let d = dimension
    var values: [Double] = []
    values.reserveCapacity(indices.count * d)
    for i in indices { values += self.values[(i * d)..<((i + 1) * d)] }
    return DataSet(source: source, columns: columns, values: values)
  }
}

// MARK: - Writing

/// Writes the pictures of a fit as SVG files into `directory` (which must exist) and returns
/// their paths, in order: see `FitPictures` for which pictures a result gets.
///
/// `result` is the fit's result JSON and `spec` the same result read as a spec (its
/// `parameters` are the fitted ones); `model` is built for `data`'s columns. Each file is
/// written whole or not at all; the same arguments always give the same bytes.
public func writePlots(
  result: JSONValue, spec: ModelSpec, data: DataSet, model: any SpecifiedModel, to directory: String
) throws -> [String] {
  let figures = try FitPictures.figures(result: result, spec: spec, data: data, model: model)
  return try figures.map { name, figure in
    let path = (directory as NSString).appendingPathComponent(name)
    try AtomicFile.write(figure.svg(), to: path)
    return path
  }
}

/// One point of a model-selection table for `criterion.svg`: a criterion's value for K
/// components (states) and one covariance type.
public struct CriterionPoint: Sendable {
  public var components: Int
  /// The covariance type (or any other name of a line), e.g. "full".
  public var covariance: String
  /// The criterion (BIC or ICL, lower is better); NaN or infinite for a failed fit.
  public var value: Double

  public init(components: Int, covariance: String, value: Double) {
    self.components = components
    self.covariance = covariance
    self.value = value
  }
}

/// Writes `criterion.svg` into `directory` (which must exist): the criterion against K, one
/// line per covariance type (in order of first appearance), the lowest finite value marked.
/// Returns the file's path.
public func writeCriterionPlot(
  _ points: [CriterionPoint], criterion: String, title: String, to directory: String
) throws -> String {
  let ks = Array(Set(points.map(\.components))).sorted()
  var types: [String] = []
  for point in points where !types.contains(point.covariance) { types.append(point.covariance) }
  var values = [[Double]](
    repeating: [Double](repeating: .nan, count: ks.count), count: types.count)
  for point in points {
    if let t = types.firstIndex(of: point.covariance), let i = ks.firstIndex(of: point.components) {
      values[t][i] = point.value
    }
  }
  let figure = CriterionPlot.make(
    ks: ks, values: values, covarianceTypes: types, criterion: criterion, title: title)
  let path = (directory as NSString).appendingPathComponent("criterion.svg")
  try AtomicFile.write(figure.svg(), to: path)
  return path
}
