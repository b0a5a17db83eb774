import ArgumentParser
import EMZooCore
import EMZooModels
import EMZooSpec
import Foundation

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check every spec in a folder; one row per spec.",
    discussion: """
      Exits 0 only when every spec passes its check.

      Example:
        emzoo run models --threads 2
      """)

  @Argument(help: "Folder of specs.")
  var directory: String = "models"
  @Option(help: "Worker threads for the E step (default: all cores).")
  var threads: Int?

  func run() throws {
    if let threads { _ = try Limits.check(threads, Limits.threads, "--threads") }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw InputError("\(directory): no such folder of specs")
    }
    let files = try FileManager.default.contentsOfDirectory(atPath: directory)
      .filter { $0.hasSuffix(".json") }.sorted()
    guard !files.isEmpty else { throw InputError("\(directory): no .json specs in this folder") }
    let header = ["spec", "model", "n", "log-likelihood", "iter", "max error", "tolerance", "seconds", "result"]
    try StandardOutput.line(header.joined(separator: "\t"))
    var failures = 0
    for file in files {
      let path = (directory as NSString).appendingPathComponent(file)
      let start = ContinuousClock.now
      do {
        let outcome = try runCheck(path: path, n: nil, seed: nil, threads: threads)
        let r = outcome.report
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        try StandardOutput.line([outcome.name, outcome.model, "\(r.n)", String(format: "%.3f", r.fit.logLikelihood), "\(r.fit.iterations)",
               format(r.maxError), format(r.tolerance), String(format: "%.2f", seconds), r.passed ? "PASS" : "FAIL"]
          .joined(separator: "\t"))
        if !r.passed { failures += 1 }
      } catch let error as InputError {
        try StandardOutput.line("\(file)\tERROR\t\(error.message)")
        failures += 1
      } catch {
        try StandardOutput.line("\(file)\tERROR\t\(error)")
        failures += 1
      }
    }
    try StandardOutput.line("\(files.count - failures) passed, \(failures) failed")
    if failures > 0 { throw CheckFailed(message: "\(failures) of \(files.count) specs did not pass") }
  }
}
