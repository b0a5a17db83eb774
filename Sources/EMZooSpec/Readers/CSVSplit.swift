public import EMZooCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Bytes read by offset: a file (`FileBytes`) or, in tests, an array.
public protocol ByteSource {
  /// The number of bytes.
  var size: Int { get }
  /// The bytes of `range` (within 0..<size).
  func bytes(_ range: Range<Int>) throws -> [UInt8]
}

extension Array: ByteSource where Element == UInt8 {
  public var size: Int { count }
  public func bytes(_ range: Range<Int>) throws -> [UInt8] { Array(self[range]) }
}

/// A regular file read with `pread` (no shared file position, no mapping).
public final class FileBytes: ByteSource {
  let descriptor: Int32
  public let size: Int
  let path: String

  public init(path: String) throws {
    descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
      throw InputError("\(Quote.text(path)): cannot read the data file (\(String(cString: strerror(errno))))")
    }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else {
      close(descriptor)
      throw InputError("\(Quote.text(path)): cannot read the data file (\(String(cString: strerror(errno))))")
    }
    size = Int(info.st_size)
    self.path = path
  }

  deinit { close(descriptor) }

  public func bytes(_ range: Range<Int>) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: range.count)
    var done = 0
    while done < range.count {
      let n = out.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, range.count - done, off_t(range.lowerBound + done)) }
      if n < 0, errno == EINTR { continue }
      guard n > 0 else {
        throw InputError("\(Quote.text(path)): cannot read the data file (it changed while being read)")
      }
      done += n
    }
    return out
  }
}

/// Splitting a CSV file's rows among processes by bytes, at line boundaries, and numbering
/// them globally. A row is a line that is not blank (a blank line — empty, or only "\r" — is
/// not a row, as for `CSVReader`); every function here is pure given the bytes.
public enum CSVSplit {
  static let scanBlock = 1 << 20

  /// The offset just after the header line's "\n", or nil when the first
  /// `CSVReader.maxHeaderBytes` bytes hold no line end.
  public static func dataStart(_ source: some ByteSource) throws -> Int? {
    var offset = 0
    while offset < min(source.size, CSVReader.maxHeaderBytes) {
      let block = try source.bytes(offset..<min(source.size, offset + scanBlock))
      if let i = block.firstIndex(of: 0x0A) { return offset + i + 1 }
      offset += block.count
    }
    return nil
  }

  /// The first line start at or after `x`: `dataStart` for x ≤ dataStart, else the offset after
  /// the first "\n" at or after x − 1, or the end of the file.
  public static func lineStart(atOrAfter x: Int, dataStart: Int, source: some ByteSource) throws -> Int {
    if x <= dataStart { return dataStart }
    if x >= source.size { return source.size }
    return try lineEnd(after: x - 1, file: source)
  }

  /// The offset just after the first "\n" at or after `x` (the end of the file without one).
  public static func lineEnd(after x: Int, file source: some ByteSource) throws -> Int {
    var offset = x
    while offset < source.size {
      let block = try source.bytes(offset..<min(source.size, offset + scanBlock))
      if let i = block.firstIndex(of: 0x0A) { return offset + i + 1 }
      offset += block.count
    }
    return source.size
  }

  /// The bytes process `rank` of `size` scans: its share [dataStart + rank·(S − dataStart)/size,
  /// dataStart + (rank+1)·(S − dataStart)/size) of the data bytes, both ends moved to line
  /// starts (so every line belongs to exactly one process; some may get none).
  public static func scanRange(rank: Int, of size: Int, dataStart: Int, file source: some ByteSource) throws -> Range<Int> {
    let bytes = source.size - dataStart
    let lo = try lineStart(atOrAfter: dataStart + rank * bytes / size, dataStart: dataStart, source: source)
    let hi = rank + 1 == size
      ? source.size : try lineStart(atOrAfter: dataStart + (rank + 1) * bytes / size, dataStart: dataStart, source: source)
    return lo..<max(lo, hi)
  }

