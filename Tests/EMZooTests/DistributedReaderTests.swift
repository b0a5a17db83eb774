import Foundation
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
  func readAll(_ path: String, ranks: Int, columns: [String]? = nil) throws -> [Result<DataSet, InputError>] {
    let simulated = SimulatedProcesses(size: ranks)
    return try simulated.run { _ -> Result<DataSet, InputError> in
      do {
        return .success(try DistributedReader.read(path: path, columns: columns, sequence: nil, group: Processes.group))
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
}
