import EMZooCore
import Foundation

/// A first spec for a data file (`emzoo init`): the model kind and its structure, the data's
/// numeric columns listed explicitly, the data's path relative to the spec, and the default
/// `fit` block, so that `emzoo fit SPEC` runs as written.
public struct SpecDraft: Sendable {
  /// The spec.
  public var spec: JSONValue
  /// One line per column left out or worth a look (text columns, identifiers).
  public var notes: [String]

  /// Drafts a spec for the CSV at `dataPath` to be written at `specPath` (nil: the current
  /// folder). `options` are the structure given on the command line; when they name neither
  /// `components` nor `states`, K = 2 is tried under each name, and a Gaussian emission when
  /// the kind needs one, keeping the first the kind accepts.
  ///
  /// Left out, with a note: text columns, and integer columns that increase strictly from row
  /// to row (row identifiers). Refused: a header whose every field is a number (the file has
  /// no header row).
  public init(dataPath: String, kind: String, options: [(key: String, value: JSONValue)],
              specPath: String?, registry: ModelRegistry) throws {
    let header = try Self.header(of: dataPath)
    if !header.isEmpty, header.allSatisfy({ Double($0) != nil }) {
      throw InputError("\(dataPath): line 1: every header field is a number (\(header.prefix(4).joined(separator: ","))…); expected a header row of column names (add one, e.g. x1,x2,…)")
    }
    let table = try CSVReader.read(path: dataPath)
    var notes: [String] = []
    for name in header where !table.columns.contains(name) && name != "sequence" && name != "latent" {
      notes.append("column '\(name)' is not numeric: left out")
    }
    var columns: [String] = []
    for (j, name) in table.columns.enumerated() {
      if Self.isIdentifier(table, column: j) {
        notes.append("column '\(name)' holds strictly increasing integers (a row identifier?): left out; add it to \"columns\" to use it")
      } else {
        columns.append(name)
      }
    }
    guard !columns.isEmpty else {
      throw InputError("\(dataPath): no data columns left (\(notes.count) left out); expected numeric columns other than identifiers")
    }
    let name = ((dataPath as NSString).lastPathComponent as NSString).deletingPathExtension
    let data = Self.relativePath(of: dataPath, from: specPath)
    let fit = FitSettings()
    let fitBlock = JSONValue.object([
      ("maxIterations", .number(Double(fit.maxIterations))),
      ("tolerance", .number(fit.tolerance)),
      ("restarts", .number(Double(fit.restarts))),
      ("seed", .number(Double(fit.seed))),
      ("init", .string(fit.initialization.rawValue)),
    ])
    func draft(_ options: [(key: String, value: JSONValue)]) -> JSONValue {
      .object([
        ("name", .string(name)), ("model", .string(kind)), ("options", .object(options)),
        ("data", .string(data)), ("columns", .array(columns.map { .string($0) })), ("fit", fitBlock),
      ])
    }
    let keys = Set(options.map(\.key))
    var attempts = [options]
    if !keys.contains("components"), !keys.contains("states") {
      attempts = [[("components", .number(2))] + options, [("states", .number(2))] + options, options]
    }
    if !keys.contains("emission") {
      attempts = attempts.flatMap { [$0, $0 + [("emission", .string("gaussian"))]] }
    }
    var plainError: Error?
    let kept = columns.map { name in table.columns.firstIndex(of: name) ?? 0 }
    let selected = DataSet(source: table.source, columns: columns,
                           values: (0..<table.rows).flatMap { i in kept.map { table[i, $0] } },
                           sequences: table.sequences)
    for attempt in attempts {
      let json = draft(attempt)
      do {
        let spec = try ModelSpec(text: json.formatted(), file: specPath ?? "the drafted \(kind) spec")
        let model = try registry.model(for: spec, dimension: columns.count)
        try model.checkColumns(selected)
        try model.validate(selected)
        self.spec = json
        self.notes = notes
        return
      } catch {
        // The kind's complaint about the options as given is the one worth reporting.
        if attempt.map(\.key) == options.map(\.key) { plainError = error }
      }
    }
    throw plainError ?? InputError("\(dataPath): model \"\(kind)\" accepts none of the drafted options")
  }

  /// The header fields of a CSV file (its first line).
  static func header(of path: String) throws -> [String] {
    if NpyReader.isNpy(path: path), FileManager.default.fileExists(atPath: path) {
      return try NpyReader.header(path: path).columnNames
    }
    guard let handle = FileHandle(forReadingAtPath: path) else { throw InputError("\(path): no such data file") }
    defer { try? handle.close() }
    var bytes: [UInt8] = []
    while bytes.count < 1 << 20, !bytes.contains(0x0A), let block = try? handle.read(upToCount: 64 << 10), !block.isEmpty {
      bytes += block
    }
    var line = bytes.prefix { $0 != 0x0A }
    if line.last == 0x0D { line = line.dropLast() }
    return CSVReader.fields(line)
  }

  /// Whether column j holds integers that increase strictly down at least three rows.
  static func isIdentifier(_ table: DataSet, column j: Int) -> Bool {
    guard table.rows >= 3 else { return false }
    var previous = -Double.infinity
    for i in 0..<table.rows {
      let x = table[i, j]
      guard !x.isNaN, x == x.rounded(), x > previous else { return false }
      previous = x
    }
    return true
  }

  /// `path` relative to the folder of `specPath` (the current folder when nil).
  static func relativePath(of path: String, from specPath: String?) -> String {
    let cwd = FileManager.default.currentDirectoryPath
    func absolute(_ p: String) -> [String] {
      let full = p.hasPrefix("/") ? p : (cwd as NSString).appendingPathComponent(p)
      return (full as NSString).standardizingPath.split(separator: "/").map(String.init)
    }
    let target = absolute(path)
    let folder = specPath.map { absolute($0).dropLast() }.map(Array.init) ?? absolute(cwd)
    var common = 0
    while common < min(target.count - 1, folder.count), target[common] == folder[common] { common += 1 }
    let ups = [String](repeating: "..", count: folder.count - common)
    return (ups + target[common...]).joined(separator: "/")
  }
}
