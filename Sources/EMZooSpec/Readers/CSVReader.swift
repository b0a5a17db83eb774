internal import CKernels
import Foundation
public import EMZooCore
internal import EMZooModels

// MARK: - Reading CSV

/// A CSV reader for numeric tables. The file is read twice in 8 MiB blocks: once to count
/// its lines (so the value matrix is allocated once, at its final size) and once to parse
/// it in C (`emz_csv_parse`), so peak memory is the matrix plus one block. A large regular
/// file is read the same way in parts, each on its own thread, with a block per part
/// (`parse(_:source:columns:cuts:threads:)`).
public enum CSVReader {
  static let blockSize = 8 << 20
  /// The longest header line (and first data line) accepted.
  static let maxHeaderBytes = 256 << 20

  /// Reads `path`, keeping `columns` (default: every numeric column but `sequence` and `latent`).
  ///
  /// A NumPy `.npy` file (by its extension or its `\x93NUMPY` magic) is read by `NpyReader`
  /// instead, its columns named `c0`, `c1`, … and the sequence ids in column `sequence` (a
  /// name `c<j>`; a CSV file's sequence column is always the one named `sequence`).
  ///
  /// A regular CSV file of `partsThreshold` bytes or more is parsed in parts on `threads`
  /// threads (0: every core; never more than the cores available), with the same result.
  public static func read(path: String, columns wanted: [String]? = nil, sequence: String? = nil,
                          threads: Int = 0) throws -> DataSet {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw InputError("\(path): no such data file")
    }
    guard !isDirectory.boolValue, FileManager.default.isReadableFile(atPath: path) else {
      throw InputError("\(path): cannot read the data file")
    }
    let isStream = try InputFile.kind(path, what: "data file") == .stream
    if !isStream, NpyReader.isNpy(path: path) {
      return try NpyReader.read(path: path, columns: wanted, sequence: sequence)
    }
    if isStream {
      // A pipe cannot be read twice: read it once, then parse the bytes.
      var bytes: [UInt8]? = try InputFile.contents(path, what: "data file", limit: Int(min(Limits.physicalMemory / 2, 1e15)))
      if let whole = bytes, NpyReader.hasMagic(whole) {
        return try NpyReader.parse(bytes: whole, source: path, columns: wanted, sequence: sequence)
      }
      let lines = 1 + lineEnds(bytes ?? [])
      return try parse(source: path, columns: wanted, lineBound: lines) {
        defer { bytes = nil }
        return bytes
      }
    }
    let workers = workers(threads)
    if workers > 1, let file = try? FileBytes(path: path), file.size >= partsThreshold,
       let data = try parseInParts(file, source: path, columns: wanted, parts: workers, threads: workers) {
      return data
    }
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw InputError("\(path): cannot read the data file")
    }
    defer { try? handle.close() }
    // Pass 1: count line ends (an upper bound on the rows).
    var lines = 0
    var lastByte: UInt8 = 0
    while let block = try? handle.read(upToCount: blockSize), !block.isEmpty {
      block.withUnsafeBytes { raw in
        lines += emz_count_byte(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), raw.count, 0x0A)
        lastByte = raw[raw.count - 1]
      }
    }
    if lastByte != 0x0A { lines += 1 }
    try? handle.seek(toOffset: 0)
    return try parse(source: path, columns: wanted, lineBound: lines) {
      guard let block = try? handle.read(upToCount: blockSize), !block.isEmpty else { return nil }
      return [UInt8](block)
    }
  }

  /// Parses CSV text (for tests and in-memory data).
  public static func parse(text: String, source: String, columns: [String]? = nil) throws -> DataSet {
    var bytes: [UInt8]? = Array(text.utf8)
    let lines = 1 + lineEnds(bytes!)
    return try parse(source: source, columns: columns, lineBound: lines) {
      defer { bytes = nil }
      return bytes
    }
  }

  /// The number of "\n" in `bytes` (a vectorised C loop, about twice as fast as the per-byte
  /// closure of a Swift `reduce`).
  static func lineEnds(_ bytes: [UInt8]) -> Int {
    bytes.withUnsafeBufferPointer { $0.isEmpty ? 0 : emz_count_byte($0.baseAddress!, $0.count, 0x0A) }
  }

  /// The fields of one line, trimmed of spaces and surrounding quotes (header and error paths).
  static func fields(_ line: ArraySlice<UInt8>) -> [String] {
    line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map { field in
      var f = field
      while let c = f.first, c == 0x20 || c == 0x09 { f = f.dropFirst() }
      while let c = f.last, c == 0x20 || c == 0x09 { f = f.dropLast() }
      if f.count >= 2, f.first == 0x22, f.last == 0x22 { f = f.dropFirst().dropLast() }
      return String(decoding: f, as: UTF8.self)
    }
  }

  /// The line starting at `start`, without its line end.
  static func line(in buffer: [UInt8], from start: Int) -> ArraySlice<UInt8> {
    var end = buffer[start...].firstIndex(of: 0x0A) ?? buffer.count
    if end > start, buffer[end - 1] == 0x0D { end -= 1 }
    return buffer[start..<end]
  }

  static func parse(source: String, columns wanted: [String]?, lineBound: Int,
                    nextBlock: () -> [UInt8]?) throws -> DataSet {
    let raw = try parseRaw(source: source, columns: wanted, lineBound: lineBound, nextBlock: nextBlock)
    if let failure = raw.failure { throw failure.error }
    guard raw.rows > 0 else { throw InputError("\(source): no data rows after the header") }
    return try raw.dataSet(source: source)
  }

  /// What parsing some rows of a CSV file gives before the columns are chosen for good: every
  /// `selected` column of each row (in `values`, or in the caller's `destination`), the first
  /// row with text and the first with a number in each header column (when the columns are not
  /// named), and the first failure with its row, all numbered from `rowOffset`.
  struct RawTable {
    var header: [String]
    var selected: [Int]
    var wanted: [String]?
    var rows: Int
    var values: [Double]
    var textRows: [Int64]
    var numberRows: [Int64]
    var latent: [Double]
    var starts: [UInt8]
    /// The first malformed row: its number, field, whether a number followed text, the message.
    var failure: (row: Int, field: Int, afterText: Bool, error: InputError)?
    /// Whether the rows end with a blank line (an error if a later part of the file has rows).
    var trailingBlank = false

    /// The data set: text columns dropped (text somewhere, a number nowhere), sequences and
    /// latent labels attached.
    func dataSet(source: String) throws -> DataSet {
      let columns = selected.count
      var kept = (values: values, selected: selected)
      if wanted == nil {
        // Drop the text columns: text somewhere, a number nowhere.
        let keep = selected.indices.filter { !(textRows[selected[$0]] >= 0 && numberRows[selected[$0]] < 0) }
        if keep.count < selected.count {
          guard !keep.isEmpty else { throw InputError("\(source): no numeric data columns") }
          var compact = [Double](repeating: 0, count: rows * keep.count)
          for i in 0..<rows { for (slot, j) in keep.enumerated() { compact[i * keep.count + slot] = values[i * columns + j] } }
          kept = (compact, keep.map { selected[$0] })
        }
      }
      var sequences: [Range<Int>]? = nil
      if !starts.isEmpty {
        let first = (0..<rows).filter { starts[$0] != 0 }
        sequences = first.indices.map { i in first[i]..<(i + 1 < first.count ? first[i + 1] : rows) }
      }
      var labels: [Int]? = nil
      if !latent.isEmpty, latent[..<rows].allSatisfy({ $0 >= 0 && $0 == $0.rounded() && $0 < 1e9 }) {
        labels = latent[..<rows].map { Int($0) }
      }
      return DataSet(source: source, columns: kept.selected.map { header[$0] }, values: kept.values, sequences: sequences,
                     latent: labels)
    }
  }

  /// Parses the header and the rows that `nextBlock` delivers (the header first), numbering
  /// rows from `rowOffset` in messages; with `destination`, the values go there (room for
  /// `lineBound − 1` rows of every selected column) instead of into `RawTable.values`. A
  /// malformed header throws; a malformed row is returned as `failure`.
  ///
  /// `continuing`: the rows after the header are a later part of the file (a line start in its
  /// middle), so their first line is not the file's first data line, which must be a row.
  static func parseRaw(source: String, columns wanted: [String]?, lineBound: Int, rowOffset: Int = 0,
                       destination: UnsafeMutablePointer<Double>? = nil, continuing: Bool = false,
                       nextBlock: () -> [UInt8]?) throws -> RawTable {
    // The header (and the first data row, which must be a row, unless `continuing`).
    var buffer: [UInt8] = []
    var exhausted = false
    func refill() {
      if let more = nextBlock() { buffer += more } else { exhausted = true }
    }
    let headLines = continuing ? 1 : 2
    var newlines = 0
    while !exhausted, newlines < headLines {
      let scanned = buffer.count
      refill()
      newlines += buffer[scanned...].lazy.filter { $0 == 0x0A }.count
      if newlines < headLines, buffer.count > CSVReader.maxHeaderBytes {
        throw InputError("\(source): no line end in the first \(CSVReader.maxHeaderBytes >> 20) MB; expected a CSV header row and data rows")
      }
    }
    if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { buffer.removeFirst(3) }
    let headerLine = line(in: buffer, from: 0)
    guard !headerLine.isEmpty else { throw InputError("\(source): empty file; expected a header row of column names") }
    let header = fields(headerLine)
    var seen: [String: Int] = [:]
    seen.reserveCapacity(header.count)
    for (i, name) in header.enumerated() {
      if name.isEmpty { throw InputError("\(source): line 1: column \(i + 1) has an empty name") }
      if let j = seen.updateValue(i, forKey: name) {
        throw InputError("\(source): line 1: duplicate column name \(Quote.value(name)) (columns \(j + 1) and \(i + 1))")
      }
    }
    var offset = min(headerLine.endIndex + 1, buffer.count)
    if offset < buffer.count, buffer[offset - 1] == 0x0D, offset < buffer.count, buffer[offset] == 0x0A { offset += 1 }
    let firstRow = offset < buffer.count ? fields(line(in: buffer, from: offset)) : []
    guard continuing || !firstRow.isEmpty && !(firstRow.count == 1 && firstRow[0].isEmpty) else {
      throw InputError("\(source): no data rows after the header")
    }
    // Without `columns`, every column is a candidate; a column is text (and dropped) only when
    // no line of the whole file has a number in it (decided by the parser, not by line 2).
    let selected = try selectColumns(header: header, wanted: wanted, source: source)
    var slots = [Int32](repeating: -1, count: header.count)
    for (slot, column) in selected.enumerated() { slots[column] = Int32(slot) }
    let sequenceField = header.firstIndex(of: "sequence").map(Int32.init) ?? -1
    let latentField = header.firstIndex(of: "latent").map(Int32.init) ?? -1
    let columns = selected.count
    let capacity = max(lineBound - 1, 1)

    // Pass 2: parse every block into the matrix, allocated once.
    var state = emz_csv_state()
    defer { emz_csv_state_free(&state) }
    var textRows = [Int64](repeating: -1, count: wanted == nil ? header.count : 0)
    var numberRows = [Int64](repeating: -1, count: wanted == nil ? header.count : 0)
    var latent = [Double](repeating: .nan, count: latentField >= 0 ? capacity : 0)
    var starts = [UInt8](repeating: 0, count: sequenceField >= 0 ? capacity : 0)
    var rows = 0
    var failure: (row: Int, field: Int, afterText: Bool, error: InputError)? = nil
    func parseRows(into storage: UnsafeMutablePointer<Double>) {
      while true {
        let final = exhausted
        var parsed = 0
        let consumed = textRows.withUnsafeMutableBufferPointer { textOut in numberRows.withUnsafeMutableBufferPointer { numberOut in
          state.text_rows = wanted == nil ? textOut.baseAddress : nil
          state.number_rows = wanted == nil ? numberOut.baseAddress : nil
          defer { state.text_rows = nil; state.number_rows = nil }
          return buffer.withUnsafeBufferPointer { bytes in
          latent.withUnsafeMutableBufferPointer { latentOut in
            starts.withUnsafeMutableBufferPointer { startsOut in
              bytes.withMemoryRebound(to: CChar.self) { chars in
                emz_csv_parse(
                  chars.baseAddress! + offset, chars.count - offset, final ? 1 : 0, header.count, slots, columns,
                  sequenceField, latentField, &state, storage + rows * columns,
                  latentOut.baseAddress.map { $0 + rows }, startsOut.baseAddress.map { $0 + rows },
                  capacity - rows, &parsed)
              }
            }
          }
        }
        } }
        rows += parsed
        if state.error != 0 {
          var error = describe(state, header: header, line: line(in: buffer, from: offset + consumed), source: source,
                               rowOffset: rowOffset)
          if Int(state.error) == Int(EMZ_CSV_NUMBER_AFTER_TEXT) {
            let field = Int(state.error_field)
            error = numberAfterText(source: source, header: header, field: field, textRow: Int(textRows[field]) + rowOffset,
                                    numberRow: Int(state.error_row) + rowOffset)
          }
          failure = (Int(state.error_row) + rowOffset, Int(state.error_field),
                     Int(state.error) == Int(EMZ_CSV_NUMBER_AFTER_TEXT), error)
          return
        }
        offset += consumed
        if final { break }
        buffer.removeFirst(offset)
        offset = 0
        refill()
      }
    }
    var values: [Double] = []
    if let destination {
      parseRows(into: destination)
    } else {
      values = [Double](unsafeUninitializedCapacity: capacity * columns) { storage, initialized in
        defer { initialized = rows * columns }
        parseRows(into: storage.baseAddress!)
      }
    }
    return RawTable(header: header, selected: selected, wanted: wanted, rows: rows, values: values,
                    textRows: textRows, numberRows: numberRows, latent: latent, starts: starts, failure: failure,
                    trailingBlank: state.pending_blank_line != 0)
  }

  /// The message for a number in a column whose earlier row `textRow` held text.
  static func numberAfterText(source: String, header: [String], field: Int, textRow: Int, numberRow: Int) -> InputError {
    InputError("\(source): line \(textRow + 2), column \(Quote.value(header[field])): expected a number (line \(numberRow + 2) has one), found text")
  }

  /// The one-line message for a parse error reported by the C parser.
  static func describe(_ state: emz_csv_state, header: [String], line: ArraySlice<UInt8>, source: String,
                       rowOffset: Int = 0) -> InputError {
    let lineNumber = Int(state.error_row) + 2 + rowOffset
    switch Int(state.error) {
    case Int(EMZ_CSV_FIELD_COUNT):
      return InputError("\(source): line \(lineNumber): expected \(header.count) fields as in the header, found \(state.error_field)")
    case Int(EMZ_CSV_EMPTY_LINE):
      return InputError("\(source): line \(lineNumber): empty line between rows; expected \(header.count) fields")
    default:
      let field = Int(state.error_field)
      let text = fields(line).dropFirst(field).first ?? ""
      if Int(state.error) == Int(EMZ_CSV_NOT_FINITE) {
        return InputError("\(source): line \(lineNumber), column \(Quote.value(header[field])): expected a finite number, found \(Quote.value(text)) (write an empty field, NA or NaN for a missing value)")
      }
      return InputError("\(source): line \(lineNumber), column \(Quote.value(header[field])): expected a number, found \(Quote.value(text))")
    }
  }

  /// The indices of the columns to keep: the named ones, or every column except `sequence` and
  /// `latent` (the parse then drops a column in which no line has a number).
  static func selectColumns(header: [String], wanted: [String]?, source: String) throws -> [Int] {
    if let wanted {
      var index: [String: Int] = [:]
      for (i, name) in header.enumerated() where index[name] == nil { index[name] = i }
      return try wanted.map { name in
        guard let i = index[name] else {
          throw InputError("\(source): no column named \(Quote.value(name)); the header has \(Quote.list(header))")
        }
        return i
      }
    }
    let chosen = header.indices.filter { header[$0] != "sequence" && header[$0] != "latent" }
    guard !chosen.isEmpty else { throw InputError("\(source): no data columns besides \"sequence\" and \"latent\"") }
    return chosen
  }
}

// MARK: - Writing

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
