import Foundation
import Testing

@testable import EMZoo
@testable import EMZooCore

/// An in-memory stand-in for MPI: `size` ranks on `size` threads meet at a barrier in
/// `allGather` and each reads every rank's contribution in rank order.
final class SimulatedProcesses: @unchecked Sendable {
  let size: Int
  private let condition = NSCondition()
  private var slots: [[Double]?]
  private var generation = 0
  private var arrived = 0
  private var messages: [String?]

  init(size: Int) {
    self.size = size
    slots = Array(repeating: nil, count: size)
    messages = Array(repeating: nil, count: size)
  }

  struct Rank: ProcessGroup {
    let processes: SimulatedProcesses
    let rank: Int
    var size: Int { processes.size }
    var isDistributed: Bool { true }
    func allGather(_ local: [Double], counts: [Int]) -> [Double] {
      precondition(counts[rank] == local.count)
      return processes.exchange(rank: rank, local).flatMap { $0 }
    }
    func agree(on failure: String?) -> String? {
      let all = processes.exchange(rank: rank, failure.map { Array($0.utf8).map(Double.init) } ?? [-1])
      guard let first = all.first(where: { $0 != [-1] }) else { return nil }
      return String(decoding: first.map { UInt8($0) }, as: UTF8.self)
    }
  }

  /// Every rank's `local`, once all ranks have given theirs.
  func exchange(rank: Int, _ local: [Double]) -> [[Double]] {
    condition.lock()
    defer { condition.unlock() }
    let myGeneration = generation
    slots[rank] = local
    arrived += 1
    var result: [[Double]] = []
    if arrived == size {
      result = slots.map { $0 ?? [] }
      snapshot = result
      arrived = 0
      generation += 1
      condition.broadcast()
    } else {
      while generation == myGeneration { condition.wait() }
      result = snapshot
    }
    return result
  }
  private var snapshot: [[Double]] = []

  /// Runs `body(rank)` on `size` threads with each thread's `Processes.group` set to its rank.
  func run<T: Sendable>(_ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    let results = ResultBox<T>(count: size)
    let done = DispatchGroup()
    for rank in 0..<size {
      done.enter()
      let thread = Thread { [self] in
        let group = Rank(processes: self, rank: rank)
        results.set(rank, Result { try Processes.$group.withValue(group) { try body(rank) } })
        done.leave()
      }
      thread.start()
    }
    done.wait()
    return try results.values.map { try $0!.get() }
  }
}

final class ResultBox<T>: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var values: [Result<T, any Error>?]
  init(count: Int) { values = Array(repeating: nil, count: count) }
  func set(_ i: Int, _ value: Result<T, any Error>) {
    lock.lock()
    values[i] = value
    lock.unlock()
  }
}

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

  @Test("a Gaussian mixture fitted by 1, 2 and 3 simulated ranks gives the same bits as the plain fit")
  func simulatedRanksFitSameBits() throws {
    let s = try spec("""
      {"model": "gaussian-mixture", "options": {"components": 2},
       "parameters": {"weights": [0.4, 0.6], "means": [[0, 0], [3, 3]],
                      "covariances": [[[1, 0], [0, 1]], [[1, 0.3], [0.3, 2]]]}}
      """)
    let m = try model(s)
    let data = try m.sampleData(spec: s, count: 3 * BlockGrid.rowsPerBlock + 100, seed: 3)
    let fitOptions = options(restarts: 1, maxIterations: 15, threads: 2)
    let plain = try m.fitReport(spec: s, data: data, options: fitOptions)
    let plainText = plain.result.formatted()
    func stripped(_ text: String) -> String {
      text.split(separator: "\n").filter { !$0.contains("\"seconds\"") && !$0.contains("\"processes\"") }
        .joined(separator: "\n")
    }
    for size in 2...3 {
      let simulated = SimulatedProcesses(size: size)
      let texts = try simulated.run { _ in try m.fitReport(spec: s, data: data, options: fitOptions).result.formatted() }
      for text in texts {
        #expect(text.contains("\"processes\": \(size)"))
        #expect(stripped(text) == stripped(plainText), "P = \(size)")
      }
    }
  }

  @Test("agreeing: every simulated rank throws the lowest failing rank's message")
  func agreeingOnFailure() throws {
    let simulated = SimulatedProcesses(size: 3)
    let messages = try simulated.run { rank -> String in
      do {
        _ = try Processes.group.agreeing { () throws -> Int in
          if rank >= 1 { throw InputError("data.csv: line \(10 * rank): expected a number") }
          return rank
        }
        return "no error"
      } catch let error as InputError {
        return error.message
      }
    }
    #expect(messages == Array(repeating: "data.csv: line 10: expected a number", count: 3))
  }
}
