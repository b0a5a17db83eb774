import Foundation
import Testing

@testable import EMZoo
@testable import EMZooSpec

/// The bytes of an `.npy` file, built by hand from the format description
/// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html), independently of
/// `NpyWriter`: magic, version, little-endian header length, the dictionary padded with spaces
/// and a newline to a multiple of 64 bytes, then the payload.
func npyFile(descr: String, shape: String, fortran: Bool = false, payload: [UInt8], major: UInt8 = 1) -> [UInt8] {
  let dictionary = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
  let prefix = major == 1 ? 10 : 12
  var length = dictionary.utf8.count + 1
  while (prefix + length) % 64 != 0 { length += 1 }
  var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
  if major == 1 {
    bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
  } else {
    bytes += [UInt8(length & 0xFF), UInt8((length >> 8) & 0xFF), 0, 0]
  }
  bytes += Array(dictionary.utf8) + [UInt8](repeating: 0x20, count: length - dictionary.utf8.count - 1) + [0x0A]
  return bytes + payload
}

func littleEndianBytes<T: FixedWidthInteger>(_ xs: [T]) -> [UInt8] {
  xs.flatMap { x in withUnsafeBytes(of: x.littleEndian) { Array($0) } }
}

@Suite(.serialized) struct NpyTests {
  let specText = """
    {"model": "gaussian-mixture", "options": {"components": 2, "covariance": "full"},
     "parameters": {"weights": [0.4, 0.6], "means": [[0, 0], [4, 4]],
                    "covariances": [[[1, 0], [0, 1]], [[1, 0.5], [0.5, 2]]]},
     "fit": {"restarts": 2, "seed": 1, "init": "kmeans++"}}
    """

  func write(_ bytes: [UInt8], _ url: URL) throws { try Data(bytes).write(to: url) }

  /// The fitted parameters and log-likelihood of a result file.
  func fitted(_ path: String) throws -> [JSONValue?] {
    let json = try JSONValue.parse(String(contentsOfFile: path, encoding: .utf8))
    return [json["parameters"], json["logLikelihood"], json["iterations"]]
  }

  @Test func sameDataAsCSVAndNpyGivesTheSameFit() throws {
    let dir = try temporaryDirectory()
    let spec = dir.appendingPathComponent("s.json").path
    try specText.write(toFile: spec, atomically: true, encoding: .utf8)
    let csv = dir.appendingPathComponent("d.csv").path
    #expect(try runEMZoo(["sample", spec, "--n", "2000", "--seed", "5", "--output", csv]).status == 0)
    let table = try CSVReader.read(path: csv)
    let x = table.values.array
    let rows = table.rows
    // float64, float32 and int32 copies of the same numbers, each as CSV and as .npy.
    let variants: [(String, [Double], [UInt8], String)] = [
      ("f8", x, littleEndianBytes(x.map(\.bitPattern)), "<f8"),
      ("f4", x.map { Double(Float($0)) }, littleEndianBytes(x.map { Float($0).bitPattern }), "<f4"),
      ("i4", x.map { Double(Int32(($0 * 10).rounded())) }, littleEndianBytes(x.map { Int32(($0 * 10).rounded()) }), "<i4"),
    ]
    for (name, values, payload, descr) in variants {
      let npy = dir.appendingPathComponent("\(name).npy"), csvCopy = dir.appendingPathComponent("\(name).csv").path
      try write(npyFile(descr: descr, shape: "(\(rows), 2)", payload: payload), npy)
      try DataSet(source: "t", columns: ["c0", "c1"], values: values).csv().write(toFile: csvCopy, atomically: true, encoding: .utf8)
      let read = try CSVReader.read(path: npy.path)
      #expect(read.columns == ["c0", "c1"] && read.rows == rows)
      #expect(read.values.array.map(\.bitPattern) == values.map(\.bitPattern), "\(name)")
      #expect(read.values.isExternal == (name == "f8"), "\(name): zero copy only for float64")
      let a = dir.appendingPathComponent("\(name)-npy.json").path, b = dir.appendingPathComponent("\(name)-csv.json").path
      let r1 = try runEMZoo(["fit", spec, "--data", npy.path, "--output", a, "--quiet"])
      let r2 = try runEMZoo(["fit", spec, "--data", csvCopy, "--output", b, "--quiet"])
      #expect(r1.status == 0 && r2.status == 0, "\(r1.stderr) \(r2.stderr)")
      #expect(try fitted(a) == fitted(b), "\(name)")
    }
  }

