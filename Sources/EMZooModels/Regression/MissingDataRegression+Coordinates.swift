public import EMZooCore

extension MissingDataRegression {
  /// The joint normal's mean as it is, then the log-Cholesky factor of its covariance.
  public func coordinates(_ p: Parameters) -> [Double]? {
    guard let factor = Coordinates.logCholesky(p.covariance[...], dimension: dimension) else { return nil }
    return p.mean + factor
  }

  public func parameters(fromCoordinates c: [Double], like p: Parameters) -> Parameters? {
    let D = dimension
    guard c.count == D + Coordinates.choleskyCount(D), c.allSatisfy(\.isFinite),
          let covariance = Coordinates.covariance(fromLogCholesky: c[D...], dimension: D) else { return nil }
    return Parameters(mean: Array(c[0..<D]), covariance: covariance)
  }

  /// Named "mean" and "covariance" (the joint normal's, not the spec's regression view).
  public func coordinateBlocks(_ p: Parameters) -> [CoordinateBlock] {
    let D = dimension
    return [CoordinateBlock(name: "mean", range: 0..<D, transform: .identity),
            CoordinateBlock(name: "covariance", range: D..<(D + Coordinates.choleskyCount(D)), transform: .logCholesky)]
  }
}
