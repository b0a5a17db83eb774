import Foundation
import Numerics
import Testing

@testable import EMZoo

/// The executable's contract: exit statuses, one-line errors, outputs.
@Suite(.serialized) struct CLITests {
  let spec2D = repositoryRoot.appendingPathComponent("models/gaussian-2d-full.json").path

  @Test func sampleFitRoundTrip() throws {
    let dir = try temporaryDirectory()
    let csv = dir.appendingPathComponent("d.csv").path, result = dir.appendingPathComponent("r.json").path
    let sample = try runEMZoo(["sample", spec2D, "--n", "3000", "--seed", "7", "--output", csv])
    #expect(sample.status == 0, "\(sample.stderr)")
    let fit = try runEMZoo(["fit", spec2D, "--data", csv, "--output", result, "--quiet", "--restarts", "2"])
    #expect(fit.status == 0, "\(fit.stderr)")
    #expect(fit.stderr.isEmpty)
    let json = try JSONValue.parse(String(contentsOfFile: result, encoding: .utf8))
    #expect(json["converged"] == .bool(true))
    // The result is a spec: it samples.
    let again = try runEMZoo(["sample", result, "--n", "5"])
    #expect(again.status == 0 && again.stdout.split(separator: "\n").count == 6)
    // Progress goes to stderr without --quiet.
    let loud = try runEMZoo(["fit", spec2D, "--data", csv, "--output", result])
    #expect(loud.stderr.contains("log-likelihood"))
  }

  @Test func badInputExitsTwoWithOneLine() throws {
    let dir = try temporaryDirectory()
    let bad = dir.appendingPathComponent("bad.json").path
    try "{ \"model\": \"nope\" }".write(toFile: bad, atomically: true, encoding: .utf8)
    let cases: [([String], String)] = [
      (["fit", bad, "--data", "x.csv"], "model: unknown model kind \"nope\""),
      (["sample", spec2D, "--n", "0"], "--n: expected a positive number of rows, found 0"),
      (["sample", spec2D, "--n", "-5"], "--n"),
      (["sample", spec2D, "--n", "1000000000000"], "too large"),
      (["sample", spec2D, "--n", "10", "--output", "/nonexistent/dir/d.csv"], "folder '/nonexistent/dir' does not exist"),
      (["fit", spec2D], "no data"),
      (["fit", spec2D, "--data", dir.appendingPathComponent("missing.csv").path], "no such data file"),
      (["fit", "/nonexistent.json"], "cannot read the spec file"),
      (["fit", spec2D, "--bogus"], "Unknown option"),
    ]
    for (arguments, fragment) in cases {
      let r = try runEMZoo(arguments)
      #expect(r.status == 2, "\(arguments): status \(r.status), stderr \(r.stderr)")
      #expect(r.stderr.hasPrefix("emzoo: ") && r.stderr.contains(fragment), "\(arguments): \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(arguments): \(r.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: "/nonexistent/dir/d.csv"))
  }

  @Test func checkPassesAndFailsWithTheRightStatus() throws {
    let ok = try runEMZoo(["check", spec2D, "--n", "5000"])
    #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
    #expect(ok.stdout.contains("PASS") && ok.stdout.contains("covariances"))
    // A tolerance no fit can meet makes the check fail with status 1.
    let dir = try temporaryDirectory()
    let strict = dir.appendingPathComponent("strict.json").path
    let text = try String(contentsOfFile: spec2D, encoding: .utf8)
      .replacingOccurrences(of: "\"tolerance\": 0.1", with: "\"tolerance\": 1e-9")
    try text.write(toFile: strict, atomically: true, encoding: .utf8)
    let failed = try runEMZoo(["check", strict, "--n", "2000"])
    #expect(failed.status == 1)
    #expect(failed.stdout.contains("FAIL"))
  }

  @Test func listShowsEveryKind() throws {
    let r = try runEMZoo(["list", "--json"])
    #expect(r.status == 0)
    let kinds = try JSONValue.parse(r.stdout)
    guard case .array(let items) = kinds else { Issue.record("not an array"); return }
    #expect(items.count == ModelRegistry.standard.kinds.count)
  }

  @Test func resultsAreByteIdenticalAcrossRunsAndThreadCounts() throws {
    let dir = try temporaryDirectory()
    let csv = dir.appendingPathComponent("d.csv").path
    #expect(try runEMZoo(["sample", spec2D, "--n", "20000", "--seed", "3", "--output", csv]).status == 0)
    var outputs: [String] = []
    for threads in ["1", "2", "2", "5"] {
      let r = try runEMZoo(["fit", spec2D, "--data", csv, "--quiet", "--threads", threads])
      #expect(r.status == 0)
      // Everything but the timing line.
      outputs.append(r.stdout.split(separator: "\n").filter { !$0.contains("\"seconds\"") }.joined(separator: "\n"))
    }
    #expect(Set(outputs).count == 1)
    #expect(outputs[0].contains("logLikelihood"))
  }

  @Test func aKilledFitLeavesThePreviousOutputIntact() throws {
    let dir = try temporaryDirectory()
    let csv = dir.appendingPathComponent("d.csv").path, result = dir.appendingPathComponent("r.json").path
    #expect(try runEMZoo(["sample", spec2D, "--n", "100000", "--seed", "3", "--output", csv]).status == 0)
    try "previous result\n".write(toFile: result, atomically: true, encoding: .utf8)
    // A fit that would run for minutes: eight components for two blobs converge very slowly,
    // and a tolerance of 0 asks for an exact fixed point.
    let slow = dir.appendingPathComponent("slow.json").path
    try #"{ "model": "gaussian-mixture", "options": { "components": 8 } }"#.write(toFile: slow, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = emzooExecutable()
    process.arguments = ["fit", slow, "--data", csv, "--output", result, "--quiet", "--tolerance", "0",
                         "--max-iterations", "100000000", "--restarts", "1"]
    try process.run()
    Thread.sleep(forTimeInterval: 1.5)
    #expect(process.isRunning)
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(try String(contentsOfFile: result, encoding: .utf8) == "previous result\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["d.csv", "r.json", "slow.json"])
  }
}
