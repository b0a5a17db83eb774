import CKernels
import Foundation

/// Observations as one contiguous row-major matrix of `Double`, NaN for a missing entry,
/// with the row ranges of independent sequences (for hidden Markov models).
public struct DataSet: Sendable {
  /// Where the rows came from, for error messages.
  public var source: String
  public var columns: [String]
  public var rows: Int
  public var values: [Double]
  /// Consecutive row ranges that form independent sequences; one range when there is no
  /// `sequence` column.
  public var sequences: [Range<Int>]
  /// The hidden component or state of each row, when known (sampled data).
  public var latent: [Int]?
  /// The file line of row 0 (rows follow one per line).
  public var firstLine = 2

  public var dimension: Int { columns.count }

  public init(source: String, columns: [String], values: [Double], sequences: [Range<Int>]? = nil,
              latent: [Int]? = nil) {
    precondition(columns.isEmpty ? values.isEmpty : values.count % columns.count == 0)
    self.source = source
    self.columns = columns
    self.rows = columns.isEmpty ? 0 : values.count / columns.count
    self.values = values
    self.sequences = sequences ?? [0..<(columns.isEmpty ? 0 : values.count / columns.count)]
    self.latent = latent
  }

  public subscript(row: Int, column: Int) -> Double { values[row * columns.count + column] }

  /// "FILE: line L, column 'x'" for the entry at (row, column).
  public func place(row: Int, column: Int) -> String {
    "\(source): line \(row + firstLine), column '\(columns[column])'"
  }

  /// Whether any entry is missing.
  public var hasMissing: Bool { values.contains { $0.isNaN } }
}

// MARK: - Reading CSV

/// A CSV reader for numeric tables: one pass over the bytes, numbers parsed in place.
public enum CSVReader {
  static func isMissing(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
    switch field.count {
    case 0: return true
    case 2: return field[0] == UInt8(ascii: "N") && field[1] == UInt8(ascii: "A")
    case 3:
      return (field[0] | 0x20) == UInt8(ascii: "n") && (field[1] | 0x20) == UInt8(ascii: "a")
        && (field[2] | 0x20) == UInt8(ascii: "n")
    default: return false
    }
  }

  /// Reads `path`, keeping `columns` (default: every numeric column but `sequence` and `latent`).
  public static func read(path: String, columns wanted: [String]? = nil) throws -> DataSet {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw InputError("\(path): no such data file")
    }
    guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
      throw InputError("\(path): cannot read the data file")
    }
    return try data.withUnsafeBytes { raw in
      try parse(raw.bindMemory(to: UInt8.self), source: path, columns: wanted)
    }
  }

  /// Parses CSV text (for tests and in-memory data).
  public static func parse(text: String, source: String, columns: [String]? = nil) throws -> DataSet {
    var text = text
    return try text.withUTF8 { try parse($0, source: source, columns: columns) }
  }

  static func parse(_ all: UnsafeBufferPointer<UInt8>, source: String, columns wanted: [String]?) throws -> DataSet {
    var bytes = all
    if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
      bytes = UnsafeBufferPointer(rebasing: bytes[3...])
    }
    let comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
    let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), quote = UInt8(ascii: "\"")
    let count = bytes.count
    var position = 0

    /// The next line as a byte range without its line end, or nil at the end.
    func nextLine() -> Range<Int>? {
      guard position < count else { return nil }
      let start = position
      var end = start
      while end < count, bytes[end] != newline { end += 1 }
      position = end + 1
      var stop = end
      if stop > start, bytes[stop - 1] == cr { stop -= 1 }
      return start..<stop
    }
    /// The field ranges of a line, trimmed of spaces and surrounding quotes.
    func fields(_ line: Range<Int>, into out: inout [Range<Int>]) {
      out.removeAll(keepingCapacity: true)
      var start = line.lowerBound
      var i = start
      while true {
        if i == line.upperBound || bytes[i] == comma {
          var a = start, b = i
          while a < b, bytes[a] == space || bytes[a] == tab { a += 1 }
          while b > a, bytes[b - 1] == space || bytes[b - 1] == tab { b -= 1 }
          if b - a >= 2, bytes[a] == quote, bytes[b - 1] == quote { a += 1; b -= 1 }
          out.append(a..<b)
          if i == line.upperBound { return }
          start = i + 1
        }
        i += 1
      }
    }
    func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self) }

    guard let headerLine = nextLine(), !headerLine.isEmpty else {
      throw InputError("\(source): empty file; expected a header row of column names")
    }
    var ranges: [Range<Int>] = []
    fields(headerLine, into: &ranges)
    let header = ranges.map(text)
    for (i, name) in header.enumerated() {
      if name.isEmpty { throw InputError("\(source): line 1: column \(i + 1) has an empty name") }
      if let j = header[..<i].firstIndex(of: name) {
        throw InputError("\(source): line 1: duplicate column name '\(name)' (columns \(j + 1) and \(i + 1))")
      }
    }
    let sequenceColumn = header.firstIndex(of: "sequence")
    let latentColumn = header.firstIndex(of: "latent")

    // Rows, kept as raw field ranges until the column selection is known.
    var lineNumber = 1
    var firstRow: [Range<Int>]? = nil
    var selected: [Int] = []
    var values: [Double] = []
    var sequenceStarts: [Int] = []
    var lastSequence: Range<Int>? = nil
    var latent: [Int] = []
    var rows = 0
    values.reserveCapacity(count / 4)

    while let line = nextLine() {
      lineNumber += 1
      if line.isEmpty {
        // Trailing blank lines are fine; a blank line between rows is not.
        var rest = position
        while rest < count, bytes[rest] == newline || bytes[rest] == cr { rest += 1 }
        if rest >= count { break }
        throw InputError("\(source): line \(lineNumber): empty line between rows; expected \(header.count) fields")
      }
      fields(line, into: &ranges)
      guard ranges.count == header.count else {
        throw InputError("\(source): line \(lineNumber): expected \(header.count) fields as in the header, found \(ranges.count)")
      }
      if firstRow == nil {
        firstRow = ranges
        selected = try selectColumns(header: header, wanted: wanted, source: source) { column in
          let r = ranges[column]
          let field = UnsafeBufferPointer(rebasing: bytes[r])
          if isMissing(field) { return true }
          var x = 0.0
          return field.withMemoryRebound(to: CChar.self) { emz_parse_double($0.baseAddress, $0.count, &x) } == 1
        }
      }
      for column in selected {
        let r = ranges[column]
        let field = UnsafeBufferPointer(rebasing: bytes[r])
        if isMissing(field) {
          values.append(.nan)
          continue
        }
        var x = 0.0
        let ok = field.withMemoryRebound(to: CChar.self) { emz_parse_double($0.baseAddress, $0.count, &x) }
        guard ok == 1 else {
          throw InputError("\(source): line \(lineNumber), column '\(header[column])': expected a number, found '\(text(r))'")
        }
        guard x.isFinite else {
          throw InputError("\(source): line \(lineNumber), column '\(header[column])': expected a finite number, found '\(text(r))' (write an empty field, NA or NaN for a missing value)")
        }
        values.append(x)
      }
      if let sequenceColumn {
        let r = ranges[sequenceColumn]
        let same = lastSequence.map { last in
          last.count == r.count && zip(bytes[last], bytes[r]).allSatisfy { $0 == $1 }
        } ?? false
        if !same { sequenceStarts.append(rows) }
        lastSequence = r
      }
      if let latentColumn {
        let r = ranges[latentColumn]
        var x = 0.0
        let field = UnsafeBufferPointer(rebasing: bytes[r])
        let ok = field.withMemoryRebound(to: CChar.self) { emz_parse_double($0.baseAddress, $0.count, &x) }
        latent.append(ok == 1 && x >= 0 && x == x.rounded() && x < 1e9 ? Int(x) : -1)
      }
      rows += 1
    }
    guard rows > 0 else { throw InputError("\(source): no data rows after the header") }
    let names = selected.map { header[$0] }
    var sequences: [Range<Int>]? = nil
    if sequenceColumn != nil {
      sequences = sequenceStarts.indices.map { i in
        sequenceStarts[i]..<(i + 1 < sequenceStarts.count ? sequenceStarts[i + 1] : rows)
      }
    }
    let knownLatent = latentColumn != nil && !latent.contains(-1)
    return DataSet(source: source, columns: names, values: values, sequences: sequences,
                   latent: knownLatent ? latent : nil)
  }

  /// The indices of the columns to keep: the named ones, or every column whose first value
  /// is numeric (or missing), except `sequence` and `latent`.
  static func selectColumns(header: [String], wanted: [String]?, source: String,
                            isNumeric: (Int) -> Bool) throws -> [Int] {
    if let wanted {
      return try wanted.map { name in
        guard let i = header.firstIndex(of: name) else {
          throw InputError("\(source): no column named '\(name)'; the header has \(header.joined(separator: ", "))")
        }
        return i
      }
    }
    let chosen = header.indices.filter { header[$0] != "sequence" && header[$0] != "latent" && isNumeric($0) }
    guard !chosen.isEmpty else { throw InputError("\(source): no numeric data columns (line 2 has none)") }
    return chosen
  }
}

