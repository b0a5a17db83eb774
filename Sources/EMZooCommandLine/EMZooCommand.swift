import ArgumentParser
public import EMZooSpec
import EMZooCore
import EMZooModels
import Foundation

/// The `emzoo` command line as a library: a plugin package's own executable runs every
/// command with its registry,
///
///     import EMZooCommandLine
///     EMZooCommandLine.main(registry: ModelRegistry.standard.registering(myFamily))
public enum EMZooCommandLine {
  /// The registry the running commands read specs with.
  @TaskLocal static var registry = ModelRegistry.standard

  /// Parses the process's arguments, runs the command with `registry`, and exits.
  ///
  /// C plugins named by `--plugin LIB.so` (anywhere before `--`, repeatable) or by
  /// `EMZOO_PLUGINS` (colon-separated) are loaded first and added to `registry`; a plugin that
  /// cannot be loaded is bad input (one line, exit status 2).
  public static func main(registry: ModelRegistry) -> Never {
    let loaded: (registry: ModelRegistry, arguments: [String])
    do {
      loaded = try PluginOption.load(into: registry, arguments: Array(CommandLine.arguments.dropFirst()),
                                     environment: ProcessInfo.processInfo.environment)
    } catch let error as InputError {
      EMZooCommand.fail(error.message, status: 2)
    } catch {
      EMZooCommand.fail("\(error)", status: 2)
    }
    $registry.withValue(loaded.registry) { EMZooCommand.main(loaded.arguments) }
    Foundation.exit(0)
  }
}

struct EMZooCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "emzoo",
    abstract: "A zoo of statistical models fitted by expectation–maximization.",
    discussion: """
      Exit status: 0 success, 1 failed check, 2 bad input.

      Global option: --plugin LIB.so (repeatable; or EMZOO_PLUGINS=a.so:b.so) loads a C \
      emission family (see Sources/EMZooPluginABI/include/emzoo_plugin.h) for every command.
      """,
    subcommands: [List.self, Sample.self, Fit.self, Check.self, Run.self, Decode.self, Impute.self])

  /// Every failure becomes one line on stderr and a documented exit status; no traps, no
  /// stack traces, no usage dumps for bad input.
  static func main(_ arguments: [String]? = nil) {
    do {
      var command = try parseAsRoot(arguments)
      try command.run()
    } catch let error as InputError {
      fail(error.message, status: 2)
    } catch let error as CheckFailed {
      fail(error.message, status: 1)
    } catch let error as FitFailure {
      fail("fit failed: \(error.description)", status: 1)
    } catch let error as MonotonicityViolation {
      fail(error.description, status: 1)
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        print(fullMessage(for: error))
        Foundation.exit(0)
      }
      // Argument errors: the first line of the parser's message, with the usage hint.
      let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
      let trimmed = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
      fail("\(trimmed) (see 'emzoo help')", status: 2)
    }
  }

  static func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("emzoo: \(message)\n".utf8))
    Foundation.exit(status)
  }
}

/// A check that ran but did not recover the truth (exit status 1).
struct CheckFailed: Error {
  var message: String
}

/// Flags shared by the commands that fit.
struct FitFlags: ParsableArguments {
  @Option(help: "Seed of the first restart (restart r uses seed + r).")
  var seed: UInt64?
  @Option(name: .customLong("max-iterations"), parsing: .unconditional, help: "Iteration limit per restart.")
  var maxIterations: Int?
  @Option(parsing: .unconditional, help: "Convergence: relative change of the log-likelihood.")
  var tolerance: Double?
  @Option(parsing: .unconditional, help: "Number of starts; the best is kept.")
  var restarts: Int?
  @Option(parsing: .unconditional, help: "Worker threads for the E step (default: all cores). Never changes the result.")
  var threads: Int?

  /// The spec's `fit` block with these flags on top.
  func settings(_ spec: ModelSpec) throws -> FitSettings {
    var settings = spec.fit
    if let seed { settings.seed = seed }
    if let maxIterations {
      guard maxIterations >= 1 else { throw InputError("--max-iterations: expected an integer ≥ 1, found \(maxIterations)") }
      settings.maxIterations = maxIterations
    }
    if let tolerance {
      guard tolerance >= 0, tolerance <= 1 else { throw InputError("--tolerance: expected a number in [0, 1], found \(tolerance)") }
      settings.tolerance = tolerance
    }
    if let restarts {
      guard restarts >= 1 else { throw InputError("--restarts: expected an integer ≥ 1, found \(restarts)") }
      settings.restarts = restarts
    }
    if let threads {
      guard threads >= 1, threads <= 1024 else { throw InputError("--threads: expected an integer in 1...1024, found \(threads)") }
      settings.threads = threads
    }
    return settings
  }
}

