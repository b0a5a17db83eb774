import Foundation
import Numerics
import Testing

@testable import EMZoo

/// The new commands through the executable: predict, score, select, init, --version, --help.
@Suite(.serialized) struct PredictCLITests {
  let spec2D = repositoryRoot.appendingPathComponent("models/gaussian-2d-full.json").path

  @Test func predictScoreSelectInit() throws {
    let dir = try temporaryDirectory()
    let path = { (name: String) in dir.appendingPathComponent(name).path }
    #expect(try runEMZoo(["sample", spec2D, "--n", "400", "--seed", "3", "--output", path("d.csv")]).status == 0)
    let fit = try runEMZoo(["fit", spec2D, "--data", path("d.csv"), "--output", path("r.json"), "--quiet"])
    #expect(fit.status == 0, "\(fit.stderr)")
    let result = try JSONValue.parse(String(contentsOfFile: path("r.json"), encoding: .utf8))
    #expect(result["icl"] != nil)

    let predict = try runEMZoo(["predict", path("r.json"), "--data", path("d.csv")])
    #expect(predict.status == 0, "\(predict.stderr)")
    let lines = predict.stdout.split(separator: "\n")
    #expect(lines.first == "x1,x2,label,p0,p1,uncertainty,logLikelihood")
    #expect(lines.count == 401)
    // Σ of the logLikelihood column is the fit's log-likelihood.
    let total = lines.dropFirst().reduce(0.0) { $0 + (Double($1.split(separator: ",").last ?? "") ?? .nan) }
    #expect(total.isApproximatelyEqual(to: number(result["logLikelihood"]), relativeTolerance: 1e-12))

    let score = try runEMZoo(["score", path("r.json"), "--data", path("d.csv")])
    #expect(score.status == 0, "\(score.stderr)")
    let scored = try JSONValue.parse(score.stdout)
    #expect(number(scored["logLikelihood"]).isApproximatelyEqual(to: number(result["logLikelihood"]), relativeTolerance: 1e-12))
    #expect(number(scored["bic"]).isApproximatelyEqual(to: number(result["bic"]), relativeTolerance: 1e-12))
    #expect(scored["n"] == .number(400) && scored["parameterCount"] == result["parameterCount"])

    let select = try runEMZoo(["select", spec2D, "--data", path("d.csv"), "--components", "1..3",
                               "--covariance", "full,diagonal", "--output", path("best.json"),
                               "--table", path("t.json")])
    #expect(select.status == 0, "\(select.stderr)")
    #expect(select.stderr.contains("select: K = 2, covariance diagonal (4 of 6)"))
    #expect(select.stdout.split(separator: "\n").count == 8)
    let table = try JSONValue.parse(String(contentsOfFile: path("t.json"), encoding: .utf8))
    let best = try JSONValue.parse(String(contentsOfFile: path("best.json"), encoding: .utf8))
    guard case .array(let rows)? = table["rows"] else { Issue.record("no rows"); return }
    #expect(rows.count == 6)
    #expect(rows.first?["bic"] == best["bic"])

    let initialised = try runEMZoo(["init", path("d.csv"), "--model", "gaussian-mixture", "--output", path("s.json")])
    #expect(initialised.status == 0, "\(initialised.stderr)")
    #expect(try runEMZoo(["fit", path("s.json"), "--quiet", "--output", path("r2.json")]).status == 0)
    let again = try runEMZoo(["init", path("d.csv"), "--model", "gaussian-mixture", "--output", path("s.json")])
    #expect(again.status == 2 && again.stderr.contains("already exists"))
  }

  @Test func versionAndHelp() throws {
    let version = try runEMZoo(["--version"])
    #expect(version.status == 0 && version.stdout.trimmingCharacters(in: .newlines) == EMZooCommandLineVersion.value)
    for command in ["fit", "predict", "score", "select", "init", "sample", "check", "decode", "impute"] {
      let help = try runEMZoo([command, "--help"])
      #expect(help.status == 0)
      #expect(help.stdout.contains("emzoo \(command)"), "\(command): no example")
    }
    #expect(try runEMZoo(["fit", "--help"]).stdout.contains("fit.restarts, 3"))
  }

  @Test func badRangesExitTwo() throws {
    for range in ["0...3", "5...1", "a", "1....3", ""] {
      let r = try runEMZoo(["select", spec2D, "--data", "x.csv", "--components", range])
      #expect(r.status == 2, "\(range)")
      #expect(r.stderr.hasPrefix("emzoo: --components: expected K or a range"), "\(range): \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1)
    }
  }

  func number(_ value: JSONValue?) -> Double {
    if case .number(let x)? = value { return x }
    return .nan
  }
}

/// The version the executable should print.
enum EMZooCommandLineVersion {
  static let value = "0.2.0"
}
