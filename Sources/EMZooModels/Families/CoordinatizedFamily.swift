public import EMZooCore
import Foundation

/// A family whose parameters have unconstrained coordinates (see `EMModel.coordinates(_:)`),
/// so that mixtures and HMMs of it can be accelerated (SQUAREM) and get standard errors.
///
/// Optional: a family without it still fits by plain EM, and its models report no standard
/// errors (with a note saying why).
public protocol CoordinatizedFamily: EmissionFamily {
  /// The number of coordinates of all K components.
  var coordinateCount: Int { get }
  /// The family's parameters as `coordinateCount` unconstrained coordinates.
  func coordinates(_ parameters: Parameters) -> [Double]
  /// The inverse of `coordinates(_:)`; nil outside the parameter space.
  func parameters(fromCoordinates coordinates: ArraySlice<Double>, like parameters: Parameters) -> Parameters?
  /// The coordinates' named blocks (the spec's names), starting at coordinate 0.
  var coordinateBlocks: [CoordinateBlock] { get }
}

extension CoordinatizedFamily {
  /// `coordinates` for a caller that holds the family as an existential.
  func coordinates(anyParameters p: Any) -> [Double]? {
    (p as? Parameters).map { coordinates($0) }
  }

  /// `parameters(fromCoordinates:like:)` for a caller that holds the family as an existential.
  func parameters(fromCoordinates c: ArraySlice<Double>, likeAny p: Any) -> Any? {
    guard let p = p as? Parameters else { return nil }
    return parameters(fromCoordinates: c, like: p)
  }
}

extension [CoordinateBlock] {
  /// The blocks with their ranges moved `offset` coordinates on.
  func shifted(by offset: Int) -> [CoordinateBlock] {
    map { CoordinateBlock(name: $0.name, range: ($0.range.lowerBound + offset)..<($0.range.upperBound + offset),
                          transform: $0.transform) }
  }
}

// MARK: - The built-in families

extension GaussianFamily: CoordinatizedFamily {
  /// Means as they are, then the covariances' free log-Cholesky entries: d(d + 1)/2 per
  /// component (`full`), one matrix (`tied`), d log-deviations ½ log σ²ⱼ per component
  /// (`diagonal`), one ½ log σ² per component (`spherical`).
  public var coordinateCount: Int { components * dimension + covarianceCoordinateCount }

  var covarianceCoordinateCount: Int {
    let d = dimension, K = components
    switch covariance {
    case .full: return K * Coordinates.choleskyCount(d)
    case .tied: return Coordinates.choleskyCount(d)
    case .diagonal: return K * d
    case .spherical: return K
    }
  }

  public func coordinates(_ p: Parameters) -> [Double] {
    let d = dimension, K = components
    var c = p.means
    switch covariance {
    case .full, .tied:
      for k in 0..<(covariance == .tied ? 1 : K) {
        let matrix = p.covariances[(k * d * d)..<((k + 1) * d * d)]
        c += Coordinates.logCholesky(matrix, dimension: d)
          ?? [Double](repeating: .nan, count: Coordinates.choleskyCount(d))
      }
    case .diagonal:
      for k in 0..<K { for j in 0..<d { c.append(0.5 * log(p.covariances[k * d * d + j * d + j])) } }
    case .spherical:
      for k in 0..<K { c.append(0.5 * log(p.covariances[k * d * d])) }
    }
    return c
  }

  public func parameters(fromCoordinates c: ArraySlice<Double>, like p: Parameters) -> Parameters? {
    let d = dimension, K = components, base = c.startIndex
    guard c.count == coordinateCount, c.allSatisfy(\.isFinite) else { return nil }
    let means = Array(c[base..<(base + K * d)])
    var covariances = [Double](repeating: 0, count: K * d * d)
    var e = base + K * d
    switch covariance {
    case .full, .tied:
      let count = Coordinates.choleskyCount(d)
      for k in 0..<(covariance == .tied ? 1 : K) {
        guard let sigma = Coordinates.covariance(fromLogCholesky: c[e..<(e + count)], dimension: d) else { return nil }
        e += count
        covariances.replaceSubrange((k * d * d)..<((k + 1) * d * d), with: sigma)
      }
      if covariance == .tied {
        for k in 1..<max(K, 1) { for x in 0..<(d * d) { covariances[k * d * d + x] = covariances[x] } }
      }
    case .diagonal, .spherical:
      for k in 0..<K {
        for j in 0..<d {
          let v = exp(2 * c[e + (covariance == .spherical ? 0 : j)])
          guard v > 0, v.isFinite else { return nil }
          covariances[k * d * d + j * d + j] = v
        }
        e += covariance == .spherical ? 1 : d
      }
    }
    return Parameters(means: means, covariances: covariances)
  }

  public var coordinateBlocks: [CoordinateBlock] {
    let m = components * dimension
    return [CoordinateBlock(name: "means", range: 0..<m, transform: .identity),
            CoordinateBlock(name: "covariances", range: m..<coordinateCount, transform: .logCholesky)]
  }
}

extension PoissonFamily: CoordinatizedFamily {
  /// log λₖⱼ.
  public var coordinateCount: Int { components * dimension }
  public func coordinates(_ p: Parameters) -> [Double] { p.rates.map { log(max($0, 1e-300)) } }
  public func parameters(fromCoordinates c: ArraySlice<Double>, like p: Parameters) -> Parameters? {
    let rates = c.map { exp($0) }
    guard rates.count == coordinateCount, rates.allSatisfy({ $0 > 0 && $0.isFinite }) else { return nil }
    return Parameters(rates: rates)
  }
  public var coordinateBlocks: [CoordinateBlock] {
    [CoordinateBlock(name: "rates", range: 0..<coordinateCount, transform: .log)]
  }
}

extension BernoulliFamily: CoordinatizedFamily {
  /// logit pₖⱼ.
  public var coordinateCount: Int { components * dimension }
  public func coordinates(_ p: Parameters) -> [Double] { p.probabilities.map(Coordinates.logit) }
  public func parameters(fromCoordinates c: ArraySlice<Double>, like p: Parameters) -> Parameters? {
    let probabilities = c.map(Coordinates.logistic)
    guard probabilities.count == coordinateCount,
          probabilities.allSatisfy({ $0 > 0 && $0 < 1 && $0.isFinite }) else { return nil }
    return Parameters(probabilities: probabilities)
  }
  public var coordinateBlocks: [CoordinateBlock] {
    [CoordinateBlock(name: "probabilities", range: 0..<coordinateCount, transform: .logit)]
  }
}

extension CategoricalFamily: CoordinatizedFamily {
  /// Per component, the M − 1 log-ratios of its symbol probabilities to the last.
  public var coordinateCount: Int { components * (symbols - 1) }
  public func coordinates(_ p: Parameters) -> [Double] {
    let M = symbols
    return (0..<components).flatMap { Coordinates.logRatios(p.probabilities[($0 * M)..<(($0 + 1) * M)]) }
  }
  public func parameters(fromCoordinates c: ArraySlice<Double>, like p: Parameters) -> Parameters? {
    let M = symbols, base = c.startIndex
    guard c.count == coordinateCount else { return nil }
    var probabilities: [Double] = []
    for k in 0..<components {
      guard let row = Coordinates.simplex(c[(base + k * (M - 1))..<(base + (k + 1) * (M - 1))]) else { return nil }
      probabilities += row
    }
    return Parameters(probabilities: probabilities)
  }
  public var coordinateBlocks: [CoordinateBlock] {
    [CoordinateBlock(name: "probabilities", range: 0..<coordinateCount, transform: .logRatio)]
  }
}