/// Loads a spec and builds its model; the data's column count fixes d when data is given.
func loadModel(_ path: String) throws -> (ModelSpec, any SpecifiedModel) {
  let spec = try ModelSpec.load(path: path)
  return (spec, try EMZooCommandLine.registry.model(for: spec))
}

/// Loads a spec and its data (from `--data`, else the spec's "data") and builds the model for
/// the data's columns. Bad input in either throws `InputError` before any work.
func loadSpecAndData(_ specPath: String, data dataPath: String?) throws -> (ModelSpec, DataSet, any SpecifiedModel) {
  let spec = try ModelSpec.load(path: specPath)
  let registry = EMZooCommandLine.registry
  let kind = try registry.kind(named: spec.model, in: spec)
  guard let path = dataPath ?? spec.dataPath else {
    throw InputError("\(spec.file): no data: give --data FILE.csv or a \"data\" field in the spec")
  }
  let table = try CSVReader.read(path: path, columns: spec.columns)
  if spec.parameters.isPresent, let declared = try? kind.make(spec, nil, registry), declared.dimension != table.dimension {
    throw InputError("\(table.source): the spec's parameters describe \(declared.dimension) data columns, the data has \(table.dimension) (\(table.columns.joined(separator: ", "))); pick columns with the spec's \"columns\"")
  }
  return (spec, table, try kind.make(spec, table.dimension, registry))
}

/// The arguments of the commands that apply a fitted result to data (`decode`, `impute`).
struct ResultDataOutput: ParsableArguments {
  @Argument(help: "A fitted result (or any spec with parameters).")
  var result: String
  @Option(help: "Data CSV (default: the spec's \"data\").")
  var data: String?
  @Option(help: "Output CSV file (default: stdout).")
  var output: String?

  /// The result, its data and its model, after checking the output folder exists.
  func load() throws -> (ModelSpec, DataSet, any SpecifiedModel) {
    try checkOutputPath(output)
    return try loadSpecAndData(result, data: data)
  }
}

/// Checks a sample size given on the command line.
func checkedCount(_ n: Int, dimension: Int) throws -> Int {
  guard n >= 1 else { throw InputError("--n: expected a positive number of rows, found \(n)") }
  guard n <= 100_000_000, n * max(dimension, 1) <= 200_000_000 else {
    throw InputError("--n: \(n) rows of \(dimension) columns is too large (at most 100,000,000 rows and 200,000,000 values: the CSV text is built in memory)")
  }
  return n
}

/// Fails early, before any work, when an output path's folder does not exist.
func checkOutputPath(_ path: String?) throws {
  guard let path else { return }
  let directory = (path as NSString).deletingLastPathComponent
  var isDirectory: ObjCBool = false
  if !directory.isEmpty, !(FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue) {
    throw InputError("\(path): cannot write output: folder '\(directory)' does not exist")
  }
}

/// Writes text to a file atomically, or to stdout when no path is given.
func emit(_ text: String, to path: String?) throws {
  if let path {
    try AtomicFile.write(text, to: path)
  } else {
    FileHandle.standardOutput.write(Data(text.utf8))
  }
}

func printError(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Progress lines on stderr: one per second while a fit runs, and one when a restart ends.
final class ProgressPrinter: @unchecked Sendable {
  private let lock = NSLock()
  private var lastPrint = 0.0
  private var iterationsAtLastPrint = 0

  func report(_ p: FitProgress) {
    lock.lock()
    defer { lock.unlock() }
    guard p.finished || p.seconds - lastPrint >= 1 else { return }
    let rate = Double(p.iteration - iterationsAtLastPrint) / max(p.seconds - lastPrint, 1e-9)
    let status = p.finished ? (p.converged ? "converged" : "stopped at the iteration limit") : String(format: "%.1f it/s", rate)
    printError(String(format: "emzoo: restart %d/%d  iteration %4d  log-likelihood %.10g  change %.3g  (%@)",
                      p.restart + 1, p.restarts, p.iteration, p.objective, p.change, status))
    lastPrint = p.seconds
    iterationsAtLastPrint = p.finished ? 0 : p.iteration
  }
}
