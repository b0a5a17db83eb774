import Foundation
import Numerics
import Testing

@testable import EMZoo
@testable import EMZooCommandLine

/// `emzoo plot` and `--plot`, run through the built binary: every file is well-formed SVG
/// with the expected elements, and the same result gives the same bytes.
@Suite(.serialized) struct PlotCommandTests {
  /// Samples `n` rows of a bundled spec, fits them (2 restarts) and plots the result without
  /// `--data` (the result records its data); returns the folder, the listed files, the
  /// parsed documents by file name and the result.
  func fitAndPlot(
    _ specName: String, n: Int, fitArguments: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> (files: [String], documents: [String: SVGDocument], result: JSONValue) {
    let spec = repositoryRoot.appendingPathComponent("models/\(specName).json").path
    let dir = try temporaryDirectory()
    let csv = dir.appendingPathComponent("d.csv").path
    let result = dir.appendingPathComponent("r.json").path
    let sample = try runEMZoo(["sample", spec, "--n", "\(n)", "--seed", "5", "--output", csv])
    try #require(sample.status == 0, "\(sample.stderr)", sourceLocation: sourceLocation)
    let fit = try runEMZoo(
      ["fit", spec, "--data", csv, "--output", result, "--quiet", "--restarts", "2"] + fitArguments)
    try #require(fit.status == 0, "\(fit.stderr)", sourceLocation: sourceLocation)
    let json = try JSONValue.parse(String(contentsOfFile: result, encoding: .utf8))
    #expect(json["data"] == .string("d.csv"), "data relative to the result", sourceLocation: sourceLocation)

    let pictures = dir.appendingPathComponent("pictures").path
    let plot = try runEMZoo(["plot", result, "--output", pictures])
    try #require(plot.status == 0, "\(plot.stderr)", sourceLocation: sourceLocation)
    #expect(plot.stderr.isEmpty, sourceLocation: sourceLocation)
    let files = plot.stdout.split(separator: "\n").map(String.init)
    #expect(files.first == pictures + "/trace.svg", sourceLocation: sourceLocation)
    // The same result, the same bytes.
    let again = dir.appendingPathComponent("again").path
    let rerun = try runEMZoo(["plot", result, "--data", csv, "--output", again])
    #expect(rerun.status == 0, sourceLocation: sourceLocation)
    var documents: [String: SVGDocument] = [:]
    for file in files {
      let name = (file as NSString).lastPathComponent
      let text = try String(contentsOfFile: file, encoding: .utf8)
      let other = try String(contentsOfFile: again + "/" + name, encoding: .utf8)
      #expect(text == other, "\(name): same bytes on a rerun", sourceLocation: sourceLocation)
      #expect(text.utf8.count < 2_000_000, "\(name) is small", sourceLocation: sourceLocation)
      #expect(!text.contains("<script"), sourceLocation: sourceLocation)
      let document = try #require(SVGDocument.parse(text), "\(name) is XML", sourceLocation: sourceLocation)
      #expect(document.elements.first?.name == "svg", sourceLocation: sourceLocation)
      documents[name] = document
    }
    // One line per restart in the trace, the best one among them.
    if let trace = documents["trace.svg"] {
      #expect(trace.count("path", class: "trace") == 2, sourceLocation: sourceLocation)
      #expect(trace.count("path", class: "trace best") == 1, sourceLocation: sourceLocation)
    }
    return (files.map { ($0 as NSString).lastPathComponent }, documents, json)
  }

  func axisLabels(_ document: SVGDocument?) -> Set<String> {
    Set(document?.all("text", class: "axis-label").map(\.text) ?? [])
  }

  func count(_ result: JSONValue, _ path: String...) -> Int {
    var value: JSONValue? = result
    for key in path { value = value?[key] }
    if case .array(let items)? = value { return items.count }
    if case .number(let x)? = value { return Int(x) }
    return 0
  }

  @Test func gaussianMixtureIn2D() throws {
    let (files, documents, result) = try fitAndPlot("gaussian-2d-full", n: 2000)
    #expect(files == ["trace.svg", "classification.svg", "uncertainty.svg"])
    let K = count(result, "options", "components")
    let classification = documents["classification.svg"]
    #expect(classification?.count("path", class: "ellipse") == K)
    #expect(axisLabels(classification) == ["x1", "x2"])
    #expect(documents["uncertainty.svg"]?.count("path", class: "ellipse") == K)
    // Every restart keeps its trace; the best restart's is the result's trace.
    guard case .array(let restarts)? = result["restarts"] else { Issue.record("no restarts"); return }
    #expect(restarts.count == 2)
    #expect(restarts[count(result, "bestRestart")]["trace"] == result["trace"])
  }

  @Test func gaussianMixtureIn3DIsAPairsGrid() throws {
    let (files, documents, result) = try fitAndPlot("gaussian-3d-tied", n: 2000)
    #expect(files == ["trace.svg", "classification.svg", "uncertainty.svg"])
    let K = count(result, "options", "components")
    let classification = documents["classification.svg"]
    #expect(classification?.count("g", class: "panel") == 3)
    #expect(classification?.count("path", class: "ellipse") == 3 * K)
    #expect(axisLabels(classification) == ["x1", "x2", "x3"])
  }

  @Test func gaussianMixtureIn1DHasADensity() throws {
    let (files, documents, result) = try fitAndPlot("gaussian-1d", n: 2000)
    #expect(files == ["trace.svg", "density.svg", "classification.svg", "uncertainty.svg"])
    let density = documents["density.svg"]
    #expect(density?.count("path", class: "component") == count(result, "options", "components"))
    #expect(density?.count("path", class: "total") == 1)
    #expect(axisLabels(density) == ["x", "density"])
  }

  @Test func poissonMixtureDrawsFrequenciesNotEllipses() throws {
    let (files, documents, _) = try fitAndPlot("poisson-4d", n: 2000)
    #expect(files == ["trace.svg", "frequencies.svg", "classification.svg", "uncertainty.svg"])
    let frequencies = documents["frequencies.svg"]
    #expect(frequencies?.count("g", class: "bars observed") == 4)
    #expect(frequencies?.count("g", class: "bars fitted") == 4)
    #expect(documents["classification.svg"]?.count("path", class: "ellipse") == 0)
    #expect(axisLabels(documents["classification.svg"]).isSuperset(of: ["x1", "x2", "x3", "x4"]))
  }

  @Test func bernoulliMixtureDrawsFrequencies() throws {
    let (files, documents, _) = try fitAndPlot("bernoulli-20d", n: 1000)
    #expect(files == ["trace.svg", "frequencies.svg"])
    let frequencies = documents["frequencies.svg"]
    #expect(frequencies?.count("g", class: "bars observed") == 1)
    #expect(frequencies?.all("rect", within: "bars observed").count == 20)
  }

  @Test func gaussianHMMDrawsStates() throws {
    let (files, documents, result) = try fitAndPlot("hmm-gaussian-3state", n: 1500)
    #expect(files == ["trace.svg", "states.svg"])
    let states = documents["states.svg"]
    #expect(states?.count("path", class: "state-probability") == count(result, "options", "states"))
    #expect(states?.count("g", class: "state") == 2 * count(result, "options", "states"))
    #expect(axisLabels(states).isSuperset(of: ["x1", "x2", "P(state)"]))
  }

  @Test func categoricalHMMDrawsStates() throws {
    let (files, documents, _) = try fitAndPlot("hmm-casino", n: 1500)
    #expect(files == ["trace.svg", "states.svg"])
    let states = documents["states.svg"]
    #expect(states?.count("path", class: "state-probability") == 2)
    #expect(states?.count("path", class: "series") == 0, "symbols are not joined by a line")
    #expect(axisLabels(states).contains("face"))
  }

  @Test func regressionDrawsCoefficients() throws {
    let (files, documents, _) = try fitAndPlot("regression-mar", n: 2000)
    #expect(files == ["trace.svg", "coefficients.svg"])
    let coefficients = try #require(documents["coefficients.svg"])
    #expect(coefficients.count("g", class: "interval em") == 1)
    #expect(coefficients.count("g", class: "interval complete-case") == 1)
    let ticks = Set(coefficients.all("text", class: "tick-label").map(\.text))
    #expect(ticks.isSuperset(of: ["intercept", "x1", "x2", "x3"]))
    let legend = coefficients.all("text", within: "legend").map(\.text)
    #expect(legend.contains { $0.hasPrefix("complete cases, n = ") && !$0.contains("no intervals") })
  }

  @Test func fitAndCheckTakePlot() throws {
    let spec = repositoryRoot.appendingPathComponent("models/gaussian-2d-full.json").path
    let dir = try temporaryDirectory()
    let csv = dir.appendingPathComponent("d.csv").path
    #expect(try runEMZoo(["sample", spec, "--n", "1000", "--output", csv]).status == 0)
    let fitted = dir.appendingPathComponent("fit").path
    let fit = try runEMZoo(["fit", spec, "--data", csv, "--quiet", "--plot", fitted])
    #expect(fit.status == 0, "\(fit.stderr)")
    #expect((try? JSONValue.parse(fit.stdout)) != nil, "stdout is the result alone")
    let pictures = ["trace.svg", "classification.svg", "uncertainty.svg"]
    #expect(try FileManager.default.contentsOfDirectory(atPath: fitted).sorted() == pictures.sorted())
    let checked = dir.appendingPathComponent("check").path
    let check = try runEMZoo(["check", spec, "--n", "5000", "--plot", checked])
    #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    #expect(check.stderr.contains("check/classification.svg"))
    let text = try String(contentsOfFile: checked + "/classification.svg", encoding: .utf8)
    #expect(text.contains("n = 5000"))
    // select --plot: criterion.svg (one line per covariance type) and the best model's pictures.
    let selected = dir.appendingPathComponent("select").path
    let select = try runEMZoo(["select", spec, "--data", csv, "--components", "1...3", "--covariance", "full,diagonal",
                               "--quiet", "--plot", selected])
    #expect(select.status == 0, "\(select.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: selected).sorted()
      == (pictures + ["criterion.svg"]).sorted())
    let criterion = try String(contentsOfFile: selected + "/criterion.svg", encoding: .utf8)
    #expect(criterion.components(separatedBy: "class=\"criterion").count - 1 == 2)
    #expect(SVGDocument.parse(criterion) != nil)
  }

