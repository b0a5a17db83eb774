/// The fixed two-level reduction tree of the E step: chunks of rows grouped into blocks of
/// `rowsPerBlock` rows, independent of the thread count and of the number of processes.
///
/// A chunk (the model's unit of work: 2048 rows of a mixture, whole sequences of an HMM)
/// belongs to block ⌊start / rowsPerBlock⌋ of its first row, so an HMM chunk never splits.
/// The statistics add up as
///
///     total = (((0 + B₀) + B₁) + …) + B_{m−1},   Bⱼ = ((0 + c_{j,0}) + c_{j,1}) + …
///
/// with cⱼ,ᵢ the chunks of block j in row order, entry by entry. Processes own contiguous runs
/// of blocks; each computes its blocks' sums Bⱼ, the sums are gathered, and every process adds
/// them in block order: the same additions in the same order for any P and any thread count,
/// hence the same bits. A block with no chunk (inside a long sequence) contributes zeros.
/// With one block (at most `rowsPerBlock` rows) the total is the plain in-order chunk sum.
public struct BlockGrid: Sendable, Equatable {
  /// Rows per block: a multiple of every kind's chunk size (2048 and 16384 rows), so row-based
  /// chunks never straddle blocks.
  public static let rowsPerBlock = 16384

  /// The number of blocks, ⌈rows / rowsPerBlock⌉ (at least 1).
  public let blockCount: Int
  /// The block of each chunk, non-decreasing.
  public let blockOfChunk: [Int]

  /// The grid of `chunks` (in row order) of data with `rows` rows.
  public init(chunks: [Range<Int>], rows: Int, rowsPerBlock: Int = BlockGrid.rowsPerBlock) {
    precondition(rowsPerBlock > 0)
    blockCount = max(1, (rows + rowsPerBlock - 1) / rowsPerBlock)
    blockOfChunk = chunks.map { $0.lowerBound / rowsPerBlock }
  }

  /// The blocks process `rank` of `size` computes: the `rank`-th of `size` near-equal
  /// contiguous runs, ⌊rank·m/size⌋ ..< ⌊(rank+1)·m/size⌋ (empty when size > m).
  public func blocks(forRank rank: Int, of size: Int) -> Range<Int> {
    precondition(size > 0 && (0..<size).contains(rank))
    return (rank * blockCount / size)..<((rank + 1) * blockCount / size)
  }

  /// The chunks (indices) that lie in `blocks`.
  public func chunks(in blocks: Range<Int>) -> Range<Int> {
    let first = blockOfChunk.firstIndex { $0 >= blocks.lowerBound } ?? blockOfChunk.count
    let end = blockOfChunk.firstIndex { $0 >= blocks.upperBound } ?? blockOfChunk.count
    return first..<max(first, end)
  }

  /// The block sums Bⱼ for `blocks` (each `width` wide, concatenated) from the chunk sums of
  /// `chunks(in: blocks)` (each `width` wide, concatenated, in chunk order).
  public func blockSums(
    _ chunkSums: UnsafeBufferPointer<Double>, width: Int, blocks: Range<Int>
  ) -> [Double] {
    var sums = [Double](repeating: 0, count: blocks.count * width)
    let chunkRange = chunks(in: blocks)
    precondition(chunkSums.count >= chunkRange.count * width)
    sums.withUnsafeMutableBufferPointer { out in
      for (i, c) in chunkRange.enumerated() {
        let j = blockOfChunk[c] - blocks.lowerBound
        for s in 0..<width { out[j * width + s] += chunkSums[i * width + s] }
      }
    }
    return sums
  }

  /// The total of every block sum (`blockCount` blocks, each `width` wide), added in block order.
  public func total(ofBlockSums sums: [Double], width: Int) -> [Double] {
    precondition(sums.count == blockCount * width)
    var total = [Double](repeating: 0, count: width)
    for j in 0..<blockCount {
      for s in 0..<width { total[s] += sums[j * width + s] }
    }
    return total
  }

  /// The total over every process: this process's block sums (for `blocks(forRank:of:)`)
  /// gathered from all processes of `group`, then added in block order.
  public func total(ofLocalBlockSums local: [Double], width: Int, group: any ProcessGroup) -> [Double] {
    if group.size == 1 { return total(ofBlockSums: local, width: width) }
    let counts = (0..<group.size).map { blocks(forRank: $0, of: group.size).count * width }
    return total(ofBlockSums: group.allGather(local, counts: counts), width: width)
  }
}
