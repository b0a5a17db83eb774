import Foundation
public import EMZooCore
internal import EMZooModels

/// The `fit` block: how EM runs.
public struct FitSettings: Sendable, Equatable {
  public var maxIterations = 1000
  /// Convergence when |ℓₜ − ℓₜ₋₁| ≤ tolerance · |ℓₜ| (relative change of the objective).
  public var tolerance = 1e-8
  public var restarts = 3
  public var seed: UInt64 = 1
  /// How starts are drawn; short-EM by default (see `InitMethod.shortEM`).
  public var initialization = InitMethod.shortEM
  /// Short-EM: the number of short runs (at least `restarts` are made); nil (the default):
  /// 6 to 100, more for small data (see `EMEngine.shortRunCount`).
  public var shortRuns: Int? = nil
  /// Short-EM: the EM iterations of each short run.
  public var shortIterations = 10
  /// Added to every covariance diagonal after the M step (scikit-learn's `reg_covar`).
  public var covarianceFloor = 1e-6
  /// Worker threads for the E step (0: all cores). Never changes the result.
  public var threads = 0
  /// "squarem" (default) or "none": SQUAREM acceleration or classic EM.
  public var acceleration = Acceleration.squarem
  /// Parameter blocks held at the spec's values (`fit.fixed`), by their spec names.
  public var fixed: [String] = []
  /// Whether the result gets `standardErrors`; nil: when the model has at most 2000 free parameters.
  public var standardErrors: Bool? = nil

  public init() {}

  static let keys = ["maxIterations", "tolerance", "restarts", "seed", "init", "covarianceFloor", "threads",
                     "shortRuns", "shortIterations", "accelerate", "fixed", "standardErrors"]

  init(_ field: Field) throws {
    guard field.isPresent else { return }
    try field.object(allowing: Self.keys)
    if field["maxIterations"].isPresent { maxIterations = try field["maxIterations"].integer(in: Limits.maxIterations) }
    if field["tolerance"].isPresent {
      tolerance = try field["tolerance"].number(in: 0...1, "a tolerance in [0, 1]")
    }
    if field["restarts"].isPresent { restarts = try field["restarts"].integer(in: Limits.restarts) }
    if field["seed"].isPresent { seed = UInt64(try field["seed"].integer(in: 0...(1 << 53))) }
    if field["init"].isPresent {
      initialization = InitMethod(rawValue: try field["init"].choice(InitMethod.allCases.map(\.rawValue)))!
    }
    if field["covarianceFloor"].isPresent {
      covarianceFloor = try field["covarianceFloor"].number(in: 0...1e300, "a non-negative number")
    }
    if field["threads"].isPresent { threads = try field["threads"].integer(in: 0...Limits.threads.upperBound) }
    if field["shortRuns"].isPresent { shortRuns = try field["shortRuns"].integer(in: Limits.restarts) }
    if field["shortIterations"].isPresent { shortIterations = try field["shortIterations"].integer(in: 1...1000) }
    if field["accelerate"].isPresent {
      acceleration = Acceleration(rawValue: try field["accelerate"].choice(Acceleration.allCases.map(\.rawValue))) ?? .squarem
    }
    if field["fixed"].isPresent { fixed = try field["fixed"].elements().map { try $0.string() } }
    if field["standardErrors"].isPresent { standardErrors = try field["standardErrors"].bool() }
  }
}

extension FitOptions {
  /// The engine's options from a spec's `fit` block (after command-line overrides).
  public init(_ settings: FitSettings, progress: (@Sendable (FitProgress) -> Void)? = nil) {
    self.init(
      maxIterations: settings.maxIterations, tolerance: settings.tolerance, restarts: settings.restarts,
      seed: settings.seed, initialization: settings.initialization, threads: settings.threads,
      shortRuns: settings.shortRuns ?? 6, maxShortRuns: settings.shortRuns ?? 100,
      shortIterations: settings.shortIterations,
      acceleration: settings.acceleration, standardErrors: settings.standardErrors, progress: progress)
  }
}

/// The `check` block: the round trip `emzoo check` runs.
public struct CheckSettings: Sendable, Equatable {
  public var n = 10_000
  public var seed: UInt64 = 7
  /// The largest recovery error accepted for any parameter entry (see `RecoveryReport`).
  public var tolerance = 0.1

  public init() {}

  init(_ field: Field) throws {
    guard field.isPresent else { return }
    try field.object(allowing: ["n", "seed", "tolerance"])
    if field["n"].isPresent { n = try field["n"].integer(in: Limits.sampleRows) }
    if field["seed"].isPresent { seed = UInt64(try field["seed"].integer(in: 0...(1 << 53))) }
    if field["tolerance"].isPresent { tolerance = try field["tolerance"].positiveNumber() }
  }
}

