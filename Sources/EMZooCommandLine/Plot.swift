import ArgumentParser
import EMZooCore
import EMZooSpec
import Foundation

struct Plot: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Draw SVG pictures of a fitted result.",
    discussion: """
      Writes into the output folder: trace.svg (objective per iteration, every restart); \
      mixtures: density.svg (1-D Gaussian), classification.svg, uncertainty.svg, \
      frequencies.svg (counts, bits, symbols); hmm: states.svg; regression: \
      coefficients.svg. Lists the written files on stdout, one per line. Large data are \
      drawn from a fixed-seed subsample of at most 20000 rows, so the same result gives the \
      same bytes.
      """)

  @Argument(help: "A fitted result (JSON from 'emzoo fit').")
  var result: String
  @Option(help: "Data CSV (default: the result's \"data\").")
  var data: String?
  @Option(help: "Folder for the SVG files (created when missing).")
  var output: String

  func run() throws {
    try PlotFolder.check(output, option: "--output")
    let (spec, table, model) = try loadSpecAndData(result, data: data)
    let json = try resultJSON(result)
    try PlotFolder.create(output, option: "--output")
    for path in try writePlots(result: json, spec: spec, data: table, model: model, to: output) {
      print(path)
    }
  }
}

/// Reads a result file as JSON (after `ModelSpec.load` has checked it parses).
func resultJSON(_ path: String) throws -> JSONValue {
  guard let data = FileManager.default.contents(atPath: path),
    let json = try? JSONValue.parse(String(decoding: data, as: UTF8.self))
  else { throw InputError("\(path): cannot read the result file") }
  return json
}

/// The folder pictures go to (`plot --output`, `--plot` on `fit` and `check`).
enum PlotFolder {
  /// Fails before any work when `path` is an existing file (not a folder), or when it is
  /// missing and so is the folder it would be created in.
  static func check(_ path: String?, option: String) throws {
    guard let path else { return }
    guard !path.isEmpty, path != "-" else {
      throw InputError("\(option): expected a folder for the SVG pictures, found '\(path)'")
    }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else {
        throw InputError("\(path): \(option) is a file; expected a folder for the SVG pictures")
      }
      return
    }
    let parent = (path as NSString).deletingLastPathComponent
    if !parent.isEmpty,
      !(FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory)
        && isDirectory.boolValue)
    {
      throw InputError("\(path): cannot create the \(option) folder: folder '\(parent)' does not exist")
    }
  }

  /// Creates the folder when it is missing (after `check`).
  static func create(_ path: String, option: String) throws {
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw InputError("\(path): cannot create the \(option) folder (permission denied?)")
    }
  }

  /// Writes the pictures of a finished fit and names them on stderr, one line each.
  static func write(
    _ report: FitReport, data: DataSet, model: any SpecifiedModel, resultFile: String?,
    to folder: String, announce: Bool
  ) throws {
    guard Processes.group.rank == 0 else { return }  // under MPI, only rank 0 writes
    try create(folder, option: "--plot")
    let text = report.result.formatted()
    let spec = try ModelSpec(text: text, file: resultFile ?? "result")
    let paths = try writePlots(
      result: report.result, spec: spec, data: data, model: model, to: folder)
    if announce { for path in paths { printError("emzoo: wrote \(path)") } }
  }
}
