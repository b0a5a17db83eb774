public import EMZooCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Reading a data file for a fit shared among the processes of a `ProcessGroup` (MPI ranks),
/// each process reading only its own part of the file.
///
/// A CSV file is split by bytes: process r scans [r·S/P, (r+1)·S/P) of the S − h bytes after
/// the h-byte header, each end moved to the next line start (`CSVSplit`), and counts its lines;
/// the counts, gathered, number every row globally. Then:
///
/// - more than `DataSet.windowRows` rows: each process parses exactly the rows of its blocks of
///   the fixed grid (`DataSet.window`), whose byte offsets the scans find and gather, into a
///   row window (`DataSet.held`), and the initialisation subsample is gathered;
/// - fewer: each process parses its scanned lines and every row is gathered, so every process
///   holds the whole (small) data and the fit runs as a plain one.
///
/// An `.npy` file is split by rows the same way (its row offsets are known). Every failure is
/// agreed: each process checks its rows, and the message of the lowest failing row (the same
/// one a single process reports for the file) stops every process.
///
/// Sequences (an HMM's, `followingSequences`): the windows follow chunks of whole sequences
/// instead of the fixed blocks (`DataSet.windowChunks`, `DataSet.window(chunks:rows:rank:of:)`).
/// Each process finds the sequence starts of its part — the rows whose `sequence` id differs
/// from the previous row's, reading only that field (`CSVSplit.sequenceStarts`,
/// `NpyReader.sequenceStarts`) — the starts are gathered, every process computes the same
/// chunks and windows, and each parses (or maps) only its window, which may begin in another
/// process's part. A file without a sequence column is one sequence (one chunk: process 0
/// holds every row). Without `followingSequences`, a CSV file with a `sequence` column is read
/// in parts and gathered whole, with its sequence starts (a part's first row continues the
/// sequence of the row before it when their ids agree), and a spec naming a sequence column is
/// read whole by every process, as is a pipe and a small `.npy` file with sequences.
public enum DistributedReader {
  /// The data of `path` (columns `wanted`, sequence column `sequence`) for this process of
  /// `group`, in windows that follow whole sequences when `followingSequences`. Collective:
  /// every process of `group` must call it with the same arguments.
  public static func read(path: String, columns wanted: [String]?, sequence: String?,
                          followingSequences: Bool = false, group: any ProcessGroup) throws -> DataSet {
    let whole = try group.agreeing { () -> Bool in
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
            try InputFile.kind(path, what: "data file") == .regular
      else { return true }
      return sequence != nil && !followingSequences
    }
    if group.size == 1 || whole {
      return try group.agreeing { try CSVReader.read(path: path, columns: wanted, sequence: sequence) }
    }
    if try group.agreeing({ NpyReader.isNpy(path: path) }) {
      return try readNpy(path: path, columns: wanted, sequence: sequence, followingSequences: followingSequences,
                         group: group)
    }
    return try readCSV(path: path, columns: wanted, followingSequences: followingSequences, group: group)
  }

  // MARK: .npy

  static func readNpy(path: String, columns wanted: [String]?, sequence: String? = nil,
                      followingSequences: Bool = false, group: any ProcessGroup) throws -> DataSet {
    let header = try group.agreeing { try NpyReader.header(path: path) }
    let n = header.rows
    if n <= DataSet.windowRows, sequence != nil {
      // Small, with sequences: every process reads the whole file.
      return try group.agreeing { try CSVReader.read(path: path, columns: wanted, sequence: sequence) }
    }
    let window = DataSet.window(rows: n, rank: group.rank, of: group.size)
    if n <= DataSet.windowRows {
      // Small: each reads its rows, then every row is gathered.
      let own = try group.agreeing { try NpyReader.read(path: path, columns: wanted, sequence: nil, rows: window) }
      let d = own.dimension
      let counts = (0..<group.size).map { DataSet.window(rows: n, rank: $0, of: group.size).count * d }
      let all = group.allGather(own.values.array, counts: counts)
      var data = DataSet(source: path, columns: own.columns, values: all)
      data.firstLine = 0
      data.rowNoun = "row"
      return data
    }
    guard followingSequences else {
      var data = try group.agreeing { try NpyReader.readWindow(path: path, columns: wanted, window: window) }
      data.held = window
      return data.gatheringSample(group: group)
    }
    // Whole sequences: the starts found in each block window, gathered; then the chunk window.
    var sequences = [0..<n]
    if let sequence {
      let own = try group.agreeing {
        try NpyReader.sequenceStarts(path: path, columns: wanted, sequence: sequence, rows: window)
      }
      sequences = gatheredSequences(own, rows: n, group: group)
    }
    let chunks = DataSet.chunks(ofSequences: sequences)
    let held = DataSet.window(chunks: chunks, rows: n, rank: group.rank, of: group.size)
    var data = try group.agreeing {
      try NpyReader.readWindow(path: path, columns: wanted, sequence: sequence, window: held)
    }
    data.sequences = sequences
    data.windowChunks = chunks
    data.held = held
    return data.gatheringSample(group: group)
  }