  @Test func badInputExitsTwoWithOneLine() throws {
    let spec = repositoryRoot.appendingPathComponent("models/gaussian-2d-full.json").path
    let dir = try temporaryDirectory()
    let file = dir.appendingPathComponent("file.txt").path
    try "x".write(toFile: file, atomically: true, encoding: .utf8)
    let csv = dir.appendingPathComponent("d.csv").path
    #expect(try runEMZoo(["sample", spec, "--n", "200", "--output", csv]).status == 0)
    let cases: [([String], String)] = [
      (["plot", spec, "--output", dir.appendingPathComponent("p").path], "no data"),
      (["plot", spec, "--data", csv, "--output", file], "is a file; expected a folder"),
      (["plot", spec, "--data", csv, "--output", "/nonexistent/a/b"], "does not exist"),
      (["plot", spec, "--data", csv], "Missing expected argument '--output"),
      (["fit", spec, "--data", csv, "--plot", file], "is a file; expected a folder"),
      (["check", spec, "--plot", file], "is a file; expected a folder"),
    ]
    for (arguments, fragment) in cases {
      let r = try runEMZoo(arguments)
      #expect(r.status == 2, "\(arguments): status \(r.status), stderr \(r.stderr)")
      #expect(r.stderr.hasPrefix("emzoo: ") && r.stderr.contains(fragment), "\(arguments): \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(arguments): \(r.stderr)")
      #expect(r.stdout.isEmpty, "\(arguments)")
    }
    #expect(try String(contentsOfFile: file, encoding: .utf8) == "x", "the file is untouched")
  }
}

