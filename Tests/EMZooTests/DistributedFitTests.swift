import Foundation
import Testing

@testable import EMZoo

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

@Suite struct DistributedFitTests {
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
