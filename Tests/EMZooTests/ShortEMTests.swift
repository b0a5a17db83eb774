import Foundation
import Testing

@testable import EMZoo
@testable import EMZooCommandLine

/// The default start (short-EM) reaches the best optimum that brute force finds, for every kind,
/// on data with several local maxima; restarts stay reproducible and thread-count independent.
@Suite struct ShortEMTests {
  /// The default fit block (short-EM), one thread.
  func defaults(threads: Int = 1) -> FitOptions {
    var settings = FitSettings()
    settings.threads = threads
    return FitOptions(settings)
  }

  /// A data set of Tests/Fixtures/optima (written by `bench/optima_crosscheck.py
  /// --write-fixtures`), its model, and the best log-likelihood brute force found there: 100
  /// restarts of each of k-means++, random rows and random partition run to a relative change
  /// of 1e-10, and an independent implementation's random starts (scikit-learn, hmmlearn, numpy
  /// EM; see bench/OPTIMA.md).
  struct MultimodalCase: Sendable, CustomStringConvertible {
    var name: String
    var model: String
    var best: Double
    var description: String { name }
  }

  static let multimodal: [MultimodalCase] = [
    // Narrow N(0.5, 0.3²) inside wide N(0, 3²): k-means++ ×3 finds the left/right split (−691.29).
    MultimodalCase(name: "gauss-contaminated-k2", model: #""model": "gaussian-mixture", "options": {"components": 2}"#,
                   best: -659.583709),
    MultimodalCase(name: "poisson-close-k3", model: #""model": "poisson-mixture", "options": {"components": 3}"#,
                   best: -701.525670),
    MultimodalCase(name: "bernoulli-lca-k3", model: #""model": "bernoulli-mixture", "options": {"components": 3}"#,
                   best: -1536.964774),
    // hmm-gauss-2 is left out: there the default (and 3 k-means++ restarts) converge to
    // −465.72707, 0.0155 below the −465.71153 that 1 in ~20 random starts finds (bench/OPTIMA.md).
    MultimodalCase(name: "hmm-poisson-2", model: #""model": "hmm", "options": {"states": 2, "emission": "poisson"}"#,
                   best: -629.942161),
    MultimodalCase(name: "hmm-cat-2",
                   model: #""model": "hmm", "options": {"states": 2, "emission": "categorical", "symbols": 4}"#,
                   best: -409.048541),
    // R's datasets::discoveries (yearly counts 1860–1959): k-means++ ×3 stops at −206.18.
    MultimodalCase(name: "discoveries-hmm-poisson-2", model: #""model": "hmm", "options": {"states": 2, "emission": "poisson"}"#,
                   best: -206.054100),
  ]

  /// The default fit (short-EM) reaches the brute-force optimum within `restartsAtBest`'s tolerance.
  @Test(arguments: multimodal) func defaultReachesTheBruteForceOptimum(_ c: MultimodalCase) throws {
    let path = repositoryRoot.appendingPathComponent("Tests/Fixtures/optima/\(c.name).csv").path
    let s = try spec("{\"name\": \"\(c.name)\", \(c.model)}")
    let data = try CSVReader.read(path: path)
    let fitted = try model(s, dimension: data.dimension).fitReport(spec: s, data: data, options: defaults())
    let tolerance = max(1e-3, 1e-5 * abs(c.best))
    #expect(fitted.logLikelihood >= c.best - tolerance, "\(c.name): default \(fitted.logLikelihood), brute force \(c.best)")
    #expect(fitted.restartsAtBest >= 1 && fitted.restartsAtBest <= 3)
    #expect(fitted.result["shortRuns"] == .number(20))
  }

  /// The regression's likelihood has one maximum: the default and brute force agree trivially.
  @Test func regressionHasOneOptimum() throws {
    let s = try ModelSpec.load(path: repositoryRoot.appendingPathComponent("models/regression-mcar.json").path)
    let m = try model(s)
    let data = try m.sampleData(spec: s, count: 200, seed: 3)
    let brute = try m.fitReport(spec: s, data: data, options: options(restarts: 5, seed: 1000, tolerance: 1e-12))
    let fitted = try m.fitReport(spec: s, data: data, options: defaults())
    #expect(abs(fitted.logLikelihood - brute.logLikelihood) <= 1e-6 * abs(brute.logLikelihood))
    #expect(fitted.restartsAtBest == 3)
  }