  /// The sequences of `rows` rows from every process's sequence starts (global row numbers,
  /// increasing, in rank order; row 0 among them). Collective.
  static func gatheredSequences(_ own: [Int], rows n: Int, group: any ProcessGroup) -> [Range<Int>] {
    let counts = group.allGather([Double(own.count)], counts: [Int](repeating: 1, count: group.size)).map { Int($0) }
    let starts = group.allGather(own.map(Double.init), counts: counts).map { Int($0) }
    return starts.indices.map { k in starts[k]..<(k + 1 < starts.count ? starts[k + 1] : n) }
  }

  // MARK: CSV

  static func readCSV(path: String, columns wanted: [String]?, followingSequences: Bool = false,
                      group: any ProcessGroup) throws -> DataSet {
    let P = group.size, r = group.rank
    // Phase 1: the header, this process's byte range and its line count.
    let phase1 = try group.agreeing { () -> (FileBytes, Int, [String], Range<Int>, Int)? in
      let file = try FileBytes(path: path)
      guard let dataStart = try CSVSplit.dataStart(file) else { return nil }
      var head = try file.bytes(0..<dataStart)
      if head.starts(with: [0xEF, 0xBB, 0xBF]) { head.removeFirst(3) }
      let fields = CSVReader.fields(CSVReader.line(in: head, from: 0))
      let scan = try CSVSplit.scanRange(rank: r, of: P, dataStart: dataStart, file: file)
      return (file, dataStart, fields, scan, try CSVSplit.countRows(in: scan, file: file))
    }
    guard let (file, dataStart, headerFields, scan, count) = phase1 else {
      // No header line: the plain reader says what is wrong (the same on every process).
      return try group.agreeing { try CSVReader.read(path: path, columns: wanted) }
    }
    // Sequences not followed by the windows: each process reads its part, then every row is
    // gathered with the sequence starts.
    let sequenceField = headerFields.firstIndex(of: "sequence")
    let counts = group.allGather([Double(count)], counts: [Int](repeating: 1, count: P)).map { Int($0) }
    let n = counts.reduce(0, +)
    let rowStarts = counts.indices.map { q in counts[..<q].reduce(0, +) }
    if n == 0 {
      throw InputError("\(path): no data rows after the header")
    }
    let windowed = n > DataSet.windowRows && (sequenceField == nil || followingSequences)
    // Windows following whole sequences: the starts of each part's sequences, gathered.
    var chunks: [Range<Int>]? = nil
    var followed: [Range<Int>]? = nil
    if windowed, followingSequences {
      var found = [0..<n]
      if let sequenceField {
        let own = try group.agreeing { () throws -> [Int] in
          let previous = try CSVSplit.previousRowStart(before: scan.lowerBound, dataStart: dataStart, file: file)
          return try CSVSplit.sequenceStarts(field: sequenceField, in: scan, previous: previous, file: file)
            .map { $0 + rowStarts[r] }
        }
        found = gatheredSequences(own, rows: n, group: group)
      }
      followed = found
      chunks = DataSet.chunks(ofSequences: found)
    }
    // The rows and bytes this process parses.
    var parts = (0..<P).map { rowStarts[$0]..<(rowStarts[$0] + counts[$0]) }
    var bytes = scan
    if windowed {
      let windows = (0..<P).map { q in
        chunks.map { DataSet.window(chunks: $0, rows: n, rank: q, of: P) } ?? DataSet.window(rows: n, rank: q, of: P)
      }
      parts = windows
      let boundaries = windows.map(\.lowerBound)
      let offsets = try CSVSplit.gatherOffsets(
        of: boundaries, rowStarts: rowStarts, counts: counts, scan: scan, file: file, group: group)
      bytes = offsets[r]..<(r + 1 < P ? offsets[r + 1] : file.size)
    }
    let rows = parts[r]
    // Phase 2: parse the rows (into their place in the whole matrix for a window).
    let selectedCount = wanted?.count ?? headerFields.filter { $0 != "sequence" && $0 != "latent" }.count
    let reservation = try group.agreeing { () throws -> ExternalBuffer? in
      guard windowed else { return nil }
      guard let reserved = DataValues.reserved(count: n * max(selectedCount, 1)) else {
        throw InputError("\(path): cannot reserve memory for \(n) rows")
      }
      return reserved
    }
    let raw = try group.agreeing { () -> CSVReader.RawTable in
      let header = try file.bytes(0..<dataStart)
      var next = bytes.lowerBound
      var first = true
      let destination = reservation.map { UnsafeMutablePointer(mutating: $0.base) + rows.lowerBound * selectedCount }
      // An empty part still parses the header and the first data line (for the columns), then
      // keeps no row of it.
      let part = rows.isEmpty ? dataStart..<min(file.size, try CSVSplit.lineEnd(after: dataStart, file: file)) : bytes
      next = part.lowerBound
      // Room for one row more than the part has, so the parser goes on past its last row to
      // the blank lines after it (only blank lines: the part has no other row).
      var table = try CSVReader.parseRaw(
        source: path, columns: wanted, lineBound: rows.count + 2, rowOffset: rows.lowerBound,
        destination: rows.isEmpty ? nil : destination, continuing: part.lowerBound > dataStart
      ) { () -> [UInt8]? in
        if first {
          first = false
          return header
        }
        guard next < part.upperBound else { return nil }
        let end = min(part.upperBound, next + CSVReader.blockSize)
        defer { next = end }
        return try? file.bytes(next..<end)
      }
      if rows.isEmpty {
        table.rows = 0
        table.failure = nil
        table.textRows = table.textRows.map { _ in -1 }
        table.numberRows = table.numberRows.map { _ in -1 }
      }
      return table
    }
    try agreeOnFailure(raw, rows: rows, bytes: bytes, file: file, ends: parts.map(\.upperBound),
                       counts: parts.map(\.count), source: path, group: group)
    var textRows = raw.textRows.map { $0 >= 0 ? Int($0) + rows.lowerBound : -1 }
    var numberRows = raw.numberRows.map { $0 >= 0 ? Int($0) + rows.lowerBound : -1 }
    if wanted == nil {
      // Text and number rows over every process: the first of each.
      let H = textRows.count
      let all = group.allGather((textRows + numberRows).map(Double.init), counts: [Int](repeating: 2 * H, count: P))
      for c in 0..<H {
        for q in 0..<P {
          let t = Int(all[q * 2 * H + c]), m = Int(all[q * 2 * H + H + c])
          if t >= 0, textRows[c] < 0 || t < textRows[c] { textRows[c] = t }
          if m >= 0, numberRows[c] < 0 || m < numberRows[c] { numberRows[c] = m }
        }
      }
    }
    var table = raw
    table.textRows = textRows.map(Int64.init)
    table.numberRows = numberRows.map(Int64.init)
    table.latent = []
    if sequenceField == nil { table.starts = [] }
    if let reservation {
      return try windowData(table, reservation: reservation, rows: n, window: rows, sequences: followed,
                            chunks: chunks, source: path, group: group)
    }
    // Small data: every row, gathered.
    var local = try table.dataSet(source: path)
    if local.rows != rows.count {
      local = DataSet(source: path, columns: local.columns, values: [])
    }
    let d = local.dimension
    let all = group.allGather(local.values.array, counts: counts.map { $0 * d })
    guard let sequenceField else { return DataSet(source: path, columns: local.columns, values: all) }
    // A part's first row continues the sequence of the file's previous row when their ids agree.
    var starts = Array(table.starts.prefix(rows.count)).map { Double($0) }
    if !starts.isEmpty {
      starts[0] = try group.agreeing { () throws -> Double in
        guard let previous = try CSVSplit.previousRowStart(before: bytes.lowerBound, dataStart: dataStart, file: file) else {
          return 1
        }
        let own = try CSVSplit.field(sequenceField, ofRow: 0, from: bytes, file: file)
        let before = try CSVSplit.field(sequenceField, ofRow: 0, from: previous..<bytes.lowerBound, file: file)
        return own == before ? 0 : 1
      }
    } else {
      _ = try group.agreeing { 0 }
    }
    let flags = group.allGather(starts, counts: counts)
    let sequenceStarts = flags.indices.filter { flags[$0] != 0 }
    let sequences = sequenceStarts.indices.map { k in
      sequenceStarts[k]..<(k + 1 < sequenceStarts.count ? sequenceStarts[k + 1] : n)
    }
    return DataSet(source: path, columns: local.columns, values: all, sequences: sequences)
  }