  /// Calls `body(offset)` with the offset of every row (non-blank line) starting in `range`
  /// (whose ends are line starts), in order, until `body` returns false.
  public static func forEachRow(in range: Range<Int>, file source: some ByteSource, _ body: (Int) -> Bool) throws {
    var offset = range.lowerBound
    var lineStart = range.lowerBound
    var lineLength = 0
    var last: UInt8 = 0
    func isBlank() -> Bool { lineLength == 0 || (lineLength == 1 && last == 0x0D) }
    while offset < range.upperBound {
      let block = try source.bytes(offset..<min(range.upperBound, offset + scanBlock))
      for (i, byte) in block.enumerated() {
        if byte == 0x0A {
          if !isBlank(), !body(lineStart) { return }
          lineStart = offset + i + 1
          lineLength = 0
        } else {
          lineLength += 1
          last = byte
        }
      }
      offset += block.count
    }
    if !isBlank(), lineStart < range.upperBound { _ = body(lineStart) }
  }

  /// The start of the last row (non-blank line) that ends before the line start `x`, or nil
  /// when no row lies between `dataStart` and `x`.
  public static func previousRowStart(before x: Int, dataStart: Int, file source: some ByteSource) throws -> Int? {
    var end = x
    while end > dataStart {
      // The line ending at `end` (exclusive of its "\n" at end − 1) starts after the "\n" before it.
      var start = end - 1
      var chunkEnd = start
      var found: Int? = nil
      while found == nil, chunkEnd > dataStart {
        let chunkStart = max(dataStart, chunkEnd - scanBlock)
        let block = try source.bytes(chunkStart..<chunkEnd)
        if let i = block.lastIndex(of: 0x0A) { found = chunkStart + i + 1 } else { chunkEnd = chunkStart }
      }
      start = found ?? dataStart
      var length = 0
      try forEachRow(in: start..<end, file: source) { _ in
        length += 1
        return false
      }
      if length > 0 { return start }
      end = start
    }
    return nil
  }

  /// The number of rows (non-blank lines) starting in `range`.
  public static func countRows(in range: Range<Int>, file source: some ByteSource) throws -> Int {
    var count = 0
    try forEachRow(in: range, file: source) { _ in
      count += 1
      return true
    }
    return count
  }

  /// The global number of each process's first row: 0, c₀, c₀ + c₁, … for row counts c.
  public static func rowStarts(_ counts: [Int]) -> [Int] {
    var starts: [Int] = []
    var total = 0
    for c in counts {
      starts.append(total)
      total += c
    }
    return starts
  }

  /// The byte offsets of the rows `rows` (global numbers, increasing; a number equal to the
  /// total row count means the end of the file), found by the processes whose scanned ranges
  /// hold them and gathered: the same array on every process. Collective.
  public static func gatherOffsets(
    of rows: [Int], rowStarts: [Int], counts: [Int], scan: Range<Int>, file source: some ByteSource,
    group: any ProcessGroup
  ) throws -> [Int] {
    let total = counts.reduce(0, +)
    func owner(_ row: Int) -> Int? {
      guard row < total else { return nil }
      return rowStarts.indices.last { rowStarts[$0] <= row && counts[$0] > 0 }
    }
    let mine = rows.filter { owner($0) == group.rank }
    var found: [Double] = []
    var wanted = mine[...]
    var index = rowStarts[group.rank]
    try group.agreeing {
      try forEachRow(in: scan, file: source) { offset in
        while let next = wanted.first, next == index {
          found.append(Double(offset))
          wanted = wanted.dropFirst()
        }
        index += 1
        return !wanted.isEmpty
      }
    }
    let gatherCounts = (0..<group.size).map { q in rows.filter { owner($0) == q }.count }
    let gathered = group.allGather(found, counts: gatherCounts)
    // Gathered in rank order; ranks own increasing rows, so this is the order of `rows`.
    var offsets: [Int] = []
    var next = 0
    for row in rows {
      if owner(row) == nil {
        offsets.append(source.size)
      } else {
        offsets.append(Int(gathered[next]))
        next += 1
      }
    }
    return offsets
  }