  @Test func headerVersionsAndColumnSelection() throws {
    let dir = try temporaryDirectory()
    let x: [Double] = [1, 2, 3, .nan, 5, 6, 7, 8, 9, 10, 11, 12]
    for major: UInt8 in [1, 2, 3] {
      let url = dir.appendingPathComponent("v\(major).npy")
      try write(npyFile(descr: "<f8", shape: "(4, 3)", payload: littleEndianBytes(x.map(\.bitPattern)), major: major), url)
      let all = try NpyReader.read(path: url.path)
      #expect(all.values.array.map(\.bitPattern) == x.map(\.bitPattern) && all.rows == 4 && all.dimension == 3)
      let picked = try NpyReader.read(path: url.path, columns: ["c2", "c0"])
      #expect(picked.values.array.map(\.bitPattern) == [3, 1, 6, .nan, 9, 7, 12, 10].map(\.bitPattern))
      #expect(!picked.values.isExternal)
      // A row range maps only its part.
      let part = try NpyReader.read(path: url.path, rows: 1..<3)
      #expect(part.values[0].isNaN && part.rows == 2 && Array(part.values.dropFirst()) == [5, 6, 7, 8, 9])
      // Sequence ids from a column, dropped from the values.
      let sequences = try NpyReader.read(path: url.path, sequence: "c0")
      #expect(sequences.columns == ["c1", "c2"] && sequences.sequences == [0..<1, 1..<2, 2..<3, 3..<4])
    }
    // Unsigned bytes and booleans.
    let u = dir.appendingPathComponent("u.npy")
    try write(npyFile(descr: "|u1", shape: "(2, 2)", payload: [0, 255, 7, 1]), u)
    #expect(try NpyReader.read(path: u.path).values.array == [0, 255, 7, 1])
    let b = dir.appendingPathComponent("b.npy")
    try write(npyFile(descr: "|b1", shape: "(1, 3)", payload: [1, 0, 1]), b)
    #expect(try NpyReader.read(path: b.path).values.array == [1, 0, 1])
    let s = dir.appendingPathComponent("s.npy")
    try write(npyFile(descr: "<i8", shape: "(1, 2)", payload: littleEndianBytes([Int64(-3), 40])), s)
    #expect(try NpyReader.read(path: s.path).values.array == [-3, 40])
  }

  @Test func badFilesExitTwoWithOneLine() throws {
    let dir = try temporaryDirectory()
    let spec = dir.appendingPathComponent("s.json").path
    try specText.write(toFile: spec, atomically: true, encoding: .utf8)
    let good = littleEndianBytes([Double](repeating: 1, count: 8).map(\.bitPattern))
    let cases: [(String, [UInt8], String)] = [
      ("fortran", npyFile(descr: "<f8", shape: "(4, 2)", fortran: true, payload: good), "Fortran order; expected C order"),
      ("truncated", Array(npyFile(descr: "<f8", shape: "(4, 2)", payload: good).dropLast(3)), "truncated .npy file"),
      ("three-d", npyFile(descr: "<f8", shape: "(2, 2, 2)", payload: good), "shape (2, 2, 2); expected a 2-D array"),
      ("one-d", npyFile(descr: "<f8", shape: "(8,)", payload: good), "shape (8,); expected a 2-D array"),
      ("big-endian", npyFile(descr: ">f8", shape: "(4, 2)", payload: good), "big-endian dtype '>f8'"),
      ("complex", npyFile(descr: "<c16", shape: "(2, 2)", payload: good), "dtype '<c16'; expected little-endian"),
      ("bad header", [0x93] + Array("NUMPY".utf8) + [1, 0, 8, 0] + Array("garbage\n".utf8), "malformed .npy header"),
      ("version", [0x93] + Array("NUMPY".utf8) + [9, 0, 0, 0], "format version 9.0"),
      ("not npy", Array("x,y\n1,2\n".utf8), "no \\x93NUMPY magic"),
      ("infinite", npyFile(descr: "<f8", shape: "(4, 2)", payload: littleEndianBytes(([1, 2, 3, Double.infinity, 5, 6, 7, 8]).map(\.bitPattern))),
       "row 1, column 'c1': expected a finite number, found inf"),
      ("missing row", npyFile(descr: "<f8", shape: "(4, 2)", payload: littleEndianBytes(([1, 2, .nan, .nan, 5, 6, 7, 8] as [Double]).map(\.bitPattern))),
       "row 1: every value is missing"),
      ("huge shape", npyFile(descr: "<f8", shape: "(9223372036854775807, 2)", payload: good), "truncated .npy file"),
    ]
    for (name, bytes, fragment) in cases {
      let url = dir.appendingPathComponent(name.replacingOccurrences(of: " ", with: "-") + ".npy")
      try write(bytes, url)
      let r = try runEMZoo(["fit", spec, "--data", url.path])
      #expect(r.status == 2, "\(name): status \(r.status), stderr \(r.stderr)")
      #expect(r.stderr.hasPrefix("emzoo: \(url.path): ") && r.stderr.contains(fragment), "\(name): \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(name): \(r.stderr)")
    }
    let picked = dir.appendingPathComponent("cols.npy")
    try write(npyFile(descr: "<f8", shape: "(4, 2)", payload: good), picked)
    #expect(throws: InputError.self) { try NpyReader.read(path: picked.path, columns: ["x1"]) }
    #expect(throws: InputError.self) { try NpyReader.read(path: picked.path, rows: 3..<5) }
  }