// MARK: - Writing

/// Files written whole or not at all: the text goes to a temporary file in the same folder,
/// which is renamed over the target only when complete.
public enum AtomicFile {
  public static func write(_ text: String, to path: String) throws {
    let directory = (path as NSString).deletingLastPathComponent
    var isDirectory: ObjCBool = false
    if !directory.isEmpty {
      guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw InputError("\(path): cannot write output: folder '\(directory)' does not exist")
      }
    }
    let base = (path as NSString).lastPathComponent
    let temporary = ((directory.isEmpty ? "." : directory) as NSString)
      .appendingPathComponent(".\(base).tmp-\(ProcessInfo.processInfo.processIdentifier)")
    guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else {
      throw InputError("\(path): cannot write output (permission denied or disk full)")
    }
    if rename(temporary, path) != 0 {
      try? FileManager.default.removeItem(atPath: temporary)
      throw InputError("\(path): cannot write output (rename failed)")
    }
  }
}

extension DataSet {
  /// CSV text: the header, then one line per row; integral values print without a point.
  public func csv(extraColumns: [(name: String, values: [String])] = []) -> String {
    var out = ""
    out.reserveCapacity(rows * (dimension + 1) * 10)
    let sequenceIDs = sequences.count > 1
    var header = (sequenceIDs ? ["sequence"] : []) + columns
    if let _ = latent { header.append("latent") }
    header += extraColumns.map(\.name)
    out += header.joined(separator: ",") + "\n"
    var sequenceOfRow = [Int](repeating: 0, count: sequenceIDs ? rows : 0)
    if sequenceIDs { for (s, r) in sequences.enumerated() { for i in r { sequenceOfRow[i] = s } } }
    for i in 0..<rows {
      if sequenceIDs { out += String(sequenceOfRow[i]) + "," }
      for j in 0..<dimension {
        if j > 0 { out += "," }
        let x = values[i * dimension + j]
        if x.isNaN { continue }
        out += (x == x.rounded() && abs(x) < 1e15) ? String(Int64(x)) : "\(x)"
      }
      if let latent { out += "," + String(latent[i]) }
      for column in extraColumns { out += "," + column.values[i] }
      out += "\n"
    }
    return out
  }
}