  /// Calls `body` with every row (non-blank line) starting in `range` (whose ends are line
  /// starts), without its line end ("\n", and a "\r" before it), in order.
  static func forEachRowLine(in range: Range<Int>, file source: some ByteSource,
                             _ body: (ArraySlice<UInt8>) -> Void) throws {
    var carry: [UInt8] = []
    func emit(_ line: ArraySlice<UInt8>) {
      var line = line
      if line.last == 0x0D { line = line.dropLast() }
      if !line.isEmpty { body(line) }
    }
    var offset = range.lowerBound
    while offset < range.upperBound {
      let block = try source.bytes(offset..<min(range.upperBound, offset + scanBlock))
      var start = 0
      while let newline = block[start...].firstIndex(of: 0x0A) {
        if carry.isEmpty {
          emit(block[start..<newline])
        } else {
          carry += block[start..<newline]
          emit(carry[...])
          carry = []
        }
        start = newline + 1
      }
      carry += block[start...]
      offset += block.count
    }
    if !carry.isEmpty { emit(carry[...]) }
  }

  /// Field `k` of a line, trimmed of spaces and tabs and of one pair of surrounding quotes, as
  /// the parser compares sequence ids (empty when the line has fewer fields).
  static func trimmedField(_ k: Int, of line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var start = line.startIndex, field = 0
    while field < k {
      guard let comma = line[start...].firstIndex(of: 0x2C) else { return [] }
      start = comma + 1
      field += 1
    }
    var f = line[start..<(line[start...].firstIndex(of: 0x2C) ?? line.endIndex)]
    while let c = f.first, c == 0x20 || c == 0x09 { f = f.dropFirst() }
    while let c = f.last, c == 0x20 || c == 0x09 { f = f.dropLast() }
    if f.count >= 2, f.first == 0x22, f.last == 0x22 { f = f.dropFirst().dropLast() }
    return f
  }

  /// The rows starting in `range` (numbered from 0) that start a sequence: whose id (field `k`,
  /// `trimmedField`) differs from the previous row's, as the parser decides; the first row is
  /// compared with the row that starts at `previous` (nil: no row before it, so a start).
  public static func sequenceStarts(field k: Int, in range: Range<Int>, previous: Int?,
                                    file source: some ByteSource) throws -> [Int] {
    var last: [UInt8]? = nil
    if let previous {
      let end = try lineEnd(after: previous, file: source)
      var line = try source.bytes(previous..<end)[...]
      if line.last == 0x0A { line = line.dropLast() }
      if line.last == 0x0D { line = line.dropLast() }
      last = Array(trimmedField(k, of: line))
    }
    var starts: [Int] = []
    var index = 0
    try forEachRowLine(in: range, file: source) { line in
      let id = trimmedField(k, of: line)
      if last.map({ !$0.elementsEqual(id) }) ?? true {
        starts.append(index)
        last = Array(id)
      }
      index += 1
    }
    return starts
  }

  /// Field `k` (trimmed as `CSVReader.fields` does) of the `index`-th row starting in `range`.
  static func field(_ k: Int, ofRow index: Int, from range: Range<Int>, file source: some ByteSource) throws -> String {
    var start: Int? = nil
    var i = 0
    try forEachRow(in: range, file: source) { offset in
      if i == index { start = offset }
      i += 1
      return start == nil
    }
    guard let start else { return "" }
    let end = try lineEnd(after: start, file: source)
    let line = try source.bytes(start..<end)
    return CSVReader.fields(CSVReader.line(in: line, from: 0)).dropFirst(k).first ?? ""
  }

  /// The kind of the first malformed row of a file split among processes.
  public enum FailureKind: Sendable, Equatable {
    /// A process's own parse failure (a field count, a value, a blank line in its part).
    case local
    /// Text in a column whose earlier row (on an earlier process) held a number.
    case textAfterNumber
    /// A number in a column whose earlier rows (on earlier processes) held only text.
    case numberAfterText
    /// A blank line ending a process's part, with rows after it on a later process.
    case blankLine
  }

  /// Where the first failure of the whole file lies.
  public struct Failure: Sendable, Equatable {
    public var rank: Int
    public var row: Int
    public var field: Int
    public var kind: FailureKind
    /// The first text row of `field` over every process (for `numberAfterText` messages).
    public var firstText: Int?

