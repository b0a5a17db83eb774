import ArgumentParser
import EMZooCore
import EMZooModels
import EMZooSpec

struct Fit: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fit a spec's model to data by EM.",
    discussion: """
      Flags override the spec's "fit" block; its defaults are maxIterations 1000, tolerance 1e-8, \
      restarts 3, seed 1, init "kmeans++", threads 0 (all cores). The result (JSON) is itself a \
      spec with the fitted parameters, logLikelihood, aic, bic and (for models with hidden \
      labels) icl.

      Example:
        emzoo fit models/gaussian-2d-full.json --data blobs.csv --restarts 5 --output result.json
      """)

  @Argument(help: "The model spec (JSON).")
  var spec: String
  @Option(help: "Data CSV (default: the spec's \"data\", relative to the spec).")
  var data: String?
  @Option(help: "Result JSON file (default: stdout).")
  var output: String?
  @OptionGroup var flags: FitFlags
  @Flag(help: "No progress on stderr.")
  var quiet = false
  @Option(help: "Folder for SVG pictures of the fit (as 'emzoo plot' draws them).")
  var plot: String?

  func run() throws {
    try checkOutputPath(output, reading: [spec] + (data.map { [$0] } ?? []))
    try PlotFolder.check(plot, option: "--plot")
    // Under MPI every rank reads its own rows; if any fails, every rank stops with the message
    // of the first failure in the file.
    let (spec, table, model) = try Processes.group.agreeing {
      try loadSpecAndData(self.spec, data: self.data, output: self.output, distributed: true, threads: flags.threads)
    }
    let printer = ProgressPrinter()
    var progress: (@Sendable (FitProgress) -> Void)? = nil
    if !quiet { progress = { @Sendable in printer.report($0) } }
    let options = FitOptions(try flags.settings(spec), progress: progress)
    let dataReference = (data ?? spec.dataPath).map { ModelSpec.dataReference($0, from: output) }
    let report = try model.fitReport(
      spec: spec, data: table, options: options, dataPath: dataReference)
    if !quiet {
      let agreeing = report.restartsAtBest
      printError("emzoo: \(spec.name): log-likelihood \(report.logLikelihood) after \(report.iterations) iterations"
        + (report.converged ? " (converged)" : " (not converged)")
        + "; \(agreeing) of \(report.restarts.count) restarts reached it; \(String(format: "%.3f", report.seconds)) s")
      if let warning = multimodalWarning(report) { printError(warning) }
      if let table = ResultTable.regressionTable(report.result) { printError(table) }
    }
    try emit(report.result.formatted() + "\n", to: output, reading: [self.spec, table.source])
    if let plot {
      // Pictures draw every row: a rank holding a row window gathers them first (collective).
      try PlotFolder.write(
        report, data: table.gatheringRows(), model: model, resultFile: output, to: plot, announce: !quiet)
    }
  }
}

/// The one-line warning `fit` prints when only one of several restarts reached the best
/// objective (within `FitReport.atBestTolerance`): the likelihood then has other local maxima
/// that the restarts fell into, and a better one may exist that none found. Nil otherwise.
func multimodalWarning(_ report: FitReport) -> String? {
  let finished = report.restarts.filter { $0.failure == nil }.count
  guard report.restartsAtBest == 1, finished > 1 else { return nil }
  return "emzoo: warning: only 1 of \(finished) restarts reached the best log-likelihood; the likelihood "
    + "looks multimodal: try more restarts (--restarts \(max(10, 3 * finished)))"
}
