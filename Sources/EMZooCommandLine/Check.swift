import ArgumentParser
import EMZooCore
import EMZooModels
import EMZooSpec
import Foundation

struct Check: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Round trip: sample from the spec, fit from a fresh start, report the recovery error.",
    discussion: """
      Exits 0 only when every parameter is recovered within the spec's check.tolerance (default 0.1).

      Example:
        emzoo check models/hmm-casino.json --n 20000
      """)

  @Argument(help: "The model spec (JSON).")
  var spec: String
  @Option(parsing: .unconditional, help: "Sample size (default: the spec's check.n, 10000).")
  var n: Int?
  @Option(help: "Sampling seed (default: the spec's check.seed, 7).")
  var seed: UInt64?
  @Option(help: "Worker threads for the E step (default: the spec's fit.threads, 0 = all cores).")
  var threads: Int?
  @Option(help: "Folder for SVG pictures of the fit to the sampled data.")
  var plot: String?

  func run() throws {
    try PlotFolder.check(plot, option: "--plot")
    let outcome = try runCheck(path: spec, n: n, seed: seed, threads: threads)
    try StandardOutput.line(outcome.table)
    if let plot {
      try PlotFolder.write(
        outcome.report.fit, data: outcome.report.data, model: outcome.specifiedModel, resultFile: nil,
        to: plot,
        announce: true)
    }
    if !outcome.report.passed {
      throw CheckFailed(message: "\(outcome.name): recovery error \(format(outcome.report.maxError)) exceeds the tolerance \(format(outcome.report.tolerance))")
    }
  }
}

struct CheckOutcome {
  var name: String
  var model: String
  var report: RecoveryReport
  var table: String
  var specifiedModel: any SpecifiedModel
}

func format(_ x: Double) -> String { String(format: "%.4g", x) }

func runCheck(path: String, n: Int?, seed: UInt64?, threads: Int?) throws -> CheckOutcome {
  if let threads { _ = try Limits.check(threads, Limits.threads, "--threads") }
  if let seed { _ = try Limits.seed(seed, "--seed") }
  let (spec, model) = try loadModel(path)
  let count = try checkedCount(n ?? spec.check.n, dimension: model.dimension, flag: n == nil ? "\(spec.file): check.n" : "--n")
  try Limits.checkMemory(
    model.memoryEstimate(rows: count, dimension: model.dimension, longestSequence: model.sampleBlockRows ?? count,
                         threads: ProcessInfo.processInfo.activeProcessorCount),
    "\(spec.file): check of \(spec.model) on \(count) rows")
  var settings = spec.fit
  if let threads { settings.threads = threads }
  let report = try model.check(spec: spec, n: count, seed: seed ?? spec.check.seed, options: FitOptions(settings))
  var lines = ["check \(spec.name) (\(spec.model)): n = \(count), seed = \(seed ?? spec.check.seed), tolerance = \(format(report.tolerance))"]
  let width = max(12, report.entries.map(\.name.count).max() ?? 0)
  lines.append("  " + "parameter".padding(toLength: width, withPad: " ", startingAt: 0) + "  error")
  for entry in report.entries {
    lines.append("  " + entry.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
      + format(entry.error).padding(toLength: 10, withPad: " ", startingAt: 0)
      + (entry.error <= report.tolerance ? "ok" : "TOO LARGE"))
  }
  if let baseline = report.fit.result["completeCase"], let truth = spec.parameters.value {
    // A baseline estimate in the fit result (missing-data-regression's complete-case fit),
    // measured against the truth the same way.
    var complete = 0
    if case .number(let x)? = baseline["n"] { complete = Int(x) }
    lines.append("  complete-case analysis (\(complete) of \(report.n) rows), same error measure:")
    if case .string(let failure)? = baseline["failure"] { lines.append("    no estimate: \(failure)") }
    for entry in RecoveryReport.errors(of: baseline, against: truth) {
      lines.append("  " + entry.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + format(entry.error))
    }
  }
  if let accuracy = report.labelAccuracy {
    lines.append(String(format: "  label accuracy %.2f%%", 100 * accuracy))
  }
  lines.append(String(format: "  log-likelihood: fitted %.3f, at the truth %.3f; ", report.fit.logLikelihood, report.logLikelihoodAtTruth)
    + "\(report.fit.iterations) iterations, \(report.fit.converged ? "converged" : "NOT converged")")
  lines.append(report.passed ? "PASS" : "FAIL")
  return CheckOutcome(name: spec.name, model: spec.model, report: report, table: lines.joined(separator: "\n"),
                      specifiedModel: model)
}
