import Foundation
import Testing

@testable import EMZooCommandLine
@testable import EMZooCore
@testable import EMZooSpec

/// A CSV file parsed in parts on several threads (`CSVReader.parse(_:source:columns:cuts:threads:)`)
/// gives exactly what the sequential parse gives — the same data set, bit for bit, or the same
/// error message — wherever the parts' boundaries fall: on or next to blank lines, CRLF line
/// ends, sequence changes, a BOM'd header, or a text column's only number.
@Suite struct CSVReaderPartsTests {
  /// Everything a data set holds that a reader decides, values as bit patterns (NaN included).
  struct Summary: Equatable {
    var source: String
    var columns: [String]
    var rows: Int
    var bits: [UInt64]
    var sequences: [Range<Int>]
    var latent: [Int]?
    var firstLine: Int
    var rowNoun: String
    var held: Range<Int>?

    init(_ data: DataSet) {
      source = data.source
      columns = data.columns
      rows = data.rows
      bits = data.values.array.map(\.bitPattern)
      sequences = data.sequences
      latent = data.latent
      firstLine = data.firstLine
      rowNoun = data.rowNoun
      held = data.held
    }
  }

  enum Outcome: Equatable {
    case data(Summary)
    case failure(String)
  }

  static func outcome(_ read: () throws -> DataSet) -> Outcome {
    do {
      return .data(Summary(try read()))
    } catch let error as InputError {
      return .failure(error.message)
    } catch {
      return .failure("unexpected error \(error)")
    }
  }

  /// The sequential parse of `bytes`, delivered as one block.
  static func sequential(_ bytes: [UInt8], columns: [String]? = nil) -> Outcome {
    outcome {
      var block: [UInt8]? = bytes
      return try CSVReader.parse(source: "t.csv", columns: columns, lineBound: 1 + CSVReader.lineEnds(bytes)) {
        defer { block = nil }
        return block
      }
    }
  }

  /// The parse of `bytes` in the parts that `cuts` make, and whether it parsed (rather than
  /// leaving a file without data bytes to the sequential parse).
  static func inParts(_ bytes: [UInt8], cuts: [Int], threads: Int, columns: [String]? = nil) -> (Outcome, parsed: Bool) {
    var parsed = true
    let result = outcome {
      guard let data = try CSVReader.parse(bytes, source: "t.csv", columns: columns, cuts: cuts, threads: threads) else {
        parsed = false
        var block: [UInt8]? = bytes
        return try CSVReader.parse(source: "t.csv", columns: columns, lineBound: 1 + CSVReader.lineEnds(bytes)) {
          defer { block = nil }
          return block
        }
      }
      return data
    }
    return (result, parsed)
  }

  /// The offsets just after every "\n" of `bytes`: every place a part can start.
  static func lineStarts(_ bytes: [UInt8]) -> [Int] {
    bytes.indices.filter { bytes[$0] == 0x0A }.map { $0 + 1 }
  }

  /// Checks every split of `bytes` in two parts, and every split in three when `pairs`.
  static func checkEverySplit(_ bytes: [UInt8], columns: [String]? = nil, pairs: Bool = false, _ name: String)
    -> Int
  {
    let expected = sequential(bytes, columns: columns)
    let starts = [0] + lineStarts(bytes)
    var splits = 0
    for (i, a) in starts.enumerated() {
      for b in pairs ? Array(starts[i...]) : [a] {
        let cuts = pairs ? [a, b] : [a]
        let (got, parsed) = inParts(bytes, cuts: cuts, threads: 1 + (a + b) % 3, columns: columns)
        #expect(got == expected, "\(name): cuts \(cuts)")
        if parsed { splits += 1 }
      }
    }
    return splits
  }

  static let cases: [(String, String)] = [
    ("a text column, dropped", "a,b\n1,x\n2,y\n3,\n4,NA\n"),
    ("a column whose only number is in the last row", "a,b\n1,\n2,NA\n3,nan\n4,7\n"),
    ("a number after text", "a,b\n1,x\n2,y\n3,\n4,7\n"),
    ("text after a number", "a,b\n1,2\n3,x\n4,y\n"),
    ("BOM, CRLF, sequences, latent labels, a trailing blank line",
     "\u{FEFF}sequence,x,latent\r\n s1 ,1,0\r\n\"s1\",2,1\r\ns2,3,1\r\ns1,4,0\r\n\r\n"),
    ("a sequence across every boundary", "sequence,x\ns1,1\ns1,2\ns1,3\ns2,4\ns2,5\ns3,6\n"),
    ("a blank line between rows", "a\n1\n2\n\n3\n4\n"),
    ("a CR-only blank line between rows", "a\r\n1\r\n2\r\n\r\n3\r\n"),
    ("blank lines that can make a part of their own", "a\n1\n\n\n2\n3\n"),
    ("trailing blank lines", "a\n1\n2\n\n\r\n\n"),
    ("a blank line before an error", "a,b\n1,2\n\n3,x\n"),
    ("wrong field counts", "a,b\n1,2\n3\n4,5,6\n"),
    ("the first data line blank", "a,b\n\n1,2\n"),
    ("no final line end", "a,b\n1,2\n3,4"),
    ("a final CR", "a,b\r\n1,2\r\n3,4\r"),
    ("duplicate names", "a,a\n1,2\n3,4\n"),
    ("a non-integer latent label", "x,latent\n1,0\n2,1\n3,1.5\n4,2\n"),
    ("not finite", "a,b\n1,2\n3,inf\n"),
    ("only text columns", "a,b\nx,y\nz,w\n"),
    ("a header only", "a,b\n"),
    ("text in two columns, numbers after both", "a,b,c\nx,y,1\n,,2\n3,,3\n,4,4\n"),
  ]

