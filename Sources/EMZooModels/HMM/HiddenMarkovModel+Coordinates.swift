public import EMZooCore

extension HiddenMarkovModel {
  /// K − 1 log-ratios of `initial`, K − 1 per row of `transition`, then the family's
  /// coordinates; nil when the family is not a `CoordinatizedFamily`.
  public func coordinates(_ p: Parameters) -> [Double]? {
    let K = states
    guard let family = coordinatizedFamily,
          let emission = family.coordinates(anyParameters: p.emission) else { return nil }
    var c = Coordinates.logRatios(p.initial[...])
    for i in 0..<K { c += Coordinates.logRatios(p.transition[(i * K)..<((i + 1) * K)]) }
    return c + emission
  }

  public func parameters(fromCoordinates c: [Double], like p: Parameters) -> Parameters? {
    let K = states, start = K * (K - 1) + (K - 1)
    guard c.count >= start, let family = coordinatizedFamily,
          let initial = Coordinates.simplex(c[0..<(K - 1)]),
          let emission = family.parameters(fromCoordinates: c[start...], likeAny: p.emission) as? Family.Parameters
    else { return nil }
    var transition: [Double] = []
    for i in 0..<K {
      let from = (K - 1) * (i + 1)
      guard let row = Coordinates.simplex(c[from..<(from + K - 1)]) else { return nil }
      transition += row
    }
    return Parameters(initial: initial, transition: transition, emission: emission)
  }

  public func coordinateBlocks(_ p: Parameters) -> [CoordinateBlock] {
    guard let family = coordinatizedFamily else { return [] }
    let K = states, start = K * (K - 1) + (K - 1)
    return [CoordinateBlock(name: "initial", range: 0..<(K - 1), transform: .logRatio),
            CoordinateBlock(name: "transition", range: (K - 1)..<start, transform: .logRatio)]
      + family.coordinateBlocks.shifted(by: start)
  }
}
