import Foundation
import Testing

@testable import EMZoo

/// Hostile inputs against the built `emzoo`: odd files, numeric and argument edges, process
/// faults and sizes beyond memory. Every child runs under `ulimit -v` (4 GB) and `timeout`, so
/// a regression fails the test instead of taking the machine down or hanging it.
@Suite(.serialized) struct HostileInputTests {
  static let gaussian = #"{"model":"gaussian-mixture","options":{"components":2}}"#
  static let truth = #"{"model":"gaussian-mixture","options":{"components":2},"parameters":{"weights":[0.5,0.5],"means":[[0,0],[4,4]],"covariances":[[[1,0],[0,1]],[[1,0],[0,1]]]}}"#
  static let data = "x1,x2\n0,0\n1,1\n4,4\n5,5\n0.5,0.2\n4.5,4.1\n"

  /// Runs a shell script in `dir` with `$E` the emzoo binary, memory and time bounded.
  func sh(_ script: String, in dir: URL, seconds: Int = 20) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "ulimit -v 4000000; E='\(emzooExecutable().path)'; \(script)"]
    process.currentDirectoryURL = dir
    process.environment = ["PATH": "/usr/bin:/bin", "SECONDS_LIMIT": "\(seconds)"]
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
  }

  func folder(_ files: [String: String]) throws -> URL {
    let dir = try temporaryDirectory()
    for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
    return dir
  }

  /// Bad input: status 2 and one printable line of at most 300 characters (and its newline).
  func expectOneLine(_ r: (status: Int32, stdout: String, stderr: String), _ what: String, status: Int32 = 2) {
    #expect(r.status == status, "\(what): status \(r.status), \(r.stderr.prefix(400))")
    let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
    #expect(lines.count == 1, "\(what): \(r.stderr.prefix(400))")
    #expect(r.stderr.hasPrefix("emzoo: ") && r.stderr.count <= 301, "\(what): \(r.stderr.prefix(400))")
    #expect(!r.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(what)")
  }

  @Test func hostileFiles() throws {
    let dir = try folder(["spec.json": Self.gaussian])
    var binary = Data(count: 1 << 16)
    for i in 0..<binary.count { binary[i] = UInt8((i * 7919 + 13) & 0xFF) }
    try binary.write(to: dir.appendingPathComponent("binary.csv"))
    try Data([0x61, 0xFF, 0xFE, 0x2C, 0x62, 0x0A, 0x31, 0x2C, 0x32, 0x0A]).write(to: dir.appendingPathComponent("latin.csv"))
    try ("a,b\n1," + String(repeating: "9x", count: 500_000) + "\n").write(
      to: dir.appendingPathComponent("huge-field.csv"), atomically: true, encoding: .utf8)
    try String(repeating: "z", count: 3 << 20).write(to: dir.appendingPathComponent("no-newline.csv"), atomically: true, encoding: .utf8)
    let cases: [(String, String)] = [
      ("binary", "$E fit spec.json --data binary.csv --quiet"),
      ("non-UTF-8 header", "$E fit spec.json --data latin.csv --quiet"),
      ("1 MB field", "$E fit spec.json --data huge-field.csv --quiet"),
      ("one line, no newline", "$E fit spec.json --data no-newline.csv --quiet"),
      ("/dev/zero", "timeout 10 $E fit spec.json --data /dev/zero --quiet"),
      ("FIFO without a writer", "mkfifo f && timeout 10 $E fit spec.json --data f --quiet"),
      ("spec from /dev/zero", "timeout 10 $E fit /dev/zero --data x.csv"),
      ("data is a directory", "$E fit spec.json --data . --quiet"),
      ("spec is binary", "$E fit binary.csv --data x.csv"),
    ]
    for (what, script) in cases { expectOneLine(try sh(script, in: dir), what) }
    // A pipe is read once: /dev/stdin from a pipe works.
    try Self.data.write(to: dir.appendingPathComponent("d.csv"), atomically: true, encoding: .utf8)
    let piped = try sh("cat d.csv | timeout 20 $E fit spec.json --data /dev/stdin --quiet --restarts 1", in: dir)
    #expect(piped.status == 0 && piped.stdout.contains("\"n\": 6"), "\(piped.stderr)")
    // Long sequence ids (> 64 bytes) still group rows.
    let id = String(repeating: "s", count: 100)
    let rows = (0..<40).map { "\(id)\($0 / 20),\($0 % 3 == 0 ? 1 : 0)" }.joined(separator: "\n")
    try ("sequence,x\n" + rows + "\n").write(to: dir.appendingPathComponent("seq.csv"), atomically: true, encoding: .utf8)
    try #"{"model":"hmm","options":{"states":2,"emission":"categorical","symbols":2}}"#.write(
      to: dir.appendingPathComponent("hmm.json"), atomically: true, encoding: .utf8)
    let hmm = try sh("$E fit hmm.json --data seq.csv --quiet --restarts 1 --max-iterations 5 --output r.json && $E decode r.json --data seq.csv", in: dir)
    #expect(hmm.status == 0, "\(hmm.stderr)")
    // Two sequences: the decoded output numbers them 0 and 1.
    #expect(hmm.stdout.split(separator: "\n").dropFirst().compactMap { $0.split(separator: ",").first }.reduce(into: Set<Substring>()) { $0.insert($1) } == ["0", "1"])
  }

  /// A result file edited by hand (found by scripts/fuzz.py): numbers that `plot` reads as
  /// integers but are not (a `bestRestart` of −1e308 trapped converting it), drawn or ignored.
  @Test func editedResultsArePlotted() throws {
    let dir = try folder(["spec.json": Self.gaussian, "d.csv": Self.data + "0.2,0.9\n4.2,5.1\n"])
    let regression = try String(contentsOf: repositoryRoot.appendingPathComponent("models/regression-mcar.json"), encoding: .utf8)
    try regression.write(to: dir.appendingPathComponent("reg.json"), atomically: true, encoding: .utf8)
    let r = try sh("""
      $E fit spec.json --data d.csv --restarts 2 --quiet --output r.json || exit 9
      sed 's/"bestRestart": [0-9]*/"bestRestart": -1e308/' r.json > edited.json
      grep -q '"bestRestart": -1e308' edited.json || exit 8
      $E plot edited.json --output p1 > /dev/null || exit $?
      $E sample reg.json --n 300 --seed 1 --output rd.csv || exit 9
      $E fit reg.json --data rd.csv --quiet --output rr.json || exit 9
      sed 's/^    "n": [0-9]*,/    "n": 1e308,/' rr.json > rr-edited.json
      grep -q '"n": 1e308' rr-edited.json || exit 8
      $E plot rr-edited.json --output p2 > /dev/null
      """, in: dir, seconds: 60)
    #expect(r.status == 0, "status \(r.status): \(r.stderr.prefix(400))")
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("p1/trace.svg").path))
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("p2/coefficients.svg").path))
  }

  @Test func numericEdges() throws {
    let dir = try folder(["spec.json": Self.gaussian, "p.json": #"{"model":"poisson-mixture","options":{"components":1}}"#])
    let files = [
      "tiny.csv": "x1,x2\n4.9e-324,1\n-0,2\n1e-300,3\n2,4\n",
      "huge.csv": "x1,x2\n1e308,1\n-1e308,2\n0,3\n1,4\n",
      "inf.csv": "x1,x2\ninf,1\n2,3\n",
      "hex.csv": "x1,x2\n0x10,1\n2,3\n",
      "counts.csv": "a\n9999999999\n9999000000\n",
      "bigcounts.csv": "a\n100000000000000000000\n100000000000000000000\n",
    ]
    for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
    for name in ["tiny.csv", "huge.csv"] {
      let r = try sh("$E fit spec.json --data \(name) --quiet --restarts 1", in: dir)
      #expect([0, 1, 2].contains(r.status), "\(name)")
      if r.status != 0 { expectOneLine(r, name, status: r.status) }
    }
    for name in ["inf.csv", "hex.csv", "bigcounts.csv"] {
      expectOneLine(try sh("$E fit \(name == "bigcounts.csv" ? "p" : "spec").json --data \(name) --quiet", in: dir), name)
    }
    // Counts near the bound keep an accurate log-likelihood (scipy.stats.poisson.logpmf: −49.8649).
    let r = try sh("$E fit p.json --data counts.csv --quiet", in: dir)
    let json = try JSONValue.parse(r.stdout)
    guard case .number(let ll)? = json["logLikelihood"] else { Issue.record("no logLikelihood: \(r.stderr)"); return }
    #expect(abs(ll - -49.86493) < 1e-3)
  }

  @Test func argumentEdges() throws {
    let dir = try folder(["spec.json": Self.gaussian, "truth.json": Self.truth, "d.csv": Self.data])
    let cases = [
      "$E sample truth.json --n 0", "$E sample truth.json --n -1", "$E sample truth.json --n 1000000000000",
      "$E sample truth.json --n 3 --seed 9007199254740993", "$E fit spec.json --data d.csv --threads 0",
      "$E fit spec.json --data d.csv --restarts 0", "$E fit spec.json --data d.csv --max-iterations 1000000000000",
      "$E fit spec.json --data d.csv --tolerance nan", "$E check truth.json --threads 5000", "$E run . --threads=-1",
      "$E fit spec.json --data d.csv --output ''", "$E sample truth.json --n 3 --output nodir/x.csv",
      "$E fit spec.json --data d.csv --columns x",
    ]
    for script in cases { expectOneLine(try sh(script, in: dir), script) }
    // A long value in a message is cut so that the whole line stays within 300 characters, with
    // multi-byte characters counted as one (scripts/fuzz.py found 303–308).
    let long = String(repeating: "é", count: 400)
    try #"{"model":"gaussian-mixture","options":{"components":2,"covariance":"\#(long)"}}"#.write(
      to: dir.appendingPathComponent("long.json"), atomically: true, encoding: .utf8)
    let cut = try sh("$E fit long.json --data d.csv", in: dir)
    expectOneLine(cut, "a 400-character value")
    #expect(cut.stderr.count == 301 && cut.stderr.hasSuffix("é…\n"), "\(cut.stderr)")
    // select checks the data before any fit: one line, no progress lines before it.
    try "x1,x2\n0,0\n,\n4,4\n5,5\n".write(to: dir.appendingPathComponent("empty-row.csv"), atomically: true, encoding: .utf8)
    expectOneLine(try sh("$E select spec.json --data empty-row.csv --components 1...3", in: dir), "select, an empty row")
    try "x1,x2\n0,\n1,\n4,\n5,\n".write(to: dir.appendingPathComponent("empty-column.csv"), atomically: true, encoding: .utf8)
    expectOneLine(try sh("$E select spec.json --data empty-column.csv --components 1...3", in: dir), "select, an empty column")
    try #"{"model":"hmm","options":{"states":2,"emission":"poisson"}}"#.write(
      to: dir.appendingPathComponent("hmm.json"), atomically: true, encoding: .utf8)
    try "count\nNA\nNA\nNA\n".write(to: dir.appendingPathComponent("all-missing.csv"), atomically: true, encoding: .utf8)
    expectOneLine(try sh("$E select hmm.json --data all-missing.csv --components 1...2", in: dir), "select, an HMM's rows all missing")
    // Every seed accepted reruns: the written seed is exact.
    let big = try sh("$E fit spec.json --data d.csv --quiet --restarts 2 --seed 9007199254740870", in: dir)
    #expect(big.status == 0 && big.stdout.contains("\"seed\": 9007199254740"), "\(big.stderr)")
    let seeds = big.stdout.matches(of: /"seed": ([0-9]+)/).compactMap { UInt64($0.output.1) }
    #expect(!seeds.isEmpty && seeds.allSatisfy { $0 >= 9007199254740870 && $0 < 9007199254740992 })
    // Short runs use seed + j for j < shortRuns (up to 100): a seed that would pass 2^53 is refused.
    let beyond = try sh("$E fit spec.json --data d.csv --quiet --seed 9007199254740990", in: dir)
    #expect(beyond.status == 2, "\(beyond.stderr)")
    // A 250-byte output name works (the temporary name is short).
    let name = String(repeating: "n", count: 246) + ".csv"
    let longName = try sh("$E sample truth.json --n 3 --output \(name)", in: dir)
    #expect(longName.status == 0, "\(longName.stderr)")
  }

  @Test func outputsNeverReplaceInputs() throws {
    let dir = try folder(["spec.json": Self.gaussian, "truth.json": Self.truth, "d.csv": Self.data])
    let scripts = [
      "$E fit spec.json --data d.csv --output d.csv --quiet", "$E fit spec.json --data d.csv --output ./d.csv --quiet",
      "ln -sf d.csv link.csv; $E fit spec.json --data d.csv --output link.csv --quiet",
      "ln -f d.csv hard.csv; $E impute truth.json --data d.csv --output hard.csv",
      "$E sample truth.json --n 3 --output truth.json", "$E fit spec.json --data d.csv --output . --quiet",
      "$E decode truth.json --data d.csv --output spec.json",
    ]
    for script in scripts {
      expectOneLine(try sh(script, in: dir), script)
      #expect(try String(contentsOf: dir.appendingPathComponent("d.csv"), encoding: .utf8) == Self.data)
      #expect(try String(contentsOf: dir.appendingPathComponent("truth.json"), encoding: .utf8) == Self.truth)
    }
    // A device is written to, never replaced.
    let null = try sh("$E fit spec.json --data d.csv --output /dev/null --quiet && test -c /dev/null", in: dir)
    #expect(null.status == 0, "\(null.stderr)")
  }

  @Test func processFaults() throws {
    let dir = try folder(["spec.json": Self.gaussian, "truth.json": Self.truth, "d.csv": Self.data])
    for command in ["sample truth.json --n 100", "fit spec.json --data d.csv --quiet", "impute truth.json --data d.csv",
                    "list", "check truth.json --n 500"] {
      expectOneLine(try sh("$E \(command) >&-", in: dir), "\(command) >&-")
      expectOneLine(try sh("$E \(command) >/dev/full", in: dir), "\(command) >/dev/full")
    }
    let broken = try sh("trap '' PIPE; $E sample truth.json --n 200000 | head -c 10 >/dev/null; echo ${PIPESTATUS:-}", in: dir)
    #expect(!broken.stderr.contains("Fatal error"), "\(broken.stderr)")
    // SIGTERM in the middle of a large write (the test runner ignores SIGTERM in its children,
    // and an ignored signal stays ignored, so the child resets it first) leaves neither a partial output nor a temporary.
    let term = try sh("python3 -c 'import os,signal,sys; signal.signal(signal.SIGTERM, signal.SIG_DFL); signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM]); os.execv(sys.argv[1], sys.argv[1:])' $E sample truth.json --n 20000000 --output big.csv & p=$!; sleep 2; kill -TERM $p; wait $p; ls -a", in: dir, seconds: 30)
    #expect(!term.stdout.contains(".tmp") && !term.stdout.contains("big.csv") && !term.stdout.contains("nosync"), "\(term.stdout)")
    // Concurrent writers to one output: each output is whole, the last rename wins.
    let both = try sh("$E sample truth.json --n 20000 --seed 1 --output o.csv & a=$!; $E sample truth.json --n 20000 --seed 2 --output o.csv; wait $a; ls -a; wc -l < o.csv", in: dir)
    #expect(both.stdout.hasSuffix("20001\n") && !both.stdout.contains(".tmp"), "\(both.stdout)")
  }

  /// A mapped `.npy` truncated in the middle of a fit (every iteration reads every page): the
  /// next read past the new end raised SIGBUS ("Bus error", status 135); now status 2, one line
  /// naming the file, and no output.
  @Test func truncatedWhileMapped() throws {
    let dir = try folder(["spec.json": #"{"model":"gaussian-mixture","options":{"components":3,"covariance":"full"}}"#])
    let rows = 1_000_000, d = 4
    var payload = [UInt8](repeating: 0, count: rows * d * 8)
    payload.withUnsafeMutableBytes { raw in
      let x = raw.bindMemory(to: Double.self)
      for i in 0..<(rows * d) { x[i] = sin(Double(i) * 0.618) + Double(i / d % 3) * 2 }
    }
    try Data(npyFile(descr: "<f8", shape: "(\(rows), \(d))", payload: payload))
      .write(to: dir.appendingPathComponent("big.npy"))
    let r = try sh(
      "$E fit spec.json --data big.npy --output out.json --tolerance 0 --max-iterations 100000000 --quiet & p=$!; "
        + "sleep 3; truncate -s 4096 big.npy; wait $p; s=$?; ls; exit $s", in: dir, seconds: 60)
    #expect(r.status == 2, "status \(r.status): \(r.stderr)")
    #expect(r.stderr == "emzoo: big.npy: the file was truncated (or became unreadable) while it was read\n")
    #expect(!r.stdout.contains("out.json"), "\(r.stdout)")
  }

  @Test func sizesBeyondMemory() throws {
    let wide = (0..<1000).map { "c\($0)" }.joined(separator: ",") + "\n"
      + (0..<3).map { r in (0..<1000).map { "\(($0 * 31 + r * 17) % 97)" }.joined(separator: ",") }.joined(separator: "\n") + "\n"
    let dir = try folder([
      "hmm.json": #"{"model":"hmm","options":{"states":50000,"emission":"gaussian"}}"#,
      "cat.json": #"{"model":"hmm","options":{"states":1000,"emission":"categorical","symbols":100000000}}"#,
      "gmm.json": #"{"model":"gaussian-mixture","options":{"components":1000}}"#,
      "huge.json": #"{"model":"hmm","options":{"states":200000,"emission":"gaussian"}}"#,
      "d.csv": Self.data, "wide.csv": wide, "c.csv": "x\n0\n1\n",
    ])
    for script in ["$E fit hmm.json --data d.csv --quiet", "$E fit cat.json --data c.csv --quiet",
                   "$E fit gmm.json --data wide.csv --quiet", "$E fit huge.json --data d.csv --quiet"] {
      let r = try sh(script, in: dir)
      expectOneLine(r, script)
    }
    // sample streams: a large n runs in bounded memory (under ulimit -v 4 GB, well beyond the
    // old in-memory text for 5M rows it would still fit; the check is that it finishes whole).
    let big = try sh("$E sample gmm.json --n 1 2>/dev/null; echo '{\"model\":\"gaussian-mixture\",\"options\":{\"components\":1},\"parameters\":{\"weights\":[1],\"means\":[[0]],\"covariances\":[[[1]]]}}' > one.json; ulimit -v 400000; $E sample one.json --n 2000000 | wc -l", in: dir, seconds: 60)
    #expect(big.stdout.hasSuffix("2000001\n"), "\(big.stdout) \(big.stderr)")
  }
}