    public init(rank: Int, row: Int, field: Int, kind: FailureKind, firstText: Int?) {
      self.rank = rank
      self.row = row
      self.field = field
      self.kind = kind
      self.firstText = firstText
    }
  }

  /// The first failure in (row, field) order over every process, as one process reading the
  /// whole file meets it: each process's own first failure (`failures[q]`: row and field), and
  /// the conflicts between processes in the columns whose type is decided over the whole file
  /// (`textRows[q][c]`, `numberRows[q][c]`: the first row of process q with text, resp. a
  /// number, in column c, or −1; text counts only before the process's first number), and a
  /// blank line closing process q's part (`trailingBlank[q]`, ending at row `ends[q]`) when a
  /// later process has rows. Nil when the file has none.
  public static func firstFailure(
    failures: [(row: Int, field: Int)?], textRows: [[Int]], numberRows: [[Int]],
    trailingBlank: [Bool] = [], ends: [Int] = [], counts: [Int] = []
  ) -> Failure? {
    var best: Failure? = nil
    func offer(_ f: Failure) {
      if let b = best, (b.row, b.field) <= (f.row, f.field) { return }
      best = f
    }
    let P = failures.count
    let H = textRows.first?.count ?? 0
    var firstText = [Int?](repeating: nil, count: H)
    for q in 0..<P { for c in 0..<H where textRows[q][c] >= 0 { firstText[c] = min(firstText[c] ?? .max, textRows[q][c]) } }
    for q in 0..<P {
      if let f = failures[q] { offer(Failure(rank: q, row: f.row, field: f.field, kind: .local, firstText: nil)) }
    }
    for c in 0..<H {
      var previousNumber = false
      var previousText: Int? = nil
      for s in 0..<P {
        if textRows[s][c] >= 0, previousNumber {
          offer(Failure(rank: s, row: textRows[s][c], field: c, kind: .textAfterNumber, firstText: nil))
        }
        if numberRows[s][c] >= 0, let t = previousText, !previousNumber {
          offer(Failure(rank: s, row: numberRows[s][c], field: c, kind: .numberAfterText, firstText: t))
        }
        if numberRows[s][c] >= 0 { previousNumber = true }
        if textRows[s][c] >= 0, previousText == nil { previousText = textRows[s][c] }
      }
    }
    for q in trailingBlank.indices where trailingBlank[q] && counts[(q + 1)...].contains(where: { $0 > 0 }) {
      offer(Failure(rank: q, row: ends[q], field: -1, kind: .blankLine, firstText: nil))
    }
    if var b = best, b.kind == .local { b.firstText = nil; best = b }
    return best.map { b in
      var b = b
      if b.kind == .local || b.kind == .numberAfterText, b.field >= 0, b.field < H { b.firstText = firstText[b.field] }
      return b
    }
  }

  /// The message of `failure` (from `firstFailure`), the same one a single parse of the whole
  /// file reports, given `table`, the parse of the part where it lies: the rows starting in
  /// `bytes`, the first numbered `firstRow`.
  static func message(of failure: Failure, in table: CSVReader.RawTable, firstRow: Int, bytes: Range<Int>,
                      file source: some ByteSource, path: String) -> String {
    switch failure.kind {
    case .local:
      guard let local = table.failure else { preconditionFailure("a local failure without its part's failure") }
      if local.afterText, let textRow = failure.firstText {
        return CSVReader.numberAfterText(source: path, header: table.header, field: local.field, textRow: textRow,
                                         numberRow: local.row).message
      }
      return local.error.message
    case .numberAfterText:
      return CSVReader.numberAfterText(source: path, header: table.header, field: failure.field,
                                       textRow: failure.firstText ?? failure.row, numberRow: failure.row).message
    case .textAfterNumber:
      let text = (try? field(failure.field, ofRow: failure.row - firstRow, from: bytes, file: source)) ?? ""
      return "\(path): line \(failure.row + 2), column \(Quote.value(table.header[failure.field])): expected a number, found \(Quote.value(text))"
    case .blankLine:
      return "\(path): line \(failure.row + 2): empty line between rows; expected \(table.header.count) fields"
    }
  }
}