  /// A window parsed into the reserved matrix: text columns dropped (in place), held rows
  /// (and the sequences and chunks they follow) set, the initialisation sample gathered.
  static func windowData(
    _ table: CSVReader.RawTable, reservation buffer: ExternalBuffer,
    rows n: Int, window: Range<Int>, sequences: [Range<Int>]? = nil, chunks: [Range<Int>]? = nil,
    source: String, group: any ProcessGroup
  ) throws -> DataSet {
    let columns = table.selected.count
    var keep = Array(table.selected.indices)
    if table.wanted == nil {
      keep = keep.filter { !(table.textRows[table.selected[$0]] >= 0 && table.numberRows[table.selected[$0]] < 0) }
      guard !keep.isEmpty else { throw InputError("\(source): no numeric data columns") }
    }
    let k = keep.count
    if k < columns {
      // Forward in place: entry (i, slot) moves from i·columns + j to i·k + slot, never later.
      let m = UnsafeMutablePointer(mutating: buffer.base)
      for i in window {
        for (slot, j) in keep.enumerated() { m[i * k + slot] = m[i * columns + j] }
      }
    }
    let values = DataValues(ExternalBuffer(base: buffer.base, count: n * k) { _ = buffer })
    var data = DataSet(source: source, columns: keep.map { table.header[table.selected[$0]] }, storage: values,
                       sequences: sequences)
    data.windowChunks = chunks
    data.held = window
    return data.gatheringSample(group: group)
  }

