public import EMZooCore

extension Mixture {
  /// K − 1 weight log-ratios log(πₖ / π_K), then the family's coordinates; nil when the family
  /// is not a `CoordinatizedFamily`.
  public func coordinates(_ p: Parameters) -> [Double]? {
    guard let family = family as? any CoordinatizedFamily,
          let emission = family.coordinates(anyParameters: p.emission) else { return nil }
    return Coordinates.logRatios(p.weights[...]) + emission
  }

  public func parameters(fromCoordinates c: [Double], like p: Parameters) -> Parameters? {
    let K = components
    guard c.count >= K - 1, let family = family as? any CoordinatizedFamily,
          let weights = Coordinates.simplex(c[0..<(K - 1)]),
          let emission = family.parameters(fromCoordinates: c[(K - 1)...], likeAny: p.emission) as? Family.Parameters
    else { return nil }
    return Parameters(weights: weights, emission: emission)
  }

  public func coordinateBlocks(_ p: Parameters) -> [CoordinateBlock] {
    guard let family = family as? any CoordinatizedFamily else { return [] }
    let K = components
    return [CoordinateBlock(name: "weights", range: 0..<(K - 1), transform: .logRatio)]
      + family.coordinateBlocks.shifted(by: K - 1)
  }
}
