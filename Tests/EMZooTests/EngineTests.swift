import Foundation
import Numerics
import Testing

@testable import EMZoo

let twoBlobs = """
  { "name": "two-blobs", "model": "gaussian-mixture",
    "options": { "components": 2, "covariance": "full" },
    "parameters": { "weights": [0.4, 0.6], "means": [[0, 0], [4, 4]],
                    "covariances": [[[1, 0], [0, 1]], [[1, 0.5], [0.5, 2]]] } }
  """

/// A Gaussian mixture whose M step is deliberately wrong after the first iteration: it
/// shifts every mean, so the likelihood falls and the engine's guard must stop the fit.
struct BrokenMixture: EMModel {
  let base: Mixture<GaussianFamily>
  var statisticsCount: Int { base.statisticsCount }
  func scratchCount(rows: Int) -> Int { base.scratchCount(rows: rows) }
  func prepare(_ p: Mixture<GaussianFamily>.Parameters) throws -> Mixture<GaussianFamily>.Prepared { try base.prepare(p) }
  func expectation(rows: Range<Int>, of data: DataSet, given prepared: Mixture<GaussianFamily>.Prepared,
                   statistics: UnsafeMutableBufferPointer<Double>, scratch: UnsafeMutableBufferPointer<Double>) -> Double {
    base.expectation(rows: rows, of: data, given: prepared, statistics: statistics, scratch: scratch)
  }
  func maximization(_ statistics: [Double], previous: Mixture<GaussianFamily>.Parameters,
                    prepared: Mixture<GaussianFamily>.Prepared, data: DataSet) -> (Mixture<GaussianFamily>.Parameters, repair: String?) {
    var (next, _) = base.maximization(statistics, previous: previous, prepared: prepared, data: data)
    next.emission.means = next.emission.means.map { $0 + 3 }
    return (next, nil)
  }
  func initialParameters(for data: DataSet, method: InitMethod, random: RandomSource) throws -> Mixture<GaussianFamily>.Parameters {
    try base.initialParameters(for: data, method: method, random: random)
  }
  func parameterCount(dimension: Int) -> Int { base.parameterCount(dimension: dimension) }
}

@Suite struct EngineTests {
  func sample(_ n: Int = 3000, seed: UInt64 = 5) throws -> (any SpecifiedModel, ModelSpec, DataSet) {
    let s = try spec(twoBlobs)
    let m = try model(s)
    return (m, s, try m.sampleData(spec: s, count: n, seed: seed))
  }

  /// Every bundled spec: every kind, covariance type, emission and prior in `models/`.
  static let bundledSpecs: [String] = {
    let folder = repositoryRoot.appendingPathComponent("models")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { $0.hasSuffix(".json") }.sorted().map { folder.appendingPathComponent($0).path }
  }()

  @Test func thereAreBundledSpecsOfEveryKind() throws {
    let kinds = Set(try Self.bundledSpecs.map { try ModelSpec.load(path: $0).model })
    #expect(kinds == Set(ModelRegistry.standard.kinds.map(\.name)))
  }

  @Test(arguments: bundledSpecs)
  func everyKindPassesTheSharedChecks(_ path: String) throws {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    try checkEMModel(text, n: 1000)
  }

  @Test func theGuardStopsADecreasingFit() throws {
    let (_, _, data) = try sample()
    let family = GaussianFamily(components: 2, dimension: 2, covariance: .full)
    let broken = BrokenMixture(base: Mixture(family: family))
    #expect(throws: MonotonicityViolation.self) {
      _ = try EMEngine.fit(broken, to: data, options: options(restarts: 1))
    }
    do {
      _ = try EMEngine.fit(broken, to: data, options: options(restarts: 1))
    } catch let violation as MonotonicityViolation {
      #expect(violation.iteration == 1)
      #expect(violation.after < violation.before)
      #expect(violation.description.contains("iteration 1"))
    }
  }

  @Test func restartsKeepTheBest() throws {
    let (m, s, data) = try sample()
    let report = try m.fitReport(spec: s, data: data, options: options(restarts: 5, initialization: .random))
    #expect(report.restarts.count == 5)
    let best = report.restarts.map(\.logLikelihood).max()!
    #expect(report.logLikelihood == best)
    #expect(report.restarts.map(\.seed) == [1, 2, 3, 4, 5])
  }

  @Test func hittingTheIterationLimitIsNotConvergence() throws {
    let (m, s, data) = try sample()
    let report = try m.fitReport(spec: s, data: data, options: options(maxIterations: 2, tolerance: 0))
    #expect(report.iterations == 2)
    #expect(!report.converged)
    #expect(report.restarts.allSatisfy { !$0.converged })
  }

  @Test func specInitStartsFromTheSpecsParameters() throws {
    let (m, s, data) = try sample()
    let atTruth = try m.logLikelihood(spec: s, data: data)
    let report = try m.fitReport(spec: s, data: data, options: options(restarts: 4, maxIterations: 1, tolerance: 0, initialization: .spec))
    #expect(report.restarts.count == 1)
    // One EM step from the truth can only increase the likelihood, and only by about the
    // χ²/2 gap between the truth and the MLE (11 parameters: ~5.5 on average).
    #expect(report.logLikelihood >= atTruth)
    #expect(report.logLikelihood - atTruth < 50)
  }

  @Test func sameSeedSameBitsAcrossThreadCounts() throws {
    let (m, s, data) = try sample(20_000)
    let a = try m.fitReport(spec: s, data: data, options: options(threads: 1))
    let b = try m.fitReport(spec: s, data: data, options: options(threads: 2))
    let c = try m.fitReport(spec: s, data: data, options: options(threads: 3))
    func strip(_ r: FitReport) -> String {
      guard case .object(let members) = r.result else { return "" }
      return JSONValue.object(members.filter { $0.key != "seconds" }).formatted()
    }
    #expect(strip(a) == strip(b))
    #expect(strip(a) == strip(c))
  }

  /// The repair of the first M step is reported as iteration 1's, by plain EM and by SQUAREM
  /// (whose first iteration is that plain step).
  @Test(arguments: [Acceleration.none, .squarem])
  func aVanishedComponentIsReseededAndReported(_ acceleration: Acceleration) throws {
    // Start from a spec whose third component sits far from every point with a tiny
    // covariance: its responsibilities underflow to zero at once.
    let text = """
      { "model": "gaussian-mixture", "options": { "components": 3 },
        "parameters": { "weights": [0.45, 0.45, 0.1], "means": [[0, 0], [4, 4], [1000, 1000]],
          "covariances": [[[1, 0], [0, 1]], [[1, 0], [0, 1]], [[0.001, 0], [0, 0.001]]] } }
      """
    let s = try spec(text)
    let (_, _, data) = try sample()
    let m = try model(s, dimension: 2)
    var settings = options(restarts: 1, maxIterations: 50, initialization: .spec)
    settings.acceleration = acceleration
    let report = try m.fitReport(spec: s, data: data, options: settings)
    #expect(report.restarts[0].repairs.first?.hasPrefix("iteration 1: component 2 lost all its weight") == true)
    #expect(report.logLikelihood.isFinite)
  }
}
