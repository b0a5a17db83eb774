/// The memory a fit (or any E step) needs, estimated from the model's shape and the data's,
/// in Double arithmetic so that absurd sizes are refused instead of overflowing.
///
/// Counted in doubles: the data (and a copy), the parameters and their preparation (about
/// five copies of the statistics' size: current, previous, prepared, best, restart start),
/// one set of statistics per thread, and each thread's scratch for its largest chunk.
extension SpecifiedModel {
  public func memoryEstimate(rows: Int, longestChunk: Int, threads: Int) -> Double {
    estimatedBytes(rows: rows, statistics: Double(statisticsCount), scratch: Double(scratchCount(rows: longestChunk)),
                   threads: threads)
  }

  func estimatedBytes(rows: Int, statistics: Double, scratch: Double, threads: Int) -> Double {
    let t = Double(max(threads, 1))
    let data = Double(rows) * Double(max(dimension, 1)) * 2
    return 8 * (data + statistics * (5 + t) + scratch * t) + 64e6
  }
}

extension MixtureModel {
  public func memoryEstimate(rows: Int, longestChunk: Int, threads: Int) -> Double {
    let K = Double(family.components)
    // Chunks are blocks of rows; the responsibilities of a chunk are K per row.
    return estimatedBytes(rows: rows, statistics: K * Double(family.statisticsPerComponent),
                          scratch: Double(min(longestChunk, 4096)) * K, threads: threads)
  }
}

extension HiddenMarkovModel {
  public func memoryEstimate(rows: Int, longestChunk: Int, threads: Int) -> Double {
    let K = Double(states), T = Double(longestChunk)
    // Transitions (K²) and emissions in the statistics; forward–backward keeps 2·T·K + T + 3K.
    return estimatedBytes(rows: rows, statistics: K * K + K + K * Double(family.statisticsPerComponent),
                          scratch: 2 * T * K + T + 3 * K, threads: threads)
  }
}

extension MissingDataRegression {
  public func memoryEstimate(rows: Int, longestChunk: Int, threads: Int) -> Double {
    let D = Double(dimension)
    return estimatedBytes(rows: rows, statistics: 1 + D + D * D, scratch: D, threads: threads)
  }
}
