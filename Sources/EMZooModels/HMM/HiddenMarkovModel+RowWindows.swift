internal import CKernels
public import EMZooCore

/// The HMM on row windows (`DataSet.held`): under MPI each process holds only the rows of its
/// chunks of whole sequences (`DataSet.windowChunks`, the chunks that start in its blocks of
/// the fixed grid), which are exactly the rows its share of the E step reads. Outside the E
/// step:
///
/// - the family's constants and adaptation (Poisson's reference rates and Σ log x!) and the
///   ICL's classification term are summed chunk by chunk into the blocks of their first rows
///   (`rowBlockSums` over `windowChunks`), the same additions for any process count, and for a
///   plain run on more than `DataSet.windowRows` rows too;
/// - the start is drawn from the rows with an observed entry, the same rows as a plain run's
///   (`observedRows`), gathered; a categorical start counts the symbols of the held rows by
///   block (`CategoricalFamily.randomStart`);
/// - a state re-seeded at the worst-explained row takes the row agreed over every process
///   (`worstExplainedRowValues`);
/// - the checks (`validate`, `requireObservedColumns`) scan the held rows and agree.
///
/// A categorical start (`randomStart`) counts the symbols of every row by block. A custom
/// `emissionStart` may read every row: such an HMM gathers them instead.
extension HiddenMarkovModel: RowWindowFitting {
  public var fitsRowWindows: Bool { family is any RowWindowFamily && emissionStart == nil }

  /// Windows follow whole sequences (an E-step chunk never splits).
  public var windowsFollowSequences: Bool { true }

  /// `data` whose block sums follow this model's chunks (`DataSet.windowChunks`), so that a
  /// plain run on more than `DataSet.windowRows` rows adds in the order of a windowed one.
  func summingByChunks(_ data: DataSet) -> DataSet {
    guard data.sumsByBlock, data.windowChunks == nil else { return data }
    var copy = data
    copy.windowChunks = chunks(of: data)
    return copy
  }

  /// The rows with an observed entry, which the start is drawn from: `withoutMissingRows` of
  /// the data; with a row window, every process gathers those rows of them that a plain run's
  /// initialisation reads — all of them when at most `DataSet.initializationRows`, else the
  /// subsample `DataSet.sampleRows` of their count — into an array data set equal to the plain
  /// run's (the data itself, with its gathered subsample, when no row is missing). Collective
  /// with a row window.
  static func observedRows(of data: DataSet, group: any ProcessGroup = Processes.group) throws -> DataSet {
    guard let held = data.held else { return withoutMissingRows(data) }
    let d = data.dimension
    var kept: [Int] = []
    data.values.withUnsafeBufferPointer { all in
      for i in held where !isMissing(all.baseAddress! + i * d, dimension: d) { kept.append(i) }
    }
    let counts = group.allGather([Double(kept.count)], counts: [Int](repeating: 1, count: group.size)).map { Int($0) }
    let total = counts.reduce(0, +)
    if total == data.rows { return data }
    let order = DataSet.sampleRows(rows: total)
    let firsts = counts.indices.map { counts[..<$0].reduce(0, +) }
    let mine = firsts[group.rank]..<(firsts[group.rank] + kept.count)
    var local: [Double] = []
    local.reserveCapacity(DataSet.countInSorted(order, mine) * d)
    data.values.withUnsafeBufferPointer { all in
      for j in order where mine.contains(j) {
        let i = kept[j - mine.lowerBound]
        local.append(contentsOf: all[(i * d)..<((i + 1) * d)])
      }
    }
    let sampleCounts = counts.indices.map { q in
      DataSet.countInSorted(order, firsts[q]..<(firsts[q] + counts[q])) * d
    }
    return DataSet(source: data.source, columns: data.columns, values: group.allGather(local, counts: sampleCounts))
  }

  /// log p(ẑ | x) of the Viterbi paths (the ICL's term), as `rowPosteriors` gives it; on more
  /// than `DataSet.windowRows` rows or a row window, summed chunk by chunk into the blocks of
  /// the chunks' first rows (`rowBlockSums`): every process holds the sequences it sums, and
  /// the bits do not depend on the process count. Collective with a row window.
  public func classificationLogLikelihood(_ p: Parameters, data: DataSet) throws -> Double? {
    guard data.sumsByBlock else { return try rowPosteriors(p, data: data)?.classificationLogLikelihood }
    if data.held == nil {
      try checkColumns(data)
      try validate(data)
    }
    let model = adapted(to: data)
    let prepared = try model.prepare(p)
    let K = states, d = data.dimension
    let chunked = summingByChunks(data)
    return data.values.withUnsafeBufferPointer { all in
      chunked.rowBlockSums(width: 1) { rows, out in
        let n = rows.count
        var logb = [Double](repeating: 0, count: max(n * K, 1))
        var alpha = [Double](repeating: 0, count: max(n * K, 1))
        var scale = [Double](repeating: 0, count: max(n, 1))
        var work = [Double](repeating: 0, count: 3 * K)
        var initialCounts = [Double](repeating: 0, count: K)
        var transitionCounts = [Double](repeating: 0, count: K * K)
        var path = [Int32](repeating: 0, count: max(n, 1))
        var back = [Int32](repeating: 0, count: max(n * K, 1))
        var delta = [Double](repeating: 0, count: 2 * K)
        let logInitial = prepared.logInitial, logTransition = prepared.logTransition
        for sequence in Self.sequences(in: rows, of: data) where !sequence.isEmpty {
          let T = sequence.count
          let value = logb.withUnsafeMutableBufferPointer { b -> (best: Double, value: Double) in
            _ = model.emissionLogDensities(all.baseAddress! + sequence.lowerBound * d, rows: T,
                                           prepared: prepared.emission, into: b.baseAddress!)
            let best = emz_hmm_viterbi(T, K, b.baseAddress!, logInitial, logTransition,
                                       &delta, &back, &path)
            let value = emz_hmm_forward_backward(
              T, K, b.baseAddress!, prepared.initial, prepared.transition, &alpha, &scale, &work,
              &initialCounts, &transitionCounts)
            return (best, value)
          }
          if value.value.isFinite { out[0] += value.best - value.value }
        }
      }[0]
    }
  }
}