/// A model declared in a JSON spec: which kind, its structure, its parameters, its data.
public struct ModelSpec: Sendable {
  /// The spec's path as given (used in every error message).
  public var file: String
  public var name: String
  public var model: String
  public var description: String?
  /// The `options` object (validated by the model kind).
  public var options: Field
  /// The `parameters` object, if any (validated by the model kind).
  public var parameters: Field
  /// The `prior` object, if any (validated by the model kind).
  public var prior: Field
  /// The data file, resolved relative to the spec's folder.
  public var dataPath: String?
  public var columns: [String]?
  /// The `sequence` member: the column holding sequence ids when the data is an `.npy` file
  /// (a name `c<j>`); a CSV file's sequence column is always the one named `sequence`.
  public var sequenceColumn: String?
  public var fit: FitSettings
  public var check: CheckSettings

  /// Reads and validates the top level of a spec file.
  public static func load(path: String) throws -> ModelSpec {
    guard FileManager.default.isReadableFile(atPath: path), (try? InputFile.kind(path, what: "spec file")) != nil else {
      if FileManager.default.isReadableFile(atPath: path) { _ = try InputFile.kind(path, what: "JSON spec file") }
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw InputError("\(path): is a directory, expected a JSON spec file")
      }
      throw InputError("\(path): cannot read the spec file (no such file or not readable)")
    }
    // Read once (a pipe works, a FIFO without a writer is empty, a device is refused).
    let data = Data(try InputFile.contents(path, what: "spec file", limit: 1 << 30))
    guard let text = String(data: data, encoding: .utf8) else {
      throw InputError("\(path): not UTF-8 text; expected a JSON spec")
    }
    return try ModelSpec(text: text, file: path)
  }

  public init(text: String, file: String) throws {
    let json: JSONValue
    do {
      json = try JSONValue.parse(text)
    } catch {
      throw InputError("\(file): line \(error.line), column \(error.column): malformed JSON: \(error.message)")
    }
    let root = Field(json, path: "", file: file)
    guard case .object = json else { throw InputError("\(file): expected a JSON object at the top level, found \(json.typeName)") }
    self.file = file
    model = try root["model"].string()
    name = root["name"].isPresent ? try root["name"].string() : Self.defaultName(file)
    description = root["description"].isPresent ? try root["description"].string() : nil
    options = root["options"]
    if options.isPresent { try options.members() }
    parameters = root["parameters"]
    prior = root["prior"]
    if root["data"].isPresent {
      let relative = try root["data"].string()
      dataPath = Self.resolve(relative, against: file)
    }
    if root["columns"].isPresent {
      columns = try root["columns"].elements().map { try $0.string() }
      if columns?.isEmpty == true { throw root["columns"].error("expected at least one column name") }
    }
    if root["sequence"].isPresent { sequenceColumn = try root["sequence"].string() }
    fit = try FitSettings(root["fit"])
    check = try CheckSettings(root["check"])
  }

  static func defaultName(_ file: String) -> String {
    let base = (file as NSString).lastPathComponent
    return base.hasSuffix(".json") ? String(base.dropLast(5)) : base
  }

  /// The `data` member a result written to `resultFile` records for the data read from
  /// `dataPath`: the inverse of how a spec's `data` is resolved.
  ///
  /// Relative to the result file's folder when the result goes to a file (`../d.csv`,
  /// `data/d.csv`), so result and data can move together; the absolute path when the result
  /// goes to stdout (`resultFile` nil or `-`), whose final location is unknown. Paths are
  /// compared as written (after `.`/`..` are resolved against the working directory), not
  /// through symbolic links.
  public static func dataReference(_ dataPath: String, from resultFile: String?) -> String {
    let data = absolute(dataPath)
    guard let resultFile, resultFile != "-" else { return data }
    let from = absolute(resultFile).split(separator: "/").dropLast()
    let to = data.split(separator: "/")
    var common = 0
    while common < min(from.count, to.count - 1), from[common] == to[common] { common += 1 }
    let parts = [Substring](repeating: "..", count: from.count - common) + to[common...]
    return parts.joined(separator: "/")
  }

  /// `path` made absolute against the working directory, with `.` and `..` resolved.
  static func absolute(_ path: String) -> String {
    let joined = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    var parts: [Substring] = []
    for part in joined.split(separator: "/") where part != "." {
      if part == ".." { _ = parts.popLast() } else { parts.append(part) }
    }
    return "/" + parts.joined(separator: "/")
  }

  static func resolve(_ path: String, against specFile: String) -> String {
    if path.hasPrefix("/") { return path }
    let directory = (specFile as NSString).deletingLastPathComponent
    return directory.isEmpty ? path : (directory as NSString).appendingPathComponent(path)
  }
}
