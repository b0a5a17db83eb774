import Foundation
import Numerics
import Testing

@testable import EMZoo

/// Each MPI rank reads only its own rows: the byte-range split of CSV files, the global row
/// numbering, the row windows of large files, the gathered initialisation subsample, and the
/// agreement on the first malformed row, with ranks simulated on threads (`SimulatedProcesses`).
@Suite struct DistributedReaderTests {
  /// A temporary file holding `text`, removed by the caller.
  func temporaryFile(_ text: String, suffix: String = ".csv") throws -> String {
    let path = NSTemporaryDirectory() + "emzoo-ranks-\(UUID().uuidString)\(suffix)"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// `rows` rows of two columns: an integer index and a value that varies with it.
  func table(rows: Int, header: String = "a,b") -> String {
    var text = header + "\n"
    text.reserveCapacity(rows * 16)
    for i in 0..<rows { text += "\(i),\(Double(i % 97) * 0.25 - 3)\n" }
    return text
  }

  /// Every rank's `DistributedReader.read` of `path`, or its error message.
  func readAll(_ path: String, ranks: Int, columns: [String]? = nil, followingSequences: Bool = false) throws
    -> [Result<DataSet, InputError>]
  {
    let simulated = SimulatedProcesses(size: ranks)
    return try simulated.run { _ -> Result<DataSet, InputError> in
      do {
        return .success(try DistributedReader.read(
          path: path, columns: columns, sequence: nil, followingSequences: followingSequences, group: Processes.group))
      } catch let error as InputError {
        return .failure(error)
      }
    }
  }

  @Test("byte ranges snapped to line starts cover every row exactly once, for any number of parts")
  func byteRangesCoverRows() throws {
    let texts = [
      table(rows: 37),
      "x\n1\n22\n333\n4444\n55555\n",
      "x,y\r\n1,2\r\n3,4\r\n5,6",  // CRLF, no final line end
      "x\n1\n2\n\n\n",  // trailing blank lines are not rows
      "x\n0." + String(repeating: "1234567890", count: 50) + "\n7\n",  // one line longer than a part
    ]
    for text in texts {
      let bytes = Array(text.utf8)
      let plainRows = try CSVReader.parse(text: text, source: "t.csv").rows
      let start = try #require(try CSVSplit.dataStart(bytes))
      for parts in 1...7 {
        let ranges = try (0..<parts).map { try CSVSplit.scanRange(rank: $0, of: parts, dataStart: start, file: bytes) }
        #expect(ranges.first?.lowerBound == start)
        #expect(ranges.last?.upperBound == bytes.count)
        for q in 1..<parts { #expect(ranges[q - 1].upperBound == ranges[q].lowerBound) }
        for range in ranges where range.lowerBound < bytes.count && range.lowerBound > start {
          #expect(bytes[range.lowerBound - 1] == 0x0A, "a part starts mid-line")
        }
        let counts = try ranges.map { try CSVSplit.countRows(in: $0, file: bytes) }
        #expect(counts.reduce(0, +) == plainRows, "\(parts) parts of \(text.prefix(12))")
        #expect(CSVSplit.rowStarts(counts) == counts.indices.map { counts[..<$0].reduce(0, +) })
      }
    }
  }

  @Test("global numbering: the n-th row found by any part is the n-th row of the file")
  func globalRowNumbering() throws {
    let text = table(rows: 500)
    let bytes = Array(text.utf8)
    let start = try #require(try CSVSplit.dataStart(bytes))
    var lineStarts: [Int] = []
    try CSVSplit.forEachRow(in: start..<bytes.count, file: bytes) { lineStarts.append($0); return true }
    #expect(lineStarts.count == 500)
    for parts in [2, 3, 5] {
      let ranges = try (0..<parts).map { try CSVSplit.scanRange(rank: $0, of: parts, dataStart: start, file: bytes) }
      var found: [Int] = []
      for range in ranges { try CSVSplit.forEachRow(in: range, file: bytes) { found.append($0); return true } }
      #expect(found == lineStarts)
    }
  }

  @Test("small files: each rank reads its part, every rank then holds every row, as the plain reader reads them")
  func smallFileGathered() throws {
    let path = try temporaryFile(table(rows: 5000, header: "a,b,name") .replacingOccurrences(of: "\n", with: ",x\n")
      .replacingOccurrences(of: "a,b,name,x\n", with: "a,b,name\n"))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let plain = try CSVReader.read(path: path)
    #expect(plain.columns == ["a", "b"])  // the text column is dropped
    for ranks in [2, 3, 4] {
      for result in try readAll(path, ranks: ranks) {
        let data = try result.get()
        #expect(data.held == nil)
        #expect(data.columns == plain.columns)
        #expect(data.values == plain.values)
      }
    }
  }

  @Test("sequences: each rank reads its part; a sequence crossing parts stays one sequence, as in the plain read")
  func sequencesAcrossParts() throws {
    var text = "sequence,x\n"
    var id = 0
    for i in 0..<3000 {
      if i % 437 == 0 || i % 1000 == 999 { id += 1 }
      // Ids with spaces and quotes around them, as the parser trims them.
      text += (i % 3 == 0 ? " \"s\(id)\"" : "s\(id)") + ",\(i)\n"
    }
    let path = try temporaryFile(text)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let plain = try CSVReader.read(path: path)
    #expect(plain.sequences.count > 5)
    // The starts found part by part, reading only the ids, are the parser's.
    let bytes = Array(text.utf8)
    let start = try #require(try CSVSplit.dataStart(bytes))
    for parts in [1, 2, 3, 7] {
      var found: [Int] = []
      var first = 0
      for q in 0..<parts {
        let range = try CSVSplit.scanRange(rank: q, of: parts, dataStart: start, file: bytes)
        let previous = try CSVSplit.previousRowStart(before: range.lowerBound, dataStart: start, file: bytes)
        found += try CSVSplit.sequenceStarts(field: 0, in: range, previous: previous, file: bytes).map { $0 + first }
        first += try CSVSplit.countRows(in: range, file: bytes)
      }
      #expect(found == plain.sequences.map(\.lowerBound), "\(parts) parts")
    }
    for ranks in [2, 3, 5] {
      for result in try readAll(path, ranks: ranks) {
        let data = try result.get()
        #expect(data.sequences == plain.sequences, "\(ranks) ranks")
        #expect(data.values == plain.values)
      }
    }
  }

  @Test("large files: each rank holds exactly its blocks' rows, at their global places; the subsample is gathered in row order")
  func largeFileWindows() throws {
    let rows = DataSet.windowRows + 3 * BlockGrid.rowsPerBlock + 11
    let path = try temporaryFile(table(rows: rows))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let plain = try CSVReader.read(path: path)
    let sample = plain.initializationSample()
    for ranks in [2, 3] {
      let results = try readAll(path, ranks: ranks)
      var covered = 0
      for (rank, result) in results.enumerated() {
        let data = try result.get()
        let window = DataSet.window(rows: rows, rank: rank, of: ranks)
        #expect(data.rows == rows)
        #expect(data.held == window)
        #expect(window.lowerBound == covered)
        covered = window.upperBound
        let d = data.dimension
        #expect(data.values[(window.lowerBound * d)..<(window.upperBound * d)].elementsEqual(
          plain.values[(window.lowerBound * d)..<(window.upperBound * d)]))
        #expect(data.initializationSample().values == sample.values, "rank \(rank) of \(ranks)")
      }
      #expect(covered == rows)
    }
  }

