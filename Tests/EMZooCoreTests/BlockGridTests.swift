import Foundation
import Testing
import EMZooCore

@Suite struct BlockGridTests {
  /// Chunk sums of wildly different magnitudes, so that any change of summation order
  /// would show in the last bits.
  func chunkSums(_ count: Int, width: Int, seed: UInt64) -> [Double] {
    var state = seed
    return (0..<(count * width)).map { _ in
      state = state &* 6364136223846793005 &+ 1442695040888963407
      let u = Double(state >> 11) / Double(1 << 53)
      return (u - 0.3) * pow(10, Double((state >> 3) % 17) - 8)
    }
  }

  @Test("block sums reduce to the same bits for any partition of the blocks among ranks")
  func anyPartitionSameBits() {
    let rows = 5 * BlockGrid.rowsPerBlock + 777
    let layouts: [[Range<Int>]] = [
      // A mixture's 2048-row chunks.
      stride(from: 0, to: rows, by: 2048).map { $0..<min($0 + 2048, rows) },
      // HMM-like chunks of uneven sequences, one spanning two blocks (block 2 holds no start).
      [0..<5000, 5000..<30000, 30000..<70000, 70000..<70001, 70001..<rows],
    ]
    let width = 7
    for chunks in layouts {
      let grid = BlockGrid(chunks: chunks, rows: rows)
      #expect(grid.blockCount == 6)
      let sums = chunkSums(chunks.count, width: width, seed: UInt64(chunks.count))
      // The plain reference: chunks summed within blocks in order, blocks summed in order.
      var reference = [Double](repeating: 0, count: width)
      for b in 0..<grid.blockCount {
        var block = [Double](repeating: 0, count: width)
        for c in chunks.indices where chunks[c].lowerBound / BlockGrid.rowsPerBlock == b {
          for s in 0..<width { block[s] += sums[c * width + s] }
        }
        for s in 0..<width { reference[s] += block[s] }
      }
      for size in 1...8 {
        // Every rank's owned blocks' sums, concatenated in rank order (what MPI gathers).
        var gathered: [Double] = []
        var covered = 0
        for rank in 0..<size {
          let blocks = grid.blocks(forRank: rank, of: size)
          let owned = grid.chunks(in: blocks)
          #expect(owned.lowerBound == covered)
          covered = owned.upperBound
          let local = Array(sums[(owned.lowerBound * width)..<(owned.upperBound * width)])
          gathered += local.withUnsafeBufferPointer { grid.blockSums($0, width: width, blocks: blocks) }
        }
        #expect(covered == chunks.count)
        let total = grid.total(ofBlockSums: gathered, width: width)
        #expect(total.map(\.bitPattern) == reference.map(\.bitPattern), "P = \(size)")
      }
    }
  }

  @Test("one block: the total is the plain in-order chunk sum (results of small data unchanged)")
  func oneBlockIsPlainSum() {
    let chunks = stride(from: 0, to: 10000, by: 2048).map { $0..<min($0 + 2048, 10000) }
    let grid = BlockGrid(chunks: chunks, rows: 10000)
    let sums = chunkSums(chunks.count, width: 3, seed: 5)
    var plain = [Double](repeating: 0, count: 3)
    for c in chunks.indices { for s in 0..<3 { plain[s] += sums[c * 3 + s] } }
    let local = sums.withUnsafeBufferPointer { grid.blockSums($0, width: 3, blocks: 0..<1) }
    #expect(grid.total(ofBlockSums: local, width: 3).map(\.bitPattern) == plain.map(\.bitPattern))
  }

  @Test("one block: its sum is the total bit for bit, −0 and NaN entries included (ExpectationRunner returns it as the total)")
  func oneBlockSumIsTheTotal() {
    let chunks = [0..<100, 100..<107]
    let grid = BlockGrid(chunks: chunks, rows: 107)
    // Two chunks of width 3: −0 in both (a statistic of a state with no weight), a NaN, and
    // values that cancel.
    let sums: [Double] = [-0.0, .nan, 1.5, -0.0, 2.0, -1.5]
    let local = sums.withUnsafeBufferPointer { grid.blockSums($0, width: 3, blocks: 0..<1) }
    #expect(local.map(\.bitPattern) == grid.total(ofBlockSums: local, width: 3).map(\.bitPattern))
    // By hand: (0 + −0) + −0 = +0 (round to nearest), NaN stays NaN, (0 + 1.5) − 1.5 = +0.
    #expect(local[0].bitPattern == (0.0).bitPattern)
    #expect(local[1].isNaN)
    #expect(local[2].bitPattern == (0.0).bitPattern)
  }
}
