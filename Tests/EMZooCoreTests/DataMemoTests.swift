import Dispatch
import Foundation
import Testing
import EMZooCore

/// `DataMemo.value(_:where:orMake:)`: one value a type, made once however many threads ask at
/// once, and made again when the kept one does not fit.
@Suite struct DataMemoTests {
  final class Made: Sendable {
    let tag: Int
    init(_ tag: Int) { self.tag = tag }
  }

  /// A counter the making threads share.
  final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func next() -> Int { lock.withLock { count += 1; return count } }
    var value: Int { lock.withLock { count } }
  }

  @Test func threadsAskingAtOnceMakeOneValue() {
    let memo = DataMemo(), makes = Counter(), seen = Counter()
    let tags = UnsafeMutableBufferPointer<Int>.allocate(capacity: 8)
    defer { tags.deallocate() }
    let shared = Tags(tags)
    DispatchQueue.concurrentPerform(iterations: 8) { i in
      let value = memo.value(Made.self, where: { _ in true }) {
        let tag = makes.next()
        usleep(20_000)  // long enough that the other threads arrive while it is made
        return Made(tag)
      }
      shared.store(value?.tag ?? -1, at: i)
      _ = seen.next()
    }
    #expect(makes.value == 1 && seen.value == 8)
    #expect(Array(tags) == [Int](repeating: 1, count: 8))
  }

  @Test func aValueThatDoesNotFitIsMadeAgain() {
    let memo = DataMemo()
    #expect(memo.value(Made.self, where: { _ in true }) { Made(1) }?.tag == 1)
    #expect(memo.value(Made.self, where: { $0.tag == 1 }) { Made(2) }?.tag == 1)
    #expect(memo.value(Made.self, where: { $0.tag == 2 }) { Made(2) }?.tag == 2)
    #expect(memo.value(Made.self)?.tag == 2)
    #expect(memo.value(Made.self, where: { _ in false }) { nil } == nil)
    #expect(memo.value(Made.self)?.tag == 2)  // a failed make stores nothing
  }
}

/// The tags each thread saw, one slot a thread.
private struct Tags: @unchecked Sendable {
  let buffer: UnsafeMutableBufferPointer<Int>
  init(_ buffer: UnsafeMutableBufferPointer<Int>) { self.buffer = buffer }
  func store(_ tag: Int, at i: Int) { buffer[i] = tag }
}
