import Dispatch

/// A pointer handed to worker threads that write disjoint parts of one buffer.
struct SharedBuffer: @unchecked Sendable {
  let base: UnsafeMutablePointer<Double>
  let count: Int
}

/// Runs a model's E step over fixed chunks of rows on `threads` workers.
///
/// Each chunk writes its own statistics block; the blocks are then summed in chunk order.
/// Chunk boundaries come from the model and never from the thread count, so the sums (and
/// therefore every fitted bit) are the same for 1 thread or 64.
final class ExpectationRunner<Model: EMModel>: @unchecked Sendable {
  let model: Model
  let data: DataSet
  let chunks: [Range<Int>]
  let threads: Int
  let statisticsCount: Int
  private let chunkStatistics: SharedBuffer
  private let chunkLogLikelihoods: SharedBuffer
  private let scratch: SharedBuffer
  private let scratchPerWorker: Int

  init(model: Model, data: DataSet, threads: Int) {
    self.model = model
    self.data = data
    chunks = model.chunks(of: data)
    self.threads = max(1, min(threads, chunks.count))
    statisticsCount = model.statisticsCount
    let largest = chunks.map(\.count).max() ?? 0
    scratchPerWorker = model.scratchCount(rows: largest)
    chunkStatistics = SharedBuffer(
      base: .allocate(capacity: max(1, chunks.count * statisticsCount)), count: chunks.count * statisticsCount)
    chunkLogLikelihoods = SharedBuffer(base: .allocate(capacity: max(1, chunks.count)), count: chunks.count)
    scratch = SharedBuffer(
      base: .allocate(capacity: max(1, self.threads * scratchPerWorker)), count: self.threads * scratchPerWorker)
  }

  deinit {
    chunkStatistics.base.deallocate()
    chunkLogLikelihoods.base.deallocate()
    scratch.base.deallocate()
  }

  /// The summed statistics and the log-likelihood (without the model's constant term).
  func run(_ prepared: Model.Prepared) -> (statistics: [Double], logLikelihood: Double) {
    let count = statisticsCount
    chunkStatistics.base.update(repeating: 0, count: chunkStatistics.count)
    let work: @Sendable (Int) -> Void = { [self] worker in
      let scratchBlock = UnsafeMutableBufferPointer(
        start: scratch.base + worker * scratchPerWorker, count: scratchPerWorker)
      var c = worker
      while c < chunks.count {
        let block = UnsafeMutableBufferPointer(start: chunkStatistics.base + c * count, count: count)
        chunkLogLikelihoods.base[c] = model.expectation(
          rows: chunks[c], of: data, given: prepared, statistics: block, scratch: scratchBlock)
        c += threads
      }
    }
    if threads == 1 {
      work(0)
    } else {
      DispatchQueue.concurrentPerform(iterations: threads, execute: work)
    }
    var total = [Double](repeating: 0, count: count)
    var logLikelihood = 0.0
    for c in 0..<chunks.count {
      let block = chunkStatistics.base + c * count
      for s in 0..<count { total[s] += block[s] }
      logLikelihood += chunkLogLikelihoods.base[c]
    }
    return (total, logLikelihood)
  }
}
