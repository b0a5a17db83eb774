public import EMZooCore

/// A model whose fit works on a row window (`DataSet.held`): everything it does outside the E
/// step over every row goes through `DataSet.rowBlockSums`, `requireObservedColumns` or a
/// gather, so a distributed fit whose processes each hold only their own rows gives the same
/// bits as a plain one. Other models get every row gathered on every process.
public protocol RowWindowFitting {
  /// Whether this model (with its family and options) fits row windows.
  var fitsRowWindows: Bool { get }
  /// Whether its windows follow chunks of whole sequences (an HMM's, `DataSet.windowChunks`)
  /// rather than the fixed blocks of rows; false by default.
  var windowsFollowSequences: Bool { get }
}

extension RowWindowFitting {
  public var windowsFollowSequences: Bool { false }
}

/// An emission family whose checks, constants and adaptation need no row outside a window:
/// none depends on the data, or (Poisson's reference rates and Σ log x!) it is summed with
/// `DataSet.rowBlockSums`.
public protocol RowWindowFamily: EmissionFamily {}

extension GaussianFamily: RowWindowFamily {}
extension BernoulliFamily: RowWindowFamily {}
extension CategoricalFamily: RowWindowFamily {}
extension PoissonFamily: RowWindowFamily {}

extension Mixture: RowWindowFitting {
  /// Mixtures of Gaussian, Bernoulli, categorical and Poisson families (initialised from the gathered
  /// subsample, their ICL summed by block, their re-seeding row agreed over every process).
  public var fitsRowWindows: Bool { family is any RowWindowFamily }
}

extension RowWindowFitting {
  /// Whether this model fits `data` as held: every row, or a row window of the style it needs
  /// (fixed blocks, or chunks of whole sequences for `windowsFollowSequences`).
  public func fitsWindows(of data: DataSet) -> Bool {
    data.held == nil || (fitsRowWindows && windowsFollowSequences == (data.windowChunks != nil))
  }
}

extension HeldBlocks: RowWindowFitting {
  public var fitsRowWindows: Bool { (base as? any RowWindowFitting)?.fitsRowWindows ?? false }
  public var windowsFollowSequences: Bool { (base as? any RowWindowFitting)?.windowsFollowSequences ?? false }
}

extension EmissionFamily {
  /// `worstExplainedRow` and the entries of that row. With a row window, every process
  /// offers its own worst row and all take the first (lowest-numbered) row of the smallest
  /// value, as a plain run's scan in row order does (collective).
  public func worstExplainedRowValues(
    _ data: DataSet, prepared: Prepared, logWeights: [Double]
  ) -> (row: Int, values: [Double]) {
    let d = data.dimension
    let (row, value) = worstExplainedRowAndValue(data, prepared: prepared, logWeights: logWeights)
    let own = (0..<d).map { data.values[row * d + $0] }
    guard data.held != nil else { return (row, own) }
    let group = Processes.group
    // [value, row, entries…] from every process; a process holding no row offers +∞.
    let width = d + 2
    let all = group.allGather([value, Double(row)] + own, counts: [Int](repeating: width, count: group.size))
    var best = 0
    for q in 1..<group.size where all[q * width] < all[best * width] { best = q }
    if all[best * width] == .infinity { return (0, Array(all[2..<width])) }
    return (Int(all[best * width + 1]), Array(all[(best * width + 2)..<(best * width + width)]))
  }
}
