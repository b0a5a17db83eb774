import Foundation
import Numerics
import Testing

@testable import EMZoo

/// Loads a spec from JSON text (file name "test.json" in messages).
func spec(_ text: String) throws -> ModelSpec { try ModelSpec(text: text, file: "test.json") }

/// Builds the spec's model for data of `dimension` columns (or from its parameters).
func model(_ spec: ModelSpec, dimension: Int? = nil) throws -> any SpecifiedModel {
  try ModelRegistry.standard.model(for: spec, dimension: dimension)
}

/// Fit options for tests: `threads` workers, progress off, no standard errors unless asked.
func options(restarts: Int = 2, seed: UInt64 = 1, maxIterations: Int = 500, tolerance: Double = 1e-10,
             threads: Int = 1, initialization: InitMethod = .kmeansPlusPlus,
             standardErrors: Bool = false) -> FitOptions {
  var settings = FitSettings()
  settings.restarts = restarts
  settings.seed = seed
  settings.maxIterations = maxIterations
  settings.tolerance = tolerance
  settings.threads = threads
  settings.initialization = initialization
  settings.standardErrors = standardErrors
  return FitOptions(settings)
}

/// The checks every model kind must pass (the shared checker of STYLE.md):
/// the trace never decreases, the fit is deterministic for a seed and independent of the
/// thread count, the result is a valid spec that round-trips, and weights sum to 1.
func checkEMModel(_ specText: String, n: Int = 2000, seed: UInt64 = 11,
                  sourceLocation: SourceLocation = #_sourceLocation) throws {
  let s = try spec(specText)
  let m = try model(s)
  let data = try m.sampleData(spec: s, count: n, seed: seed)
  let one = try m.fitReport(spec: s, data: data, options: options(threads: 1))
  let two = try m.fitReport(spec: s, data: data, options: options(threads: 2))
  // Monotone trace (beyond rounding).
  guard case .array(let trace)? = one.result["trace"] else { Issue.record("no trace"); return }
  let values = trace.compactMap { if case .number(let x) = $0 { return x } else { return nil } }
  for (a, b) in zip(values, values.dropFirst()) {
    #expect(b >= a - 1e-9 * abs(a), "trace decreased from \(a) to \(b)", sourceLocation: sourceLocation)
  }
  #expect(values.last == one.logLikelihood || one.logPosterior != nil, sourceLocation: sourceLocation)
  // Deterministic and independent of the thread count: identical parameters, bit for bit.
  #expect(one.result["parameters"] == two.result["parameters"], sourceLocation: sourceLocation)
  #expect(one.logLikelihood.bitPattern == two.logLikelihood.bitPattern, sourceLocation: sourceLocation)
  // The result is a valid spec of the same model, and its log-likelihood re-evaluates.
  let resultSpec = try ModelSpec(text: one.result.formatted(), file: "result.json")
  let again = try model(resultSpec, dimension: data.dimension)
  let reevaluated = try again.logLikelihood(spec: resultSpec, data: data)
  #expect(reevaluated.isApproximatelyEqual(to: one.logLikelihood, relativeTolerance: 1e-12),
          sourceLocation: sourceLocation)
  // Probability vectors sum to one.
  if let weights = one.result["parameters"]?["weights"], case .array(let w) = weights {
    let sum = w.reduce(0.0) { if case .number(let x) = $1 { return $0 + x } else { return $0 } }
    #expect(abs(sum - 1) < 1e-12, sourceLocation: sourceLocation)
  }
}

/// The path of the built `emzoo` executable (next to the test bundle).
func emzooExecutable() -> URL {
  var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  for _ in 0..<4 {
    let candidate = directory.appendingPathComponent("emzoo")
    if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    directory = directory.deletingLastPathComponent()
  }
  return URL(fileURLWithPath: ".build/debug/emzoo")
}

/// Runs `emzoo` with arguments; returns the exit status, stdout and stderr.
@discardableResult
func runEMZoo(_ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
  try runProcess(emzooExecutable().path, arguments, in: directory)
}

/// Runs a program with arguments (and extra environment variables); returns the exit status,
/// stdout and stderr.
func runProcess(_ executable: String, _ arguments: [String], in directory: URL? = nil,
                environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  if let directory { process.currentDirectoryURL = directory }
  if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
  let out = Pipe(), err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  let errData = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// A fresh temporary folder.
func temporaryDirectory() throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("emzoo-test-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// The repository root (for the bundled specs).
let repositoryRoot = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
