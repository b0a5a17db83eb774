public import EMZooCore

/// A model with some named parameter blocks held at given values while EM fits the others
/// (`fit.fixed`).
///
/// After every M step the held blocks' coordinates are reset to the held values. For blocks
/// whose M step decouples from the others (mixture weights, HMM `initial` and `transition`,
/// per-dimension families, Gaussian covariances) the result is still the maximiser of the
/// expected complete-data log-likelihood given the held blocks, so EM stays monotone. Gaussian
/// means are the exception: the family itself must update the covariances around the held
/// means (`GaussianFamily.heldMeans`), which the spec layer arranges.
public struct HeldBlocks<Base: EMModel>: EMModel {
  public typealias Parameters = Base.Parameters
  public typealias Prepared = Base.Prepared

  public var base: Base
  /// The names of the held blocks.
  public let names: Set<String>
  /// Parameters whose held blocks hold the values to keep.
  public let values: Base.Parameters

  /// Nil when `base` has no coordinates, or a name is not one of its coordinate blocks.
  public init?(_ base: Base, holding names: Set<String>, at values: Base.Parameters) {
    let blocks = base.coordinateBlocks(values)
    guard base.coordinates(values) != nil, names.allSatisfy({ name in blocks.contains { $0.name == name } }) else {
      return nil
    }
    self.base = base
    self.names = names
    self.values = values
  }

  /// The number of coordinates the held blocks account for.
  public var heldCount: Int {
    base.coordinateBlocks(values).filter { names.contains($0.name) }.reduce(0) { $0 + $1.range.count }
  }

  /// `parameters` with the held blocks' coordinates replaced by the held values'.
  public func holding(_ parameters: Parameters) -> Parameters {
    guard var c = base.coordinates(parameters), let held = base.coordinates(values) else { return parameters }
    for block in base.coordinateBlocks(values) where names.contains(block.name) {
      for i in block.range { c[i] = held[i] }
    }
    return base.parameters(fromCoordinates: c, like: parameters) ?? parameters
  }

  public var statisticsCount: Int { base.statisticsCount }
  public func chunks(of data: DataSet) -> [Range<Int>] { base.chunks(of: data) }
  public func scratchCount(rows: Int) -> Int { base.scratchCount(rows: rows) }
  public func prepare(_ parameters: Parameters) throws -> Prepared { try base.prepare(parameters) }
  public func expectation(rows: Range<Int>, of data: DataSet, given prepared: Prepared,
                          statistics: UnsafeMutableBufferPointer<Double>,
                          scratch: UnsafeMutableBufferPointer<Double>) -> Double {
    base.expectation(rows: rows, of: data, given: prepared, statistics: statistics, scratch: scratch)
  }
  public func maximization(_ statistics: [Double], previous: Parameters, prepared: Prepared,
                           data: DataSet) -> (Parameters, repair: String?) {
    let (next, repair) = base.maximization(statistics, previous: previous, prepared: prepared, data: data)
    return (holding(next), repair)
  }
  public func logPrior(_ parameters: Parameters) -> Double { base.logPrior(parameters) }
  public var hasPrior: Bool { base.hasPrior }
  public func constantLogLikelihood(of data: DataSet) -> Double { base.constantLogLikelihood(of: data) }
  public func adapted(to data: DataSet) -> HeldBlocks {
    var copy = self
    copy.base = base.adapted(to: data)
    return copy
  }
  public func initialParameters(for data: DataSet, method: InitMethod, random: RandomSource) throws -> Parameters {
    holding(try base.initialParameters(for: data, method: method, random: random))
  }
  public func parameterCount(dimension: Int) -> Int { base.parameterCount(dimension: dimension) - heldCount }
  public func coordinates(_ parameters: Parameters) -> [Double]? { base.coordinates(parameters) }
  public func parameters(fromCoordinates c: [Double], like p: Parameters) -> Parameters? {
    base.parameters(fromCoordinates: c, like: p)
  }
  public func coordinateBlocks(_ parameters: Parameters) -> [CoordinateBlock] { base.coordinateBlocks(parameters) }
  public func isDegenerate(_ parameters: Parameters) -> Bool { base.isDegenerate(parameters) }
}