/// The numbers the pictures compute themselves, against independent computations.
@Suite struct FitPicturesTests {
  /// Complete-case standard errors from the result's summary (means, MLE covariance, RSS/n)
  /// against ordinary least squares on the rows themselves: s² (X'X)⁻¹ with s² = RSS/(n−p−1),
  /// X'X inverted here by Cramer's rule (p = 2, so X'X is 3 × 3).
  @Test func completeCaseStandardErrorsAreLeastSquares() throws {
    var normals = Normals(seed: 11)
    let n = 40
    let x = (0..<n).map { _ in [normals.next(1, 2), normals.next(-1, 0.5)] }
    let y = x.map { 0.5 + 2 * $0[0] - 3 * $0[1] + normals.next(0, 0.7) }
    // OLS on the rows: X'X, X'y, β, residuals.
    let design = x.map { [1] + $0 }
    var xtx = [[Double]](repeating: [0, 0, 0], count: 3)
    var xty = [0.0, 0, 0]
    for (row, target) in zip(design, y) {
      for a in 0..<3 {
        xty[a] += row[a] * target
        for b in 0..<3 { xtx[a][b] += row[a] * row[b] }
      }
    }
    let inverse = try #require(invert3(xtx))
    let beta = (0..<3).map { a in (0..<3).reduce(0) { $0 + inverse[a][$1] * xty[$1] } }
    let rss = zip(design, y).reduce(0.0) { sum, pair in
      let fitted = (0..<3).reduce(0) { $0 + pair.0[$1] * beta[$1] }
      return sum + (pair.1 - fitted) * (pair.1 - fitted)
    }
    let s2 = rss / Double(n - 3)
    let expected = (0..<3).map { (s2 * inverse[$0][$0]).squareRoot() }
    // The summary a result's completeCase holds.
    let mean = (0..<2).map { j in x.reduce(0) { $0 + $1[j] } / Double(n) }
    let covariance = (0..<2).map { a in
      (0..<2).map { b in x.reduce(0) { $0 + ($1[a] - mean[a]) * ($1[b] - mean[b]) } / Double(n) }
    }
    let baseline = JSONValue.object([
      ("n", .number(Double(n))), ("coefficients", JSONValue(beta)),
      ("noiseVariance", .number(rss / Double(n))), ("covariateMean", JSONValue(mean)),
      ("covariateCovariance", JSONValue(rows: covariance)),
    ])
    let errors = try #require(FitPictures.completeCaseStandardErrors(baseline))
    #expect(errors.count == 3)
    for (got, want) in zip(errors, expected) {
      #expect(got.isApproximatelyEqual(to: want, relativeTolerance: 1e-10))
    }
    // Too few rows, or a singular covariance: no intervals.
    var small = baseline
    if case .object(var members) = small {
      members[0].value = .number(3)
      small = .object(members)
    }
    #expect(FitPictures.completeCaseStandardErrors(small) == nil)
  }

