import ArgumentParser
import EMZooCore
import EMZooModels
import EMZooSpec
import Foundation

extension ModelSelection.Criterion: ExpressibleByArgument {}

struct Select: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fit every K (and covariance type) and rank the fits by BIC or ICL.",
    discussion: """
      For every K in the range (options.components, or options.states for hmm) and every \
      listed covariance type, the spec's options are rewritten (its parameters dropped; \
      fit.init "spec" becomes "kmeans++"), the model is fitted with the spec's restarts, and \
      a table, best first, is printed on stdout: K, covariance, log-likelihood, parameters, \
      BIC, ICL, converged; '*' marks the best. A fit with a variance at fit.covarianceFloor \
      (a component collapsed onto tied values: a spurious maximum, which mclust reports as \
      missing) is marked degenerate and ranked after the others. BIC = −2ℓ + p log n and ICL = BIC − 2 Σᵢ log \
      maxₖ p(k | xᵢ), lower is better (mclust reports −BIC). The best model's result is \
      written to --output (nothing is written without it); every row to --table as JSON.

      Example (mclust's Mclust(x, G = 1:5, modelNames = c("VVV", "EEE", "VII", "VVI"))):
        emzoo select faithful.json --components 1...5 \\
          --covariance full,tied,spherical,diagonal --output best.json --table table.json
      """)

  @Argument(help: "The model spec (JSON) with options.components or options.states.")
  var spec: String
  @Option(help: "Data CSV (default: the spec's \"data\", relative to the spec).")
  var data: String?
  @Option(name: .customLong("components"), help: "The K to try: A...B, A..B or K (states for hmm).")
  var range: String
  @Option(help: "Comma-separated covariance types, e.g. full,tied,spherical,diagonal (default: the spec's).")
  var covariance: String?
  @Option(help: "Ranking criterion: bic or icl.")
  var criterion: ModelSelection.Criterion = .bic
  @Option(help: "File for the best model's result JSON (default: none).")
  var output: String?
  @Option(help: "File for every row as JSON (default: none).")
  var table: String?
  @Option(help: "Folder for SVG pictures: criterion.svg (the criterion against K, one line per covariance type, the best marked) and the best model's pictures (default: none).")
  var plot: String?
  @OptionGroup var flags: FitFlags
  @Flag(help: "No progress on stderr.")
  var quiet = false

  func run() throws {
    let labels = try Self.parseRange(range)
    let covariances = try covariance.map(Self.parseList)
    try checkOutputPath(output)
    try checkOutputPath(table)
    try PlotFolder.check(plot, option: "--plot")
    let (spec, data, _) = try loadSpecAndData(spec, data: self.data)
    let selection = try ModelSelection(spec: spec, labels: labels, covariances: covariances)
    let settings = try flags.settings(spec)
    let total = selection.candidates.count, quiet = quiet
    let rows = try selection.run(data: data, registry: EMZooCommandLine.registry, settings: settings,
                                 progress: { index, K, covariance in
      guard !quiet else { return }
      printError("emzoo: select: \(selection.labelKey == "states" ? "states" : "K") = \(K)"
        + (covariance.map { ", covariance \($0)" } ?? "") + " (\(index + 1) of \(total))")
    })
    let ranked = ModelSelection.ranked(rows, by: criterion)
    if let table {
      try emit(ModelSelection.table(ranked, criterion: criterion, labelKey: selection.labelKey).formatted() + "\n",
               to: table)
    }
    if let output, let best = ranked.first?.report {
      try emit(best.result.formatted() + "\n", to: output)
    }
    if let plot {
      try PlotFolder.create(plot, option: "--plot")
      let points = ranked.map { row in
        CriterionPoint(components: row.labels, covariance: row.covariance ?? spec.model,
                       value: (criterion == .bic ? row.bic : row.icl) ?? .nan)
      }
      let path = try writeCriterionPlot(
        points, criterion: criterion.rawValue.uppercased(), title: "\(spec.model) \(spec.name): n = \(data.rows)",
        to: plot)
      if !quiet { printError("emzoo: wrote \(path)") }
      if let best = ranked.first, let report = best.report {
        let model = try EMZooCommandLine.registry.model(for: best.spec, dimension: data.dimension)
        try PlotFolder.write(report, data: data, model: model, resultFile: output, to: plot, announce: !quiet)
      }
    }
    try emit(Self.text(ranked, spec: spec, n: data.rows, criterion: criterion), to: nil)
  }

  /// "A...B", "A..B" or "K", with 1 ≤ A ≤ B ≤ 1000.
  static func parseRange(_ text: String) throws -> ClosedRange<Int> {
    let bad = InputError("--components: expected K or a range A...B of integers with 1 ≤ A ≤ B ≤ 1000 (e.g. 1...5), found '\(text.prefix(40))'")
    let parts: [Substring]
    if text.contains("...") {
      parts = text.split(separator: "...", omittingEmptySubsequences: false)
    } else if text.contains("..") {
      parts = text.split(separator: "..", omittingEmptySubsequences: false)
    } else {
      parts = [Substring(text), Substring(text)]
    }
    guard parts.count == 2, let low = Int(parts[0].trimmingCharacters(in: .whitespaces)),
          let high = Int(parts[1].trimmingCharacters(in: .whitespaces)), 1 <= low, low <= high, high <= 1000
    else { throw bad }
    return low...high
  }

  /// Comma-separated names, each once, none empty.
  static func parseList(_ text: String) throws -> [String] {
    let names = text.split(separator: ",", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    guard !names.contains(where: \.isEmpty) else {
      throw InputError("--covariance: expected comma-separated covariance types (e.g. full,tied), found '\(text.prefix(60))'")
    }
    var seen = Set<String>()
    return names.filter { seen.insert($0).inserted }
  }

  /// The ranking as a terminal table, best first.
  static func text(_ ranked: [ModelSelection.Row], spec: ModelSpec, n: Int, criterion: ModelSelection.Criterion) -> String {
    let hasCovariance = ranked.contains { $0.covariance != nil }
    func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
      let fill = String(repeating: " ", count: max(0, width - s.count))
      return left ? s + fill : fill + s
    }
    func number(_ x: Double?, _ format: String) -> String { x.map { String(format: format, $0) } ?? "-" }
    var lines = ["select \(spec.name) (\(spec.model)): n = \(n), ranked by \(criterion.rawValue.uppercased()) (lower is better)"]
    lines.append("     " + pad("K", 4) + (hasCovariance ? "  " + pad("covariance", 10, left: true) : "")
      + pad("log-likelihood", 17) + pad("parameters", 12) + pad("BIC", 14) + pad("ICL", 14) + pad("converged", 11))
    for (index, row) in ranked.enumerated() {
      let mark = index == 0 && row.report != nil && !row.degenerate ? "  *  " : "     "
      var line = mark + pad(String(row.labels), 4)
      if hasCovariance { line += "  " + pad(row.covariance ?? "-", 10, left: true) }
      if let failure = row.failure {
        line += "  failed: " + failure
      } else {
        line += pad(number(row.logLikelihood, "%.4f"), 17) + pad(row.parameterCount.map(String.init) ?? "-", 12)
          + pad(number(row.bic, "%.4f"), 14) + pad(number(row.icl, "%.4f"), 14) + pad(row.converged ? "yes" : "no", 11)
          + (row.degenerate ? "  degenerate: a variance at fit.covarianceFloor (spurious maximum), ranked last" : "")
      }
      lines.append(line)
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
