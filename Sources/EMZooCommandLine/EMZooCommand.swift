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
  /// The version `emzoo --version` prints.
  public static let version = "0.2.0"

  /// The registry the running commands read specs with.
  @TaskLocal static var registry = ModelRegistry.standard

  /// Parses the process's arguments, runs the command with `registry`, and exits.
  ///
  /// C plugins named by `--plugin LIB.so` (anywhere before `--`, repeatable) or by
  /// `EMZOO_PLUGINS` (colon-separated) are loaded first and added to `registry`; a plugin that
  /// cannot be loaded is bad input (one line, exit status 2). Started by an MPI launcher,
  /// the process first joins MPI (`MPILaunch`): the E step is then shared among the ranks and
  /// only rank 0 prints and writes.
  public static func main(registry: ModelRegistry) -> Never {
    // First, so that under MPI only rank 0 reports a plugin that cannot be loaded.
    let group = MPILaunch.join(ProcessInfo.processInfo.environment)
    let loaded: (registry: ModelRegistry, arguments: [String])
    do {
      loaded = try PluginOption.load(into: registry, arguments: Array(CommandLine.arguments.dropFirst()),
                                     environment: ProcessInfo.processInfo.environment)
    } catch let error as InputError {
      EMZooCommand.fail(error.message, status: 2)
    } catch {
      EMZooCommand.fail("\(error)", status: 2)
    }
    Processes.$group.withValue(group) {
      $registry.withValue(loaded.registry) { EMZooCommand.main(loaded.arguments) }
    }
    MPILaunch.exit(0)
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
    version: EMZooCommandLine.version,
    subcommands: [List.self, Sample.self, Fit.self, Check.self, Run.self, Decode.self, Impute.self,
                  Predict.self, Score.self, Select.self, Init.self, Plot.self])

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
        do { try StandardOutput.line(fullMessage(for: error)) } catch let error as InputError { fail(error.message, status: 2) } catch {}
        MPILaunch.exit(0)
      }
      // Argument errors: the first line of the parser's message, with the usage hint.
      let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
      let trimmed = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
      fail("\(trimmed) (see 'emzoo help')", status: 2)
    }
  }

  static func fail(_ message: String, status: Int32) -> Never {
    StandardError.write(Quote.errorLine(message) + "\n")
    MPILaunch.exit(status)
  }
}

/// A check that ran but did not recover the truth (exit status 1).
struct CheckFailed: Error {
  var message: String
}

/// Flags shared by the commands that fit.
struct FitFlags: ParsableArguments {
  @Option(help: "Seed of the first restart; restart r uses seed + r (default: the spec's fit.seed, 1).")
  var seed: UInt64?
  @Option(name: .customLong("max-iterations"), parsing: .unconditional, help: "Iteration limit per restart (default: the spec's fit.maxIterations, 1000).")
  var maxIterations: Int?
  @Option(parsing: .unconditional, help: "Convergence: relative change of the log-likelihood (default: the spec's fit.tolerance, 1e-8).")
  var tolerance: Double?
  @Option(parsing: .unconditional, help: "Number of starts; the best is kept (default: the spec's fit.restarts, 3).")
  var restarts: Int?
  @Option(parsing: .unconditional, help: "Worker threads for the E step; never changes the result (default: the spec's fit.threads, 0 = all cores).")
  var threads: Int?
  @Option(help: "squarem (SQUAREM acceleration, the default) or none (classic EM).")
  var accelerate: String?

