extension EMModel {
  /// The bytes a fit (or any E step) of `rows` rows of `dimension` columns needs, estimated
  /// from the model's shape in Double arithmetic, so absurd sizes are refused instead of
  /// overflowing: the data (and a copy), about five copies of the statistics (current,
  /// previous, prepared, best, restart start), one set of statistics per thread, and each
  /// thread's scratch for the largest chunk, plus 64 MB of fixed overhead.
  ///
  /// With `mapped` the data is a memory-mapped file (`DataValues` external storage): its pages
  /// belong to the page cache, not to the fit, so the data and its copy are not counted — only
  /// one statistics block per chunk of 2048 rows, which grows with the rows.
  public func memoryEstimate(rows: Int, dimension: Int, longestSequence: Int, threads: Int,
                             mapped: Bool = false) -> Double {
    let t = Double(max(threads, 1))
    let data = mapped
      ? Double(statisticsCount) * (Double(rows) / 2048).rounded(.up)
      : Double(rows) * Double(max(dimension, 1)) * 2
    let statistics = Double(statisticsCount)
    let scratch = Double(scratchCount(rows: largestChunkRows(rows: rows, longestSequence: longestSequence)))
    return 8 * (data + statistics * (5 + t) + scratch * t) + 64e6
  }
}