  @Test func sampleToNpyAndFitRoundTrip() throws {
    let dir = try temporaryDirectory()
    let spec = dir.appendingPathComponent("s.json").path
    try specText.write(toFile: spec, atomically: true, encoding: .utf8)
    let npy = dir.appendingPathComponent("d.npy").path, csv = dir.appendingPathComponent("d.csv").path
    for (output, latent) in [(npy, true), (csv, true)] {
      let r = try runEMZoo(["sample", spec, "--n", "20000", "--seed", "9", "--output", output] + (latent ? ["--latent"] : []))
      #expect(r.status == 0, "\(r.stderr)")
    }
    // The same rows and labels as the CSV writer, in its column order (x1, x2, latent).
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: npy)))
    let headerEnd: Int = 10 + Int(bytes[8]) + (Int(bytes[9]) << 8)
    #expect(headerEnd % 64 == 0, "header padded to 64 bytes")
    #expect(bytes.count == headerEnd + 20_000 * 3 * 8)
    let fromNpy = try NpyReader.read(path: npy), fromCSV = try CSVReader.read(path: csv)
    #expect(fromNpy.rows == 20_000 && fromNpy.dimension == 3)
    let n = fromNpy.values.array, c = fromCSV.values.array, labels = fromCSV.latent ?? []
    var same = labels.count == 20_000
    for i in 0..<20_000 where same {
      let x: Bool = n[3 * i] == c[2 * i] && n[3 * i + 1] == c[2 * i + 1]
      same = x && Int(n[3 * i + 2]) == labels[i]
    }
    #expect(same)
    // Fit the data columns of the .npy file and recover the truth.
    let result = dir.appendingPathComponent("r.json").path
    // Without "columns" the latent column c2 is data too: three columns for a 2-D spec.
    let fit = try runEMZoo(["fit", spec, "--data", npy, "--output", result, "--quiet"])
    #expect(fit.status == 2 && fit.stderr.contains("the data has 3 (c0, c1, c2)"), "\(fit.stderr)")
    let text = try String(contentsOfFile: spec, encoding: .utf8)
    try text.replacingOccurrences(of: "\"fit\"", with: "\"columns\": [\"c0\", \"c1\"], \"fit\"")
      .write(toFile: spec, atomically: true, encoding: .utf8)
    let fit2 = try runEMZoo(["fit", spec, "--data", npy, "--output", result, "--quiet"])
    #expect(fit2.status == 0, "\(fit2.stderr)")
    let json = try JSONValue.parse(String(contentsOfFile: result, encoding: .utf8))
    #expect(json["converged"] == .bool(true))
    #expect(json["columns"] == .array([.string("c0"), .string("c1")]))
    guard case .array(let means)? = json["parameters"]?["means"] else { Issue.record("no means"); return }
    let firsts = means.compactMap { mean -> Double? in
      if case .array(let xs) = mean, case .number(let m) = xs[0] { return m }
      return nil
    }
    #expect(firsts.contains { abs($0 - 4) < 0.1 } && firsts.contains { abs($0) < 0.1 }, "\(firsts)")
  }

  @Test func fitsFromNpyAreBitIdenticalAcrossThreadCounts() throws {
    let dir = try temporaryDirectory()
    let spec = dir.appendingPathComponent("s.json").path
    try specText.write(toFile: spec, atomically: true, encoding: .utf8)
    let npy = dir.appendingPathComponent("d.npy").path
    #expect(try runEMZoo(["sample", spec, "--n", "20000", "--seed", "3", "--output", npy]).status == 0)
    var outputs: [String] = []
    for threads in ["1", "2"] {
      let r = try runEMZoo(["fit", spec, "--data", npy, "--quiet", "--threads", threads, "--restarts", "1",
                            "--max-iterations", "20"])
      #expect(r.status == 0, "\(r.stderr)")
      outputs.append(r.stdout.split(separator: "\n").filter { !$0.contains("\"seconds\"") }.joined(separator: "\n"))
    }
    #expect(outputs[0] == outputs[1])
    #expect(outputs[0].contains("logLikelihood"))
  }

  @Test func hmmSequencesFromAnNpyColumnFitLikeTheCSVSequenceColumn() throws {
    let dir = try temporaryDirectory()
    let model = repositoryRoot.appendingPathComponent("models/hmm-gaussian-3state.json").path
    let npy = dir.appendingPathComponent("h.npy").path, csv = dir.appendingPathComponent("h.csv").path
    for output in [npy, csv] {
      #expect(try runEMZoo(["sample", model, "--n", "3000", "--seed", "2", "--output", output]).status == 0)
    }
    // The .npy file has the CSV's columns (sequence, x1, x2) as c0, c1, c2.
    let text = try String(contentsOfFile: model, encoding: .utf8)
    var json = try JSONValue.parse(text)
    guard case .object(var members) = json else { Issue.record("spec is not an object"); return }
    members.removeAll { $0.key == "columns" }
    json = .object(members)
    let specCSV = dir.appendingPathComponent("c.json").path, specNpy = dir.appendingPathComponent("n.json").path
    try json.formatted().write(toFile: specCSV, atomically: true, encoding: .utf8)
    try JSONValue.object(members + [("sequence", .string("c0"))]).formatted()
      .write(toFile: specNpy, atomically: true, encoding: .utf8)
    let a = dir.appendingPathComponent("a.json").path, b = dir.appendingPathComponent("b.json").path
    let r1 = try runEMZoo(["fit", specNpy, "--data", npy, "--output", a, "--quiet"])
    let r2 = try runEMZoo(["fit", specCSV, "--data", csv, "--output", b, "--quiet"])
    #expect(r1.status == 0 && r2.status == 0, "\(r1.stderr) \(r2.stderr)")
    #expect(try fitted(a) == fitted(b))
    let result = try JSONValue.parse(String(contentsOfFile: a, encoding: .utf8))
    #expect(result["sequence"] == .string("c0") && result["columns"] == .array([.string("c1"), .string("c2")]))
  }

  @Test func initializationSampleIsAFixedOrderedSubset() throws {
    let n = 1000, d = 2
    let values = (0..<(n * d)).map { Double($0) }
    let data = DataSet(source: "t", columns: ["a", "b"], values: values, latent: (0..<n).map { $0 % 3 })
    let s = data.initializationSample(limit: 100, seed: 4)
    #expect(s.rows == 100)
    // Row r of the sample is data row values[2r]/2: strictly increasing, each row intact.
    let ids = (0..<100).map { Int(s.values[$0 * d]) / d }
    #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
    #expect((0..<100).allSatisfy { s.values[$0 * d + 1] == s.values[$0 * d] + 1 && s.latent?[$0] == ids[$0] % 3 })
    #expect(data.initializationSample(limit: 100, seed: 4).values == s.values)
    #expect(data.initializationSample(limit: 2000).values == data.values)
  }

  /// The default sample is drawn once per data set (kept in its memo, which copies share) and
  /// only handed to the same rows: a copy with another matrix, other labels or another name
  /// gets its own.
  @Test func theDefaultSampleIsKeptForTheSameRowsOnly() throws {
    let n = DataSet.initializationRows + 1000
    let data = DataSet(source: "t", columns: ["a"], values: (0..<n).map(Double.init))
    let first = data.initializationSample(), again = data.initializationSample()
    func address(_ s: DataSet) -> UnsafePointer<Double>? { s.values.withUnsafeBufferPointer { $0.baseAddress } }
    #expect(address(first) == address(again))
    #expect(first.values.map { Int($0) } == DataSet.sampleRows(rows: n))
    var changed = data
    changed.values[DataSet.sampleRows(rows: n)[0]] = -1
    let changedSample = changed.initializationSample()
    #expect(changedSample.values.first == -1 && address(changedSample) != address(first))
    #expect(changedSample.values == DataSet(source: "t", columns: ["a"], values: changed.values.array).initializationSample().values)
    var labelled = data
    labelled.latent = (0..<n).map { $0 % 2 }
    #expect(labelled.initializationSample().latent == DataSet.sampleRows(rows: n).map { $0 % 2 })
    var renamed = data
    renamed.source = "u"
    #expect(renamed.initializationSample().source == "u")
    // (The memo keeps one sample, now the renamed copy's: the original draws its own again.)
    #expect(data.initializationSample().values == first.values)
  }
}
