import Dispatch

/// A pointer handed to worker threads that write disjoint parts of one buffer.
struct SharedBuffer: @unchecked Sendable {
  let base: UnsafeMutablePointer<Double>
  let count: Int
}

/// Runs a model's E step over fixed chunks of rows on `threads` workers and, under MPI, on
/// several processes.
///
/// Each chunk writes its own statistics block (with its log-likelihood as one more entry);
/// the chunks are summed into the fixed blocks of `BlockGrid`, and the block sums (gathered
/// from every process of `Processes.group`) are added in block order. Chunk and block
/// boundaries come from the model and the data, never from the thread or process count, so
/// the sums (and therefore every fitted bit) are the same for 1 thread or 64, 1 process or 16.
final class ExpectationRunner<Model: EMModel>: @unchecked Sendable {
  let model: Model
  let data: DataSet
  let chunks: [Range<Int>]
  let threads: Int
  let statisticsCount: Int
  let grid: BlockGrid
  let group: any ProcessGroup
  /// The blocks this process computes, and their chunks (indices into `chunks`).
  let ownedBlocks: Range<Int>
  let ownedChunks: Range<Int>
  /// Statistics plus the log-likelihood.
  private let width: Int
  private let chunkStatistics: SharedBuffer
  private let scratch: SharedBuffer
  private let scratchPerWorker: Int

  init(model: Model, data: DataSet, threads: Int, group: any ProcessGroup = Processes.group) {
    self.model = model
    self.data = data
    self.group = group
    chunks = model.chunks(of: data)
    grid = BlockGrid(chunks: chunks, rows: data.rows)
    ownedBlocks = grid.blocks(forRank: group.rank, of: group.size)
    ownedChunks = grid.chunks(in: ownedBlocks)
    self.threads = max(1, min(threads, ownedChunks.count))
    statisticsCount = model.statisticsCount
    width = statisticsCount + 1
    let largest = chunks[ownedChunks].map(\.count).max() ?? 0
    scratchPerWorker = model.scratchCount(rows: largest)
    chunkStatistics = SharedBuffer(
      base: .allocate(capacity: max(1, ownedChunks.count * width)), count: ownedChunks.count * width)
    scratch = SharedBuffer(
      base: .allocate(capacity: max(1, self.threads * scratchPerWorker)), count: self.threads * scratchPerWorker)
  }

  deinit {
    chunkStatistics.base.deallocate()
    scratch.base.deallocate()
  }

  /// The summed statistics and the log-likelihood (without the model's constant term).
  func run(_ prepared: Model.Prepared) -> (statistics: [Double], logLikelihood: Double) {
    let count = statisticsCount
    let width = width
    chunkStatistics.base.update(repeating: 0, count: chunkStatistics.count)
    let work: @Sendable (Int) -> Void = { [self] worker in
      let scratchBlock = UnsafeMutableBufferPointer(
        start: scratch.base + worker * scratchPerWorker, count: scratchPerWorker)
      var i = worker
      while i < ownedChunks.count {
        let block = UnsafeMutableBufferPointer(start: chunkStatistics.base + i * width, count: count)
        chunkStatistics.base[i * width + count] = model.expectation(
          rows: chunks[ownedChunks.lowerBound + i], of: data, given: prepared, statistics: block,
          scratch: scratchBlock)
        i += threads
      }
    }
    if threads == 1 {
      work(0)
    } else {
      DispatchQueue.concurrentPerform(iterations: threads, execute: work)
    }
    let local = grid.blockSums(
      UnsafeBufferPointer(start: chunkStatistics.base, count: chunkStatistics.count), width: width,
      blocks: ownedBlocks)
    var total = grid.total(ofLocalBlockSums: local, width: width, group: group)
    let logLikelihood = total.removeLast()
    return (total, logLikelihood)
  }
}