  @Test(".npy files: a rank maps the whole file but holds (and checks) only its window")
  func npyWindows() throws {
    let rows = DataSet.windowRows + BlockGrid.rowsPerBlock + 5
    var values = [Double](repeating: 0, count: rows * 2)
    for i in 0..<rows { values[2 * i] = Double(i); values[2 * i + 1] = Double(i % 13) }
    let path = NSTemporaryDirectory() + "emzoo-ranks-\(UUID().uuidString).npy"
    defer { try? FileManager.default.removeItem(atPath: path) }
    var bytes = NpyWriter.header(rows: rows, columns: 2)
    values.withUnsafeBytes { bytes += $0 }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let plain = try CSVReader.read(path: path)
    for (rank, result) in try readAll(path, ranks: 2).enumerated() {
      let data = try result.get()
      let window = DataSet.window(rows: rows, rank: rank, of: 2)
      #expect(data.held == window)
      #expect(data.values[(window.lowerBound * 2)..<(window.upperBound * 2)].elementsEqual(
        plain.values[(window.lowerBound * 2)..<(window.upperBound * 2)]))
      #expect(data.initializationSample().values == plain.initializationSample().values)
    }
  }

  @Test("a malformed row in a later rank's part stops every rank with the plain reader's message")
  func malformedRowsAgreed() throws {
    for rows in [3000, DataSet.windowRows + 2 * BlockGrid.rowsPerBlock] {
      var lines = table(rows: rows).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      let cases: [(String, [String])] = [
        ("a bad number", { var l = lines; l[rows - 5] = "1.5,abc"; return l }()),
        ("a missing field", { var l = lines; l[rows * 2 / 3] = "7"; return l }()),
        ("a blank line between rows", { var l = lines; l.insert("", at: rows * 3 / 4); return l }()),
        // Text, then a number in another part of the file: the column is not a text column.
        ("a number after text", { var l = lines; for i in 1..<(rows / 2) { l[i] = "\(i),t\(i)" }; return l }()),
        // A number, then text in another part: the text is the error.
        ("text after a number", { var l = lines; for i in (rows * 2 / 3)..<rows { l[i] = "\(i),t" }; return l }()),
      ]
      lines = []
      for (name, caseLines) in cases {
        let path = try temporaryFile(caseLines.joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var expected = ""
        do { _ = try CSVReader.read(path: path) } catch let error as InputError { expected = error.message }
        #expect(!expected.isEmpty, "\(name): the plain reader accepts it")
        for ranks in [2, 3, 4] {
          for result in try readAll(path, ranks: ranks) {
            switch result {
            case .success: Issue.record("\(name), \(rows) rows, \(ranks) ranks: no error")
            case .failure(let error): #expect(error.message == expected, "\(name), \(rows) rows, \(ranks) ranks")
            }
          }
        }
      }
    }
  }

  @Test("blank lines opening, closing or filling a part: the plain reader's message")
  func blankLinesAtPartBoundaries() throws {
    // In two parts, the first file's second part starts at its blank line (byte 6) and the
    // second file's first part ends with its blank line; in three, the third file's first part
    // ends with two blank lines, and in five, its second part is those two blank lines alone.
    for (text, fields) in [("a\n1\n2\n\n3\n4\n", 1), ("a,b\r\n1,2\r\n3,4\r\n\r\n5,6\r\n7,8\r\n", 2), ("a\n1\n\n\n2\n3\n4\n5\n", 1)] {
      let path = try temporaryFile(text)
      defer { try? FileManager.default.removeItem(atPath: path) }
      var expected = ""
      do { _ = try CSVReader.read(path: path) } catch let error as InputError { expected = error.message }
      #expect(expected.hasSuffix("empty line between rows; expected \(fields) fields"))
      for ranks in 2...5 {
        for result in try readAll(path, ranks: ranks) {
          switch result {
          case .success: Issue.record("\(Array(text)), \(ranks) ranks: no error")
          case .failure(let error): #expect(error.message == expected, "\(Array(text)), \(ranks) ranks")
          }
        }
      }
    }
  }

  @Test("the first failure: lowest row, then lowest field, over local failures and conflicts between parts")
  func firstFailureOrder() {
    // Part 0: numbers in column 1 from row 0; part 1: text in column 1 at row 12, a local failure at row 15.
    let f = CSVSplit.firstFailure(
      failures: [nil, (15, 0)], textRows: [[-1, -1], [-1, 12]], numberRows: [[0, 0], [10, -1]])
    #expect(f == CSVSplit.Failure(rank: 1, row: 12, field: 1, kind: .textAfterNumber, firstText: nil))
    // Text first (part 0, row 3), a number in part 2: the number is the error, naming row 3.
    let g = CSVSplit.firstFailure(
      failures: [nil, nil, nil], textRows: [[3], [20], [-1]], numberRows: [[-1], [-1], [40]])
    #expect(g == CSVSplit.Failure(rank: 2, row: 40, field: 0, kind: .numberAfterText, firstText: 3))
    // A blank line ending part 0 with rows after it.
    let h = CSVSplit.firstFailure(
      failures: [nil, (90, 1)], textRows: [], numberRows: [], trailingBlank: [true, false], ends: [50, 100],
      counts: [50, 50])
    #expect(h == CSVSplit.Failure(rank: 0, row: 50, field: -1, kind: .blankLine, firstText: nil))
    #expect(CSVSplit.firstFailure(failures: [nil, nil], textRows: [[-1], [-1]], numberRows: [[0], [9]]) == nil)
  }

  static let windowedSpecs = [
    """
    {"model": "gaussian-mixture", "options": {"components": 2},
     "parameters": {"weights": [0.4, 0.6], "means": [[0, 0], [3, 3]],
                    "covariances": [[[1, 0], [0, 1]], [[1, 0.3], [0.3, 2]]]},
     "fit": {"standardErrors": false}}
    """,
    """
    {"model": "missing-data-regression", "options": {"response": "y", "missing": {"rate": 0.2, "mechanism": "MAR"}},
     "parameters": {"coefficients": [1.0, 2.0, -1.0], "noiseVariance": 0.5, "covariateMean": [0.0, 1.0],
                    "covariateCovariance": [[1.0, 0.5], [0.5, 2.0]]},
     "columns": ["x1", "x2", "y"]}
    """,
    """
    {"model": "poisson-mixture", "options": {"components": 2},
     "parameters": {"weights": [0.4, 0.6], "rates": [[2, 7], [9, 1]]},
     "fit": {"standardErrors": false}}
    """,
  ]

  @Test("a windowed fit on simulated ranks gives the plain fit's bytes (Gaussian and Poisson mixtures, the regression)",
        arguments: DistributedReaderTests.windowedSpecs)
  func windowedFitSameBits(_ text: String) throws {
    let s = try spec(text)
    let m = try model(s)
    let sampled = try m.sampleData(spec: s, count: DataSet.windowRows + 2 * BlockGrid.rowsPerBlock, seed: 4)
    let path = try temporaryFile(sampled.csv())
    defer { try? FileManager.default.removeItem(atPath: path) }
    let fitOptions = options(restarts: 1, maxIterations: 4, threads: 1)
    let columns = sampled.columns
    let plainData = try CSVReader.read(path: path, columns: columns)
    let plain = try m.fitReport(spec: s, data: plainData, options: fitOptions).result.formatted()
    func stripped(_ text: String) -> String {
      text.split(separator: "\n").filter { !$0.contains("\"seconds\"") && !$0.contains("\"processes\"") }
        .joined(separator: "\n")
    }
    let simulated = SimulatedProcesses(size: 2)
    let texts = try simulated.run { _ -> String in
      let data = try DistributedReader.read(path: path, columns: columns, sequence: nil, group: Processes.group)
      precondition(data.held != nil)
      return try m.fitReport(spec: s, data: data, options: fitOptions).result.formatted()
    }
    for text in texts { #expect(stripped(text) == stripped(plain)) }
    #expect(plain.contains("\"icl\"") || plain.contains("\"completeCase\""))
  }

  // MARK: - HMMs: windows of whole sequences

  /// Sequence lengths cycling through short, long and very long ones (a 40 000-row sequence
  /// spans blocks and parts), `rows` in all.
  static func sequenceLengths(rows: Int) -> [Int] {
    let cycle = [1, 700, 5_000, 3, 40_000, 1_200, 2_047, 2_049, 9_000, 16_384, 17]
    var lengths: [Int] = []
    var total = 0
    while total < rows {
      let length = min(cycle[lengths.count % cycle.count], rows - total)
      lengths.append(length)
      total += length
    }
    return lengths
  }

  /// The rows each of `size` ranks should hold, from first principles: chunk c (whole
  /// sequences, grouped while shorter than 2048 rows) goes to the rank whose near-equal run of
  /// the ⌈rows / 16384⌉ blocks holds the block of its first row; a rank holds its chunks' rows.
  static func expectedWindows(sequences: [Range<Int>], rows: Int, size: Int) -> [Range<Int>] {
    var chunks: [Range<Int>] = []
    var open: Range<Int>? = nil
    for s in sequences where !s.isEmpty {
      let grown = (open?.lowerBound ?? s.lowerBound)..<s.upperBound
      if grown.count >= 2048 { chunks.append(grown); open = nil } else { open = grown }
    }
    if let open { chunks.append(open) }
    let blocks = (rows + 16383) / 16384
    var windows = [Range<Int>?](repeating: nil, count: size)
    for c in chunks {
      let block = c.lowerBound / 16384
      let rank = (0..<size).first { block >= $0 * blocks / size && block < ($0 + 1) * blocks / size }!
      windows[rank] = windows[rank].map { $0.lowerBound..<c.upperBound } ?? c
    }
    // A rank without chunks holds nothing, at the next rank's start (or the end).
    var next = rows
    var result = [Range<Int>](repeating: 0..<0, count: size)
    for q in (0..<size).reversed() {
      result[q] = windows[q] ?? next..<next
      next = result[q].lowerBound
    }
    return result
  }

  /// An HMM's data as CSV (a `sequence` column with `lengths`; rows in `missing` empty) and as
  /// `.npy` (column c0 the sequence id, NaN for a missing entry).
  func hmmFiles(_ data: DataSet, lengths: [Int], missing: Set<Int> = []) throws -> (csv: String, npy: String) {
    let d = data.dimension
    var text = "sequence," + data.columns.joined(separator: ",") + "\n"
    var npyValues: [Double] = []
    var row = 0
    for (id, length) in lengths.enumerated() {
      for _ in 0..<length {
        let entries = (0..<d).map { missing.contains(row) ? Double.nan : data[row, $0] }
        text += "s\(id)," + entries.map { $0.isNaN ? "" : "\($0)" }.joined(separator: ",") + "\n"
        npyValues += [Double(id)] + entries
        row += 1
      }
    }
    let csv = try temporaryFile(text)
    let npy = NSTemporaryDirectory() + "emzoo-ranks-\(UUID().uuidString).npy"
    var bytes = NpyWriter.header(rows: row, columns: d + 1)
    npyValues.withUnsafeBytes { bytes += $0 }
    try Data(bytes).write(to: URL(fileURLWithPath: npy))
    return (csv, npy)
  }

  @Test("HMM windows: each rank holds exactly the rows of its chunks of whole sequences (CSV and .npy)")
  func hmmWindows() throws {
    let rows = DataSet.windowRows + 2 * BlockGrid.rowsPerBlock + 77
    let lengths = Self.sequenceLengths(rows: rows)
    var values = [Double](repeating: 0, count: rows)
    for i in 0..<rows { values[i] = Double(i % 101) * 0.5 }
    let data = DataSet(source: "t", columns: ["x1"], values: values)
    let (csv, npy) = try hmmFiles(data, lengths: lengths)
    defer {
      try? FileManager.default.removeItem(atPath: csv)
      try? FileManager.default.removeItem(atPath: npy)
    }
    let plain = try CSVReader.read(path: csv)
    #expect(plain.sequences.map(\.count) == lengths)
    for (path, sequence) in [(csv, nil), (npy, "c0")] as [(String, String?)] {
      for ranks in [2, 3, 5] {
        let expected = Self.expectedWindows(sequences: plain.sequences, rows: rows, size: ranks)
        let simulated = SimulatedProcesses(size: ranks)
        let results = try simulated.run { _ in
          try DistributedReader.read(path: path, columns: nil, sequence: sequence, followingSequences: true,
                                     group: Processes.group)
        }
        for (rank, result) in results.enumerated() {
          #expect(result.held == expected[rank], "\(path.suffix(4)), rank \(rank) of \(ranks)")
          #expect(result.sequences == plain.sequences)
          #expect(result.columns == (sequence == nil ? plain.columns : ["c1"]))
          let held = result.heldRows
          #expect(result.values[held].elementsEqual(plain.values[held]))
          #expect(result.initializationSample().values == plain.initializationSample().values)
        }
        // Some window is not block-aligned: the long sequences cross blocks.
        #expect(expected.contains { $0.lowerBound % BlockGrid.rowsPerBlock != 0 && $0.lowerBound < rows })
      }
    }
  }

  @Test("an HMM on one long sequence: rank 0 holds every row, the other ranks none")
  func hmmOneSequenceWindows() throws {
    let rows = DataSet.windowRows + BlockGrid.rowsPerBlock
    let path = try temporaryFile(table(rows: rows))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let results = try SimulatedProcesses(size: 3).run { _ in
      try DistributedReader.read(path: path, columns: nil, sequence: nil, followingSequences: true, group: Processes.group)
    }
    #expect(results.map(\.held) == [0..<rows, rows..<rows, rows..<rows])
  }

  @Test("a malformed row in an HMM's sequence file stops every rank with the plain reader's message")
  func malformedSequenceRowsAgreed() throws {
    let rows = DataSet.windowRows + 2 * BlockGrid.rowsPerBlock
    var lines = ["sequence,x"]
    var row = 0
    for (id, length) in Self.sequenceLengths(rows: rows).enumerated() {
      for _ in 0..<length {
        lines.append("s\(id),\(Double(row % 89) * 0.5)")
        row += 1
      }
    }
    let cases: [(String, [String])] = [
      ("a bad number in the last part", { var l = lines; l[rows - 5] = "s9999,abc"; return l }()),
      // Inside the 16 384-row sequence (rows 136 401..<152 785) across the middle of the file.
      ("a missing field in a straddling sequence", { var l = lines; l[rows / 2 + 1] = "7"; return l }()),
    ]
    for (name, caseLines) in cases {
      let path = try temporaryFile(caseLines.joined(separator: "\n") + "\n")
      defer { try? FileManager.default.removeItem(atPath: path) }
      var expected = ""
      do { _ = try CSVReader.read(path: path) } catch let error as InputError { expected = error.message }
      #expect(!expected.isEmpty, "\(name): the plain reader accepts it")
      for ranks in [2, 3] {
        for result in try readAll(path, ranks: ranks, followingSequences: true) {
          switch result {
          case .success: Issue.record("\(name), \(ranks) ranks: no error")
          case .failure(let error): #expect(error.message == expected, "\(name), \(ranks) ranks")
          }
        }
      }
    }
  }

  static let windowedHMMSpecs = [
    """
    {"model": "hmm", "options": {"states": 2, "emission": "gaussian"},
     "parameters": {"initial": [0.5, 0.5], "transition": [[0.9, 0.1], [0.2, 0.8]],
                    "means": [[0, 0], [3, 1]], "covariances": [[[1, 0], [0, 1]], [[1.5, 0.2], [0.2, 1]]]},
     "fit": {"standardErrors": false}}
    """,
    """
    {"model": "hmm", "options": {"states": 2, "emission": "poisson"},
     "parameters": {"initial": [0.3, 0.7], "transition": [[0.95, 0.05], [0.1, 0.9]], "rates": [[2, 7], [9, 1]]},
     "fit": {"standardErrors": false}}
    """,
    // Its start counts the symbols of every row (by block under windows).
    """
    {"model": "hmm", "options": {"states": 2, "emission": "categorical", "symbols": 4},
     "parameters": {"initial": [0.5, 0.5], "transition": [[0.95, 0.05], [0.1, 0.9]],
                    "probabilities": [[0.25, 0.25, 0.25, 0.25], [0.1, 0.1, 0.2, 0.6]]},
     "fit": {"standardErrors": false, "init": "random"}}
    """,
  ]

  @Test("a windowed HMM fit on simulated ranks gives the plain fit's bytes (Gaussian, Poisson, categorical; CSV and .npy; fully missing rows)",
        arguments: DistributedReaderTests.windowedHMMSpecs)
  func windowedHMMFitSameBits(_ text: String) throws {
    let s = try spec(text)
    let m = try model(s)
    let rows = DataSet.windowRows + BlockGrid.rowsPerBlock + 500
    let sampled = try m.sampleData(spec: s, count: rows, seed: 6)
    let lengths = Self.sequenceLengths(rows: rows)
    // Rows with nothing observed: the start is drawn from the others.
    let missing = Set(stride(from: 17, to: rows, by: 997))
    let (csv, npy) = try hmmFiles(sampled, lengths: lengths, missing: missing)
    defer {
      try? FileManager.default.removeItem(atPath: csv)
      try? FileManager.default.removeItem(atPath: npy)
    }
    let fitOptions = options(restarts: 1, maxIterations: 3, threads: 1)
    let plainData = try CSVReader.read(path: csv)
    let plain = try m.fitReport(spec: s, data: plainData, options: fitOptions).result.formatted()
    func stripped(_ text: String) -> String {
      text.split(separator: "\n").filter { !$0.contains("\"seconds\"") && !$0.contains("\"processes\"") }
        .joined(separator: "\n")
    }
    let npyColumns = (1...sampled.dimension).map { "c\($0)" }
    for (path, sequence, columns) in [(csv, nil, nil), (npy, "c0", npyColumns)] as [(String, String?, [String]?)] {
      let texts = try SimulatedProcesses(size: 3).run { _ -> String in
        let data = try DistributedReader.read(
          path: path, columns: columns, sequence: sequence, followingSequences: true, group: Processes.group)
        precondition(data.held != nil && ((m as? any RowWindowFitting)?.fitsWindows(of: data) ?? false))
        var text = try m.fitReport(spec: s, data: data, options: fitOptions).result.formatted()
        for (j, name) in sampled.columns.enumerated() {
          text = text.replacingOccurrences(of: "\"c\(j + 1)\"", with: "\"\(name)\"")
        }
        return text
      }
      for text in texts { #expect(stripped(text) == stripped(plain), "\(path.suffix(4))") }
    }
    #expect(plain.contains("\"icl\""))
  }

  @Test("an HMM on more than 250 000 rows: the chunk-by-chunk block sums (ICL term, log-likelihood with Poisson's constant) agree with the sequence-by-sequence ones")
  func hmmBlockSumsAgree() throws {
    let s = try spec("""
      {"model": "hmm", "options": {"states": 2, "emission": "poisson", "length": 3001},
       "parameters": {"initial": [0.3, 0.7], "transition": [[0.95, 0.05], [0.1, 0.9]], "rates": [[2, 7], [9, 1]]}}
      """)
    try checkBlockSums(try model(s), spec: s)
  }

  func checkBlockSums<M: SpecifiedModel>(_ m: M, spec s: ModelSpec) throws {
    let data = try m.sampleData(spec: s, count: DataSet.windowRows + 20_000, seed: 8)
    #expect(data.sumsByBlock && data.sequences.count > 80)
    let p = try #require(try m.specParameters(s))
    let posteriors = try #require(try m.rowPosteriors(p, data: data))
    // Independent: rowPosteriors adds sequence by sequence in one running sum, its per-sequence
    // log-likelihoods include every row's own Poisson constant.
    let classification = try #require(try m.classificationLogLikelihood(p, data: data))
    let sequential = try #require(posteriors.classificationLogLikelihood)
    #expect(classification.isApproximatelyEqual(to: sequential, relativeTolerance: 1e-10))
    #expect(classification != 0)
    let total = posteriors.logLikelihoods.filter { !$0.isNaN }.reduce(0, +)
    let summed = try EMEngine.logLikelihood(m, of: data, at: p)
    #expect(summed.isApproximatelyEqual(to: total, relativeTolerance: 1e-10))
  }
}
