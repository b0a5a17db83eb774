internal import CKernels
import EMZooCore
import Foundation

// MARK: - Parsing in parts, on several threads

extension CSVReader {
  /// Regular files of at least this many bytes are parsed in parts on several threads (below
  /// it, the threads and the header parsed once a part cost about what they save).
  static let partsThreshold = 4 << 20

  /// The threads that parse a file when `threads` are asked for (0: every core), at most the
  /// cores available.
  static func workers(_ threads: Int) -> Int {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    return threads > 0 ? min(threads, cores) : cores
  }

  /// The data set of the CSV file `file`, its data bytes split evenly in `parts` parts at line
  /// starts, parsed on `threads` threads (`parse(_:source:columns:cuts:threads:)`).
  static func parseInParts(_ file: some ByteSource, source: String, columns wanted: [String]?, parts: Int,
                           threads: Int) throws -> DataSet? {
    guard let dataStart = try CSVSplit.dataStart(file) else { return nil }
    let cuts = (1..<max(parts, 1)).map { dataStart + $0 * (file.size - dataStart) / parts }
    return try parse(file, source: source, columns: wanted, cuts: cuts, threads: threads)
  }

  /// The data set of the CSV file `file`, the same as the sequential parse gives (values bit
  /// for bit, columns, sequences, latent labels) or the same error, its bytes after the header
  /// split at the line starts at or after the byte offsets `cuts` and parsed part by part on
  /// `threads` threads. Nil when no data byte follows a header line: the sequential parse then
  /// says what is wrong.
  ///
  /// Each part's lines are counted first (in parallel); the counts place each part's rows in the
  /// matrix, allocated once, and each part is then parsed into its place (in parallel), so peak
  /// memory is the matrix and a block per part. A blank line is not a row, but one between rows
  /// is an error, so the line counts are the row numbers of every row up to the file's first
  /// failure. What the sequential parse decides over the whole file is merged afterwards: the
  /// first failure in (row, field) order and its message (`CSVSplit.firstFailure`, as for the
  /// processes of `DistributedReader`: the text columns, a blank line closing a part with rows
  /// after it); a part's first sequence continuing the previous part's last one when their ids
  /// agree; the latent labels, kept only when every row's is an integer. Only the first part
  /// reads the file's first data line, which must be a row; every part parses the header (so a
  /// malformed header throws the same error from each, the first part's thrown).
  static func parse(_ file: some ByteSource, source: String, columns wanted: [String]?, cuts: [Int],
                    threads: Int) throws -> DataSet? {
    guard let dataStart = try CSVSplit.dataStart(file), dataStart < file.size else { return nil }
    var bounds = [dataStart]
    for cut in cuts.sorted() {
      bounds.append(max(bounds[bounds.count - 1], try CSVSplit.lineStart(atOrAfter: cut, dataStart: dataStart, source: file)))
    }
    bounds.append(file.size)
    let parts = zip(bounds, bounds.dropFirst()).map { $0..<$1 }.filter { !$0.isEmpty }
    let lines = try inParallel(parts.count, threads: threads) { q in try lineCount(parts[q], of: file) }
    let rowStarts = CSVSplit.rowStarts(lines)

    let header = try file.bytes(0..<dataStart)
    let names = fields(line(in: header.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(header.dropFirst(3)) : header, from: 0))
    let width = wanted?.count ?? names.filter { $0 != "sequence" && $0 != "latent" }.count
    var tables: [Result<RawTable, any Error>] = []
    var rows = 0
    let values = [Double](unsafeUninitializedCapacity: max(lines.reduce(0, +) * width, 1)) { storage, initialized in
      tables = EMEngine.concurrently(parts.count, workers: threads) { q, _ in
        let part = parts[q]
        var next = part.lowerBound
        var first = true
        return Result {
          try parseRaw(source: source, columns: wanted, lineBound: lines[q] + 1, rowOffset: rowStarts[q],
                       destination: storage.baseAddress.map { $0 + rowStarts[q] * width },
                       continuing: part.lowerBound > dataStart) { () -> [UInt8]? in
            if first {
              first = false
              return header
            }
            guard next < part.upperBound else { return nil }
            let end = min(part.upperBound, next + blockSize)
            defer { next = end }
            return try? file.bytes(next..<end)
          }
        }
      }
      // Rows are contiguous only without a failure (a blank line between rows is one).
      let parsed = tables.compactMap { try? $0.get() }
      if parsed.count == parts.count, parsed.allSatisfy({ $0.failure == nil }) { rows = parsed.reduce(0) { $0 + $1.rows } }
      initialized = rows * width
    }
    // A throw (a malformed header) is the first part's, which parsed what the sequential parse does first.
    var parsed = try tables.map { try $0.get() }
    tables = []  // `parsed` holds the only copies, each part's labels freed once merged
    precondition(parsed.allSatisfy { $0.selected.count == width }, "the header's columns differ between parts")
    let counts = parsed.map(\.rows)
    let global = { (rows: [Int64], q: Int) in rows.map { $0 >= 0 ? Int($0) + rowStarts[q] : -1 } }
    let textRows = parsed.indices.map { global(parsed[$0].textRows, $0) }
    let numberRows = parsed.indices.map { global(parsed[$0].numberRows, $0) }
    if let failure = CSVSplit.firstFailure(
      failures: parsed.map { $0.failure.map { ($0.row, $0.field) } }, textRows: textRows, numberRows: numberRows,
      trailingBlank: parsed.map { $0.trailingBlank && $0.failure == nil },
      ends: parsed.indices.map { rowStarts[$0] + counts[$0] },
      // A part that failed has a row (a non-blank line) after any blank line before it.
      counts: parsed.map { $0.rows + ($0.failure == nil ? 0 : 1) }
    ) {
      let q = failure.rank
      throw InputError(CSVSplit.message(of: failure, in: parsed[q], firstRow: rowStarts[q], bytes: parts[q], file: file,
                                        path: source))
    }
    guard rows > 0 else { throw InputError("\(source): no data rows after the header") }

    // The whole file's table: the first row with text (and with a number) of each column, the
    // latent labels and sequence starts of every part in order.
    var table = parsed[0]
    table.rows = rows
    table.values = values
    table.textRows = textRows[0].indices.map { c in Int64(textRows.compactMap { $0[c] >= 0 ? $0[c] : nil }.min() ?? -1) }
    table.numberRows = numberRows[0].indices.map { c in Int64(numberRows.compactMap { $0[c] >= 0 ? $0[c] : nil }.min() ?? -1) }
    let sequenceField = table.header.firstIndex(of: "sequence")
    table.latent = []
    table.starts = []
    for q in parsed.indices {
      table.latent += parsed[q].latent.prefix(counts[q])
      table.starts += parsed[q].starts.prefix(counts[q])
      parsed[q].latent = []
      parsed[q].starts = []
      // The part's first row starts a sequence only when its id differs from the previous row's.
      if let sequenceField, q > 0, counts[q] > 0 {
        let previous = try CSVSplit.previousRowStart(before: parts[q].lowerBound, dataStart: dataStart, file: file)
        let firstLine = parts[q].lowerBound..<(try CSVSplit.lineEnd(after: parts[q].lowerBound, file: file))
        let starts = try CSVSplit.sequenceStarts(field: sequenceField, in: firstLine, previous: previous, file: file)
        table.starts[rowStarts[q]] = starts.isEmpty ? 0 : 1
      }
    }
    return try table.dataSet(source: source)
  }

  /// The lines of `range` (whose ends are line starts): its "\n", and one more for a last line
  /// without one.
  static func lineCount(_ range: Range<Int>, of file: some ByteSource) throws -> Int {
    var count = 0
    var last: UInt8 = 0x0A
    var offset = range.lowerBound
    while offset < range.upperBound {
      let block = try file.bytes(offset..<min(range.upperBound, offset + blockSize))
      count += block.withUnsafeBufferPointer { emz_count_byte($0.baseAddress!, $0.count, 0x0A) }
      last = block[block.count - 1]
      offset += block.count
    }
    return count + (last == 0x0A ? 0 : 1)
  }

  /// The results of `count` jobs run on `threads` threads, in job order; the first error thrown
  /// (in job order) is rethrown.
  static func inParallel<T>(_ count: Int, threads: Int, _ job: (Int) throws -> T) throws -> [T] {
    try EMEngine.concurrently(count, workers: threads) { i, _ in Result { try job(i) } }.map { try $0.get() }
  }
}

