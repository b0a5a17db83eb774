import Foundation
import Numerics
import Testing

@testable import EMZoo

@Suite struct SquaremTests {
  /// Hasselblad's deaths per day of women over 80 (The Times, 1910–1912): counts 0…9 with
  /// these frequencies; the SQUAREM paper's (and package vignette's) Poisson-mixture example.
  static let deaths: DataSet = {
    let frequencies = [162, 267, 271, 185, 111, 61, 27, 8, 3, 1]
    var values: [Double] = []
    for (count, times) in frequencies.enumerated() { values += [Double](repeating: Double(count), count: times) }
    return DataSet(source: "deaths", columns: ["deaths"], values: values)
  }()

  static let deathsSpec = """
    { "model": "poisson-mixture", "options": { "components": 2 },
      "parameters": { "weights": [0.3, 0.7], "rates": [[1], [2.5]] } }
    """

  func fit(_ acceleration: Acceleration, tolerance: Double = 1e-13) throws -> FitReport {
    let s = try spec(Self.deathsSpec)
    var settings = FitSettings()
    settings.initialization = .spec
    settings.maxIterations = 100_000
    settings.tolerance = tolerance
    settings.threads = 1
    settings.acceleration = acceleration
    return try model(s, dimension: 1).fitReport(spec: s, data: Self.deaths, options: FitOptions(settings))
  }

  /// Varadhan & Roland (2008), Table 2: plain EM needs about 1500 E steps from (0.3, 1, 2.5);
  /// SQUAREM reaches the same maximum, log-likelihood −1989.946, with several times fewer.
  @Test func hasselbladDeathsNeedFarFewerEvaluations() throws {
    let plain = try fit(.none)
    let accelerated = try fit(.squarem)
    print("deaths: EM \(plain.evaluations) E steps (\(plain.iterations) iterations), ℓ = \(plain.logLikelihood); "
      + "SQUAREM \(accelerated.evaluations) E steps (\(accelerated.iterations) iterations), ℓ = \(accelerated.logLikelihood)")
    #expect(plain.converged && accelerated.converged)
    #expect(abs(plain.logLikelihood - -1989.946) < 5e-4)
    #expect(abs(accelerated.logLikelihood - -1989.946) < 5e-4)
    #expect(accelerated.logLikelihood >= plain.logLikelihood - 1e-9)
    #expect(plain.evaluations > 1000)
    #expect(3 * accelerated.evaluations <= plain.evaluations)
    // The same optimum: rates and weights agree closely (the likelihood is flat along the
    // ridge, so plain EM stops a little short).
    let rates = { (r: FitReport) in r.result["parameters"]?["rates"]?.flatNumbers ?? [] }
    for (a, b) in zip(rates(plain), rates(accelerated)) { #expect(abs(a - b) < 2e-3 * b) }
    // The accepted objectives never decrease.
    let trace = accelerated.result["trace"]?.flatNumbers ?? []
    for (a, b) in zip(trace, trace.dropFirst()) { #expect(b >= a) }
  }

  /// Coordinates round-trip for every built-in kind.
  @Test func coordinatesRoundTrip() throws {
    let specs = [
      Self.deathsSpec,
      """
      { "model": "gaussian-mixture", "options": { "components": 2, "covariance": "full" },
        "parameters": { "weights": [0.4, 0.6], "means": [[0, 1], [4, 4]],
                        "covariances": [[[1, 0.3], [0.3, 2]], [[1, 0.5], [0.5, 2]]] } }
      """,
      """
      { "model": "gaussian-mixture", "options": { "components": 2, "covariance": "tied" },
        "parameters": { "weights": [0.4, 0.6], "means": [[0, 1], [4, 4]],
                        "covariances": [[[1, 0.3], [0.3, 2]], [[1, 0.3], [0.3, 2]]] } }
      """,
      """
      { "model": "gaussian-mixture", "options": { "components": 2, "covariance": "spherical" },
        "parameters": { "weights": [0.4, 0.6], "means": [[0, 1], [4, 4]],
                        "covariances": [[[2, 0], [0, 2]], [[1, 0], [0, 1]]] } }
      """,
      """
      { "model": "bernoulli-mixture", "options": { "components": 2 },
        "parameters": { "weights": [0.3, 0.7], "probabilities": [[0.9, 0.1], [0.2, 0.6]] } }
      """,
      """
      { "model": "hmm", "options": { "states": 2, "emission": "categorical", "symbols": 3 },
        "parameters": { "initial": [0.5, 0.5], "transition": [[0.9, 0.1], [0.2, 0.8]],
                        "probabilities": [[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]] } }
      """,
      """
      { "model": "missing-data-regression", "options": { "response": "y" },
        "parameters": { "coefficients": [1, 2], "noiseVariance": 0.5, "covariateMean": [3],
                        "covariateCovariance": [[2]] } }
      """,
    ]
    for text in specs {
      let s = try spec(text)
      let m = try model(s)
      try roundTrip(m, s)
    }
  }

  func roundTrip<M: SpecifiedModel>(_ m: M, _ s: ModelSpec) throws {
    guard let p = try m.specParameters(s), let c = m.coordinates(p),
          let back = m.parameters(fromCoordinates: c, like: p) else {
      Issue.record("\(m.kind): no coordinates")
      return
    }
    let a = m.blocks(p).flatMap(\.values), b = m.blocks(back).flatMap(\.values)
    #expect(a.count == b.count)
    for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-12 * max(1, abs(x)), "\(m.kind)") }
    let blocks = m.coordinateBlocks(p)
    #expect(blocks.first?.range.lowerBound == 0 && blocks.last?.range.upperBound == c.count, "\(m.kind)")
  }
}

extension JSONValue {
  /// Every number inside, in order (depth first).
  var flatNumbers: [Double] {
    switch self {
    case .number(let x): return [x]
    case .array(let items): return items.flatMap(\.flatNumbers)
    case .object(let members): return members.flatMap(\.value.flatNumbers)
    default: return []
    }
  }
}
