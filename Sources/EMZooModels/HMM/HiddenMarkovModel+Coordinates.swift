public import EMZooCore

extension HiddenMarkovModel {
  /// K − 1 log-ratios of `initial`, K − 1 per row of `transition`, then the family's
  /// coordinates; nil when the family is not a `CoordinatizedFamily`.
  public func coordinates(_ p: Parameters) -> [Double]? {
    let K = states
    guard let emission = emissionCoordinates?.coordinates(p.emission) else { return nil }
    var c: [Double] = []
    c.reserveCapacity(K * K - 1 + emission.count)
    Coordinates.appendLogRatios(p.initial[...], to: &c)
    for i in 0..<K { Coordinates.appendLogRatios(p.transition[(i * K)..<((i + 1) * K)], to: &c) }
    c += emission
    return c
  }

  public func parameters(fromCoordinates c: [Double], like p: Parameters) -> Parameters? {
    let K = states, start = K * (K - 1) + (K - 1)
    guard c.count >= start, let initial = Coordinates.simplex(c[0..<(K - 1)]),
          let emission = emissionCoordinates?.parameters(c[start...], p.emission)
    else { return nil }
    var transition: [Double] = []
    transition.reserveCapacity(K * K)
    for i in 0..<K {
      let from = (K - 1) * (i + 1)
      guard Coordinates.appendSimplex(c[from..<(from + K - 1)], to: &transition) else { return nil }
    }
    return Parameters(initial: initial, transition: transition, emission: emission)
  }

  public func coordinateBlocks(_ p: Parameters) -> [CoordinateBlock] {
    guard let emission = emissionCoordinates else { return [] }
    let K = states, start = K * (K - 1) + (K - 1)
    return [CoordinateBlock(name: "initial", range: 0..<(K - 1), transform: .logRatio),
            CoordinateBlock(name: "transition", range: (K - 1)..<start, transform: .logRatio)]
      + emission.blocks.shifted(by: start)
  }
}

extension HiddenMarkovModel {
  /// The family's coordinate maps (`CoordinatizedFamily`) with its type opened once, so that
  /// SQUAREM's three coordinate maps per iteration neither box the parameters into `Any` nor
  /// copy the family out of an existential (they were a tenth of a 107-row fit's instructions).
  struct EmissionCoordinates: Sendable {
    let coordinates: @Sendable (Family.Parameters) -> [Double]?
    let parameters: @Sendable (ArraySlice<Double>, Family.Parameters) -> Family.Parameters?
    let blocks: [CoordinateBlock]
  }

  /// Nil when the family has no coordinates.
  static func emissionCoordinates(of family: Family) -> EmissionCoordinates? {
    guard let coordinatized = family as? any CoordinatizedFamily else { return nil }
    return opened(coordinatized)
  }

  private static func opened<F: CoordinatizedFamily>(_ family: F) -> EmissionCoordinates {
    EmissionCoordinates(
      coordinates: { p in (p as? F.Parameters).map { family.coordinates($0) } },
      parameters: { c, p in
        guard let like = p as? F.Parameters else { return nil }
        return family.parameters(fromCoordinates: c, like: like) as? Family.Parameters
      },
      blocks: family.coordinateBlocks)
  }
}