  /// Hasselblad (1969): deaths per day of women aged 80+ in The Times, 1910–1912 (1096 days).
  /// The two-component Poisson mixture's maximum is ℓ = −1989.946 (Böhning 1999, *Computer-
  /// Assisted Analysis of Mixtures*, Table 2.4; McLachlan & Peel 2000, §2.7), where EM is
  /// notoriously slow.
  @Test func hasselbladDeathsReachThePublishedOptimum() throws {
    let frequencies = [162, 267, 271, 185, 111, 61, 27, 8, 3, 1]
    let rows = frequencies.enumerated().flatMap { Array(repeating: [Double($0.offset)], count: $0.element) }
    let s = try spec(#"{"name": "hasselblad", "model": "poisson-mixture", "options": {"components": 2}}"#)
    let data = try DataSet(rows: rows, columns: ["deaths"], source: "hasselblad")
    let fitted = try model(s, dimension: 1).fitReport(spec: s, data: data, options: defaults())
    // The default stopping rule (relative change 1e-8) leaves EM, slow here, 0.002 short of the
    // maximum; a tight tolerance closes the gap.
    #expect(abs(fitted.logLikelihood - -1989.946) < 5e-3, "\(fitted.logLikelihood)")
    #expect(fitted.converged)
    var tight = defaults()
    tight.tolerance = 1e-13
    tight.maxIterations = 20_000
    let closer = try model(s, dimension: 1).fitReport(spec: s, data: data, options: tight)
    #expect(abs(closer.logLikelihood - -1989.946) < 5e-4, "\(closer.logLikelihood)")
  }

  /// Short-EM's result does not depend on the thread count, and its best restart reruns alone:
  /// `init` = the restart's method, `seed` = its seed, one restart, gives the same bits.
  @Test func bestRestartRerunsAloneAndThreadsDoNotMatter() throws {
    let s = try spec("""
      {"name": "p3", "model": "poisson-mixture", "options": {"components": 3},
       "parameters": {"weights": [0.4, 0.35, 0.25], "rates": [[2], [4], [7]]}}
      """)
    let m = try model(s)
    let data = try m.sampleData(spec: s, count: 300, seed: 11)
    let one = try m.fitReport(spec: s, data: data, options: defaults(threads: 1))
    let two = try m.fitReport(spec: s, data: data, options: defaults(threads: 2))
    #expect(one.result["parameters"] == two.result["parameters"])
    #expect(one.logLikelihood == two.logLikelihood)
    guard case .number(let bestIndex)? = one.result["bestRestart"] else {
      Issue.record("no bestRestart")
      return
    }
    let best = one.restarts[Int(bestIndex)]
    let method = try #require(best.initialization)
    #expect(method != .shortEM)
    let alone = try m.fitReport(
      spec: s, data: data,
      options: options(restarts: 1, seed: best.seed, maxIterations: 1000, tolerance: 1e-8, initialization: method))
    #expect(alone.logLikelihood == one.logLikelihood)
    #expect(alone.result["parameters"] == one.result["parameters"])
    #expect(alone.iterations == one.iterations)
  }

  /// restartsAtBest counts objectives within max(1e-3, 1e-5·|best|) of the best; failures never count.
  @Test func restartsAtBestCountsWithinTheTolerance() {
    // max(1e-3, 1e-5 · 1000) = 0.01
    let (count, tolerance) = EMEngine.restartsAtBest([-1000, -1000.009, -1000.011, -1001, -.infinity])
    #expect(tolerance == 0.01)
    #expect(count == 2)
    #expect(EMEngine.restartsAtBest([0.5, 0.5 - 0.0009, 0.5 - 0.0011]).count == 2)  // the absolute floor 1e-3
    #expect(EMEngine.restartsAtBest([]).count == 0)
  }

  /// The fit block accepts the short-EM options and rejects bad ones with the field's path.
  @Test func fitBlockOptions() throws {
    let s = try spec("""
      {"name": "p", "model": "poisson-mixture", "options": {"components": 2},
       "fit": {"init": "short-em", "shortRuns": 7, "shortIterations": 4}}
      """)
    #expect(s.fit.initialization == .shortEM)
    #expect(s.fit.shortRuns == 7 && s.fit.shortIterations == 4)
    #expect(try spec(#"{"name": "p", "model": "poisson-mixture", "options": {"components": 2}}"#).fit.initialization == .shortEM)
    #expect(throws: InputError.self) {
      _ = try spec(#"{"name": "p", "model": "poisson-mixture", "options": {"components": 2}, "fit": {"shortRuns": 0}}"#)
    }
  }

  /// `fit` warns when only one of several restarts reached the best objective (here: three
  /// random starts stopped after one iteration, so all differ), and not when they agree.
  @Test func warnsWhenOneRestartReachesTheBest() throws {
    let path = repositoryRoot.appendingPathComponent("Tests/Fixtures/optima/gauss-contaminated-k2.csv").path
    let s = try spec(#"{"name": "g", "model": "gaussian-mixture", "options": {"components": 2}}"#)
    let data = try CSVReader.read(path: path)
    let m = try model(s, dimension: 1)
    let stopped = try m.fitReport(
      spec: s, data: data, options: options(restarts: 3, maxIterations: 1, tolerance: 0, initialization: .random))
    #expect(stopped.restartsAtBest == 1)
    let warning = try #require(multimodalWarning(stopped))
    #expect(warning.hasPrefix("emzoo: warning: only 1 of 3 restarts") && warning.contains("--restarts 10"))
    #expect(!warning.contains("\n"))
    let agreeing = try m.fitReport(spec: s, data: data, options: defaults())
    #expect(agreeing.restartsAtBest >= 2)
    #expect(multimodalWarning(agreeing) == nil)
  }
}