  /// Agrees on the first malformed row over every process, as one process reading the whole
  /// file would meet it, and throws its message on every process (nothing when no row is
  /// malformed). Collective.
  static func agreeOnFailure(_ table: CSVReader.RawTable, rows: Range<Int>, bytes: Range<Int>, file: FileBytes,
                             ends: [Int], counts: [Int], source: String, group: any ProcessGroup) throws {
    let P = group.size, r = group.rank
    let H = table.textRows.count
    let width = 3 + 2 * H
    var own = [Double](repeating: -1, count: width)
    if let failure = table.failure {
      own[0] = Double(failure.row)
      own[1] = Double(failure.field)
    }
    // A part without rows but with bytes holds only blank lines: an error too when rows follow.
    own[2 + 2 * H] = (rows.isEmpty ? !bytes.isEmpty : table.trailingBlank && table.failure == nil) ? 1 : 0
    for c in 0..<H {
      own[2 + c] = table.textRows[c] >= 0 ? Double(Int(table.textRows[c]) + rows.lowerBound) : -1
      own[2 + H + c] = table.numberRows[c] >= 0 ? Double(Int(table.numberRows[c]) + rows.lowerBound) : -1
    }
    let all = group.allGather(own, counts: [Int](repeating: width, count: P))
    let plan = CSVSplit.firstFailure(
      failures: (0..<P).map { q in all[q * width] >= 0 ? (Int(all[q * width]), Int(all[q * width + 1])) : nil },
      textRows: (0..<P).map { q in (0..<H).map { Int(all[q * width + 2 + $0]) } },
      numberRows: (0..<P).map { q in (0..<H).map { Int(all[q * width + 2 + H + $0]) } },
      trailingBlank: (0..<P).map { q in all[q * width + 2 + 2 * H] == 1 }, ends: ends, counts: counts)
    guard let plan else { return }
    let message = plan.rank == r
      ? CSVSplit.message(of: plan, in: table, firstRow: rows.lowerBound, bytes: bytes, file: file, path: source) : nil
    if let agreed = group.agree(on: message) { throw InputError(agreed) }
  }
}