  /// The inverse of a 3 × 3 matrix by cofactors (adjugate over determinant).
  func invert3(_ m: [[Double]]) -> [[Double]]? {
    func cofactor(_ i: Int, _ j: Int) -> Double {
      let r = (0..<3).filter { $0 != i }, c = (0..<3).filter { $0 != j }
      let minor = m[r[0]][c[0]] * m[r[1]][c[1]] - m[r[0]][c[1]] * m[r[1]][c[0]]
      return (i + j) % 2 == 0 ? minor : -minor
    }
    let det = (0..<3).reduce(0) { $0 + m[0][$1] * cofactor(0, $1) }
    guard det != 0 else { return nil }
    return (0..<3).map { i in (0..<3).map { j in cofactor(j, i) / det } }
  }

  @Test func dataReferenceIsRelativeToTheResult() {
    #expect(ModelSpec.dataReference("/a/b/d.csv", from: "/a/b/r.json") == "d.csv")
    #expect(ModelSpec.dataReference("/a/b/d.csv", from: "/a/c/r.json") == "../b/d.csv")
    #expect(ModelSpec.dataReference("/a/b/d.csv", from: "/a/r.json") == "b/d.csv")
    #expect(ModelSpec.dataReference("/a/./b/../b/d.csv", from: "/x/y/z/r.json") == "../../../a/b/d.csv")
    #expect(ModelSpec.dataReference("/a/b/d.csv", from: nil) == "/a/b/d.csv")
    let cwd = FileManager.default.currentDirectoryPath
    #expect(ModelSpec.dataReference("d.csv", from: "-") == (cwd == "/" ? "/d.csv" : cwd + "/d.csv"))
    #expect(ModelSpec.dataReference("d.csv", from: "out/r.json") == "../d.csv")
  }

  @Test func criterionPlotMarksTheBest() throws {
    let dir = try temporaryDirectory()
    let points = [
      CriterionPoint(components: 1, covariance: "full", value: 100),
      CriterionPoint(components: 2, covariance: "full", value: 80),
      CriterionPoint(components: 1, covariance: "diagonal", value: 110),
      CriterionPoint(components: 2, covariance: "diagonal", value: .nan),
    ]
    let path = try writeCriterionPlot(points, criterion: "BIC", title: "select", to: dir.path)
    #expect(path == dir.path + "/criterion.svg")
    let document = try #require(SVGDocument.parse(try String(contentsOfFile: path, encoding: .utf8)))
    #expect(document.count("path", class: "criterion") == 2)
    #expect(document.all("text", within: "legend").map(\.text).contains("best: full, K = 2"))
  }
}
