import ArgumentParser
import EMZoo

struct Fit: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Fit a spec's model to data by EM.")

  @Argument(help: "The model spec (JSON).")
  var spec: String
  @Option(help: "Data CSV (default: the spec's \"data\").")
  var data: String?
  @Option(help: "Result JSON file (default: stdout).")
  var output: String?
  @OptionGroup var flags: FitFlags
  @Flag(help: "No progress on stderr.")
  var quiet = false

  func run() throws {
    try checkOutputPath(output)
    let spec = try ModelSpec.load(path: spec)
    let kind = try ModelKind.named(spec.model, in: spec)
    guard let path = data ?? spec.dataPath else {
      throw InputError("\(spec.file): no data: give --data FILE.csv or a \"data\" field in the spec")
    }
    let table = try CSVReader.read(path: path, columns: spec.columns)
    if spec.parameters.isPresent, let declared = try? kind.make(spec, nil), declared.dimension != table.dimension {
      throw InputError("\(table.source): the spec's parameters describe \(declared.dimension) data columns, the data has \(table.dimension) (\(table.columns.joined(separator: ", "))); pick columns with the spec's \"columns\"")
    }
    let model = try kind.make(spec, table.dimension)
    let printer = ProgressPrinter()
    var progress: (@Sendable (FitProgress) -> Void)? = nil
    if !quiet { progress = { @Sendable in printer.report($0) } }
    let options = FitOptions(try flags.settings(spec), progress: progress)
    let report = try model.fitReport(spec: spec, data: table, options: options)
    if !quiet {
      let agreeing = report.restarts.filter {
        abs($0.logLikelihood - report.logLikelihood) <= 1e-6 * abs(report.logLikelihood)
      }.count
      printError("emzoo: \(spec.name): log-likelihood \(report.logLikelihood) after \(report.iterations) iterations"
        + (report.converged ? " (converged)" : " (not converged)")
        + "; \(agreeing) of \(report.restarts.count) restarts reached it; \(String(format: "%.3f", report.seconds)) s")
      if let summary = model.summary(of: report.result) { printError(summary) }
    }
    try emit(report.result.formatted() + "\n", to: output)
  }
}