  /// The spec's `fit` block with these flags on top.
  func settings(_ spec: ModelSpec) throws -> FitSettings {
    var settings = spec.fit
    if let seed { settings.seed = seed }
    if let maxIterations {
      settings.maxIterations = try Limits.check(maxIterations, Limits.maxIterations, "--max-iterations")
    }
    if let tolerance {
      guard tolerance >= 0, tolerance <= 1 else { throw InputError("--tolerance: expected a number in [0, 1], found \(tolerance)") }
      settings.tolerance = tolerance
    }
    if let restarts {
      settings.restarts = try Limits.check(restarts, Limits.restarts, "--restarts")
    }
    if let threads {
      settings.threads = try Limits.check(threads, Limits.threads, "--threads")
    }
    if let accelerate {
      guard let acceleration = Acceleration(rawValue: accelerate) else {
        throw InputError("--accelerate: expected one of \(Acceleration.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(accelerate)\"")
      }
      settings.acceleration = acceleration
    }
    // Restart r (and short run j) uses seed + r (seed + j): every one must stay exact.
    let starts = settings.initialization == .shortEM ? max(settings.restarts, settings.shortRuns ?? 100) : settings.restarts
    _ = try Limits.seed(settings.seed, restarts: starts, seed == nil ? "\(spec.file): fit.seed" : "--seed")
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
///
/// With `distributed` under an MPI launch of several processes, each process reads only its own
/// rows (`DistributedReader`); a model that cannot fit row windows then gets every row gathered.
/// Collective then: every process must call it.
///
/// A large data file is parsed on `threads` threads (default: the spec's fit.threads; 0 = all
/// cores), as the fit's E step runs.
func loadSpecAndData(_ specPath: String, data dataPath: String?, output: String? = nil,
                     distributed: Bool = false, threads: Int? = nil) throws -> (ModelSpec, DataSet, any SpecifiedModel) {
  let group = Processes.group
  if distributed, group.size > 1 {
    return try loadDistributed(specPath, data: dataPath, output: output, group: group)
  }
  let (spec, kind, path) = try specKindAndDataPath(specPath, data: dataPath, output: output)
  let table = try CSVReader.read(path: path, columns: spec.columns, sequence: spec.sequenceColumn,
                                 threads: threads ?? spec.fit.threads)
  let model = try makeModel(kind, spec: spec, table: table)
  try checkMemory(model, spec: spec, table: table)
  return (spec, table, model)
}

/// The spec at `specPath`, its kind, and the data file (`--data`, else the spec's "data"),
/// checked not to be `output`.
func specKindAndDataPath(_ specPath: String, data dataPath: String?, output: String?) throws
  -> (ModelSpec, ModelKind, String) {
  let spec = try ModelSpec.load(path: specPath)
  let kind = try EMZooCommandLine.registry.kind(named: spec.model, in: spec)
  guard let path = dataPath ?? spec.dataPath else {
    throw InputError("\(spec.file): no data: give --data FILE.csv or a \"data\" field in the spec")
  }
  try checkOutputPath(output, reading: [specPath, path])
  return (spec, kind, path)
}

/// The spec's model for `table`, after checking that the table has the columns the spec names
/// and, when the spec gives parameters, as many data columns as they describe.
func makeModel(_ kind: ModelKind, spec: ModelSpec, table: DataSet) throws -> any SpecifiedModel {
  let registry = EMZooCommandLine.registry
  if let declared = try? kind.make(spec, nil, registry),
     let absent = declared.requiredColumns.first(where: { !table.columns.contains($0.name) }) {
    throw InputError("\(table.source): no column \(Quote.value(absent.name)) (\(absent.field)); the data has \(Quote.list(table.columns))")
  }
  if spec.parameters.isPresent, let declared = try? kind.make(spec, nil, registry), declared.dimension != table.dimension {
    throw InputError("\(table.source): the spec's parameters describe \(declared.dimension) data columns, the data has \(table.dimension) (\(Quote.list(table.columns))); pick columns with the spec's \"columns\"")
  }
  return try kind.make(spec, table.dimension, registry)
}

/// Refuses a fit whose estimated memory exceeds what the machine has (`Limits.checkMemory`).
func checkMemory(_ model: any SpecifiedModel, spec: ModelSpec, table: DataSet) throws {
  try Limits.checkMemory(
    model.memoryEstimate(rows: table.rows, dimension: table.dimension,
                         longestSequence: table.sequences.map(\.count).max() ?? table.rows,
                         threads: ProcessInfo.processInfo.activeProcessorCount, mapped: table.values.isExternal),
    "\(spec.file): \(spec.model) on \(table.rows) rows of \(table.dimension) columns")
}

/// The arguments of the commands that apply a fitted result to data (`decode`, `impute`).
struct ResultDataOutput: ParsableArguments {
  @Argument(help: "A fitted result (or any spec with parameters).")
  var result: String
  @Option(help: "Data CSV (default: the result's \"data\", relative to the result).")
  var data: String?
  @Option(help: "Output CSV file (default: stdout).")
  var output: String?

  /// The result, its data and its model, after checking the output folder exists.
  func load() throws -> (ModelSpec, DataSet, any SpecifiedModel) {
    try checkOutputPath(output, reading: [result] + (data.map { [$0] } ?? []))
    return try loadSpecAndData(result, data: data, output: output)
  }
}

/// Checks a sample size given on the command line.
func checkedCount(_ n: Int, dimension: Int, flag: String = "--n", streaming: Bool = false) throws -> Int {
  guard n >= 1 else { throw InputError("\(flag): expected a positive number of rows, found \(n)") }
  if streaming {
    // Written block by block in bounded memory: bounded only by what can finish.
    guard n <= Limits.sampleRows.upperBound else {
      throw InputError("\(flag): \(n) rows is too large (at most 10^11 rows: more would not finish in a day)")
    }
    return n
  }
  guard n <= 100_000_000, Double(n) * Double(max(dimension, 1)) <= 200_000_000 else {
    throw InputError("\(flag): \(n) rows of \(dimension) columns is too large (at most 100,000,000 rows and 200,000,000 values: they are held in memory)")
  }
  return n
}

/// Fails early, before any work, when an output path cannot be written or is a file being read
/// (see `OutputDestination`).
func checkOutputPath(_ path: String?, reading inputs: [String] = []) throws {
  _ = try OutputDestination.resolve(path, inputs: inputs)
}

/// Writes text to a file atomically (never over an input), or to stdout when no path is given.
func emit(_ text: String, to path: String?, reading inputs: [String] = []) throws {
  // Under MPI every rank computes the same result; only rank 0 writes it.
  guard Processes.group.rank == 0 else { return }
  try withOutput(path, inputs: inputs) { try $0.write(text) }
}

func printError(_ line: String) {
  StandardError.write(line + "\n")
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
