import Dispatch
import Foundation

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
/// Which worker computes a chunk does not matter either, so the workers take the chunks from a
/// shared queue, largest first: sequences of unequal lengths (an HMM's chunks) then keep both
/// threads busy to the end (dealt round-robin, the 50 sequences of bench/workloads.py's
/// hmm-pois left one thread 23 % more rows than the other).
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
  /// `ownedChunks`' indices (0-based) by decreasing row count, ties in order.
  private let order: [Int]
  private let queueLock = NSLock()
  private var queueNext = 0

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
    // A closure, not the key path `\.count`: a key path is instantiated at run time on first
    // use (about 4 µs, 2 % of a 107-row HMM's fit).
    let largest = chunks[ownedChunks].map { $0.count }.max() ?? 0
    scratchPerWorker = model.scratchCount(rows: largest)
    let owned = chunks[ownedChunks]
    order = owned.indices.map { $0 - owned.startIndex }.sorted {
      let (a, b) = (owned[owned.startIndex + $0].count, owned[owned.startIndex + $1].count)
      return a != b ? a > b : $0 < $1
    }
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
    /// Chunk i (0-based in `ownedChunks`) with `worker`'s scratch.
    @Sendable func compute(_ i: Int, worker: Int) {
      let scratchBlock = UnsafeMutableBufferPointer(
        start: scratch.base + worker * scratchPerWorker, count: scratchPerWorker)
      let block = UnsafeMutableBufferPointer(start: chunkStatistics.base + i * width, count: count)
      chunkStatistics.base[i * width + count] = model.expectation(
        rows: chunks[ownedChunks.lowerBound + i], of: data, given: prepared, statistics: block,
        scratch: scratchBlock)
    }
    if threads == 1 {
      // One worker takes the chunks in the queue's order without the queue's lock.
      for i in order { compute(i, worker: 0) }
    } else {
      queueNext = 0
      DispatchQueue.concurrentPerform(iterations: threads) { [self] worker in
        while let i = nextChunk() { compute(i, worker: worker) }
      }
    }
    let local = grid.blockSums(
      UnsafeBufferPointer(start: chunkStatistics.base, count: chunkStatistics.count), width: width,
      blocks: ownedBlocks)
    // One block on one process (at most `BlockGrid.rowsPerBlock` rows, every tiny fit): the
    // block's sum is the total, as 0 + B = B for a sum B that started from +0 (it holds no −0),
    // so the second array and pass of every E step are skipped, with the same bits.
    var total = grid.blockCount == 1 && group.size == 1
      ? local : grid.total(ofLocalBlockSums: local, width: width, group: group)
    let logLikelihood = total.removeLast()
    return (total, logLikelihood)
  }

  /// The next chunk of `order` nobody has taken in this E step, or nil.
  private func nextChunk() -> Int? {
    queueLock.lock()
    defer { queueLock.unlock() }
    guard queueNext < order.count else { return nil }
    queueNext += 1
    return order[queueNext - 1]
  }
}