  @Test("every split in two and three parts of hand-made files gives the sequential result")
  func handMadeFiles() {
    var splits = 0
    for (name, text) in Self.cases {
      splits += Self.checkEverySplit(Array(text.utf8), pairs: true, name)
      splits += Self.checkEverySplit(Array(text.utf8), columns: ["a"], name + " (column a)")
    }
    #expect(splits > 400)
  }

  @Test("the expected results, from the text itself")
  func handMadeResults() throws {
    // The text column is dropped; a column whose only number comes last is numeric.
    guard case .data(let dropped) = Self.inParts(Array(Self.cases[0].1.utf8), cuts: [8, 12], threads: 2).0,
          case .data(let late) = Self.inParts(Array(Self.cases[1].1.utf8), cuts: [14], threads: 2).0
    else {
      Issue.record("no data")
      return
    }
    #expect(dropped.columns == ["a"] && dropped.bits == [1, 2, 3, 4].map { Double($0).bitPattern })
    #expect(late.columns == ["a", "b"] && late.rows == 4 && late.bits[7] == 7.0.bitPattern)
    #expect([1, 3, 5].allSatisfy { Double(bitPattern: late.bits[$0]).isNaN })
    // Rows 2 and 5 of the file (lines 2 and 5): text first, then the number.
    #expect(Self.inParts(Array(Self.cases[2].1.utf8), cuts: [14], threads: 2).0
      == .failure("t.csv: line 2, column 'b': expected a number (line 5 has one), found text"))
    // s1 and "s1" are one id; s1 after s2 starts a third sequence; the labels are 0, 1, 1, 0.
    let bytes = Array(Self.cases[4].1.utf8)
    for cut in Self.lineStarts(bytes) {
      guard case .data(let d) = Self.inParts(bytes, cuts: [cut], threads: 2).0 else {
        Issue.record("no data")
        continue
      }
      #expect(d.sequences == [0..<2, 2..<3, 3..<4] && d.latent == [0, 1, 1, 0] && d.columns == ["x"])
    }
  }

  /// A random CSV file from `seed`: a BOM, CRLF or LF line ends, a sequence column with runs of
  /// ids written in several equal ways, latent labels, numeric columns with missing values,
  /// a text column, a column that is missing but in its last rows, trailing blank lines, and
  /// (for half of the seeds) one or two errors of every kind the parser reports.
  static func randomFile(seed: UInt64) -> (bytes: [UInt8], columns: [String]?) {
    var random = SplitMix64(seed: seed)
    func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &random) < p }
    func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &random)] }
    var names = (0..<Int.random(in: 1...3, using: &random)).map { "x\($0)" }
    if chance(0.5) { names.insert("sequence", at: Int.random(in: 0...names.count, using: &random)) }
    if chance(0.4) { names.insert("latent", at: Int.random(in: 0...names.count, using: &random)) }
    if chance(0.4) { names.insert("name", at: Int.random(in: 0...names.count, using: &random)) }
    if chance(0.4) { names.append("late") }
    let rows = Int.random(in: 2...30, using: &random)
    let crlf = pick([0.0, 1.0, 0.3])
    let badLatent = chance(0.2) ? Int.random(in: 0..<rows, using: &random) : -1
    var sequence = 0
    var lines: [String] = []
    for i in 0..<rows {
      if i > 0, chance(0.35) { sequence = chance(0.2) ? max(0, sequence - 1) : sequence + 1 }
      lines.append(names.map { name -> String in
        switch name {
        case "sequence": return pick(["s\(sequence)", " s\(sequence)", "\"s\(sequence)\"", "s\(sequence)\t"])
        case "latent": return i == badLatent ? pick(["1.5", "x", "-1"]) : String(Int.random(in: 0...3, using: &random))
        case "name": return chance(0.2) ? pick(["", "NA"]) : pick(["red", "green", "\"blue\""])
        case "late": return i >= rows - 2 && chance(0.5) ? "9.5" : pick(["", "NA", "NaN"])
        default:
          if chance(0.15) { return pick(["", "NA", "nan", " NA "]) }
          return pick(["\(i)", "-\(i).25", "1e\(i % 5)", "\"2.5\"", " 0.1 ", "\(Double(i) / 7)"])
        }
      }.joined(separator: ","))
    }
    var errors = chance(0.5) ? Int.random(in: 1...2, using: &random) : 0
    while errors > 0 {
      errors -= 1
      let r = Int.random(in: 0..<lines.count, using: &random)
      var fields = lines[r].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      let f = Int.random(in: 0..<fields.count, using: &random)
      switch Int.random(in: 0..<6, using: &random) {
      case 0: fields[f] = pick(["abc", "inf", "1.2.3", "0x10"])
      case 1: fields.removeLast()
      case 2: fields.append("7")
      case 3: fields[f] = "8"  // a number in a text column: after its text, or before it
      default:
        lines.insert(pick(["", "\r"]), at: r)
        continue
      }
      lines[r] = fields.joined(separator: ",")
    }
    var text = chance(0.25) ? "\u{FEFF}" : ""
    text += names.joined(separator: ",") + (chance(crlf) ? "\r\n" : "\n")
    for (i, line) in lines.enumerated() {
      text += line
      if i + 1 < lines.count || chance(0.8) { text += chance(crlf) ? "\r\n" : "\n" }
    }
    for _ in 0..<Int.random(in: 0...2, using: &random) { text += pick(["\n", "\r\n"]) }
    let numeric = names.filter { $0.hasPrefix("x") || $0 == "late" }
    let columns: [String]? = chance(0.25) ? Array(numeric.prefix(Int.random(in: 1...numeric.count, using: &random))) : nil
    return (Array(text.utf8), columns)
  }

  @Test("random files split at random line starts on 1 to 3 threads give the sequential result")
  func randomSplits() {
    var splits = 0, failures = 0, sequences = 0
    for seed in UInt64(0)..<400 {
      let (bytes, columns) = Self.randomFile(seed: seed)
      let expected = Self.sequential(bytes, columns: columns)
      switch expected {
      case .failure: failures += 1
      case .data(let d): if d.sequences.count > 1 { sequences += 1 }
      }
      var random = SplitMix64(seed: 1000 + seed)
      let starts = Self.lineStarts(bytes)
      for trial in 0..<12 {
        // Cuts at line starts, just after or before them (snapped forward), or anywhere.
        let cuts = (0..<Int.random(in: 1...5, using: &random)).map { _ -> Int in
          let start = starts[Int.random(in: 0..<starts.count, using: &random)]
          return max(0, start + Int.random(in: -1...1, using: &random))
        }
        let (got, parsed) = Self.inParts(bytes, cuts: cuts, threads: 1 + trial % 3, columns: columns)
        #expect(got == expected, "seed \(seed): cuts \(cuts.sorted())")
        if parsed { splits += 1 }
      }
      if seed < 40 { splits += Self.checkEverySplit(bytes, columns: columns, "seed \(seed)") }
    }
    // The corpus exercises what it should: both outcomes, sequences, parsed splits.
    #expect(failures > 100 && failures < 300 && sequences > 50 && splits > 4000)
  }

  @Test("the bad-input corpus's CSV files give the sequential message from every split")
  func badInputCorpus() throws {
    var files = 0
    for c in BadInputCorpusTests.cases {
      var columns: [String]? = nil
      if let spec = c.files["spec.json"], let object = try? JSONSerialization.jsonObject(with: Data(spec.utf8)) {
        columns = (object as? [String: Any])?["columns"] as? [String]
      }
      for (name, text) in c.files where name.hasSuffix(".csv") {
        files += 1
        _ = Self.checkEverySplit(Array(text.utf8), pairs: true, "\(c.name): \(name)")
        if let columns { _ = Self.checkEverySplit(Array(text.utf8), columns: columns, "\(c.name): \(name) \(columns)") }
      }
    }
    #expect(files >= 40)
  }

  @Test("a file above the threshold: read on several threads, in parts of a file, as on one")
  func largeFile() throws {
    // 5 MB of rows with sequences and labels, the last sequence straddling the file's middle.
    var text = "sequence,a,b,latent\n"
    var i = 0
    while text.utf8.count < CSVReader.partsThreshold + (1 << 20) {
      text += "s\(i / 5000),\(Double(i) * 0.001),\(i % 7 == 0 ? "" : String(i % 13)),\(i % 3)\n"
      i += 1
    }
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("big.csv").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let one = Self.outcome { try CSVReader.read(path: path, threads: 1) }
    guard case .data(let d) = one else {
      Issue.record("\(one)")
      return
    }
    #expect(d.rows == i && d.sequences.count == (i + 4999) / 5000 && d.latent?.count == i)
    #expect(Self.outcome { try CSVReader.read(path: path, threads: 3) } == one)
    let file = try FileBytes(path: path)
    for parts in [2, 3, 7] {
      let got = Self.outcome {
        try #require(try CSVReader.parseInParts(file, source: path, columns: nil, parts: parts, threads: 3))
      }
      #expect(got == one, "\(parts) parts")
    }
    // A bad row in the last part: the sequential message.
    try (text + "s9,1\n").write(toFile: path, atomically: true, encoding: .utf8)
    let bad = Self.outcome { try CSVReader.read(path: path, threads: 1) }
    #expect(bad == .failure("\(path): line \(i + 2): expected 4 fields as in the header, found 2"))
    #expect(Self.outcome { try #require(try CSVReader.parseInParts(FileBytes(path: path), source: path, columns: nil, parts: 3, threads: 2)) } == bad)
  }
}
