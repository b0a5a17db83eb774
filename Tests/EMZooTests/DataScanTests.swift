import CKernels
import Testing

/// The branch-free data checks (`emz_first_not_binary`, `emz_first_not_count`,
/// `emz_first_not_bounded`, and `emz_count_byte`) against the first index where the families' own Swift predicates
/// fail, with the offending entry before, inside and after the 4096-entry blocks, several bad
/// entries at once, and the edge values of each test.
@Suite struct DataScanTests {
  static let count = 3 * 4096 + 17
  static let positions = [0, 1, 4095, 4096, 8191, 2 * 4096 + 3, count - 1]

  /// The index of the first entry of `values` failing `isValid` (NaN passes), or the count.
  static func firstFailing(_ values: [Double], _ isValid: (Double) -> Bool) -> Int {
    values.firstIndex { !$0.isNaN && !isValid($0) } ?? values.count
  }

  /// Every bad value at every position, alone and with a second one later, and every range
  /// ending before the first: the scan's index equals the Swift predicate's.
  static func check(
    _ base: [Double], bad: [Double], scan: ([Double], Int) -> Int, isValid: (Double) -> Bool
  ) {
    #expect(scan(base, base.count) == base.count)
    #expect(scan(base, 0) == 0)
    for value in bad {
      for position in positions {
        var copy = base
        copy[position] = value
        #expect(scan(copy, copy.count) == position, "\(value) at \(position)")
        #expect(scan(copy, copy.count) == firstFailing(copy, isValid))
        #expect(scan(copy, position) == position, "range ending before \(position)")
        if position + 5000 < copy.count {
          copy[position + 5000] = value
          #expect(scan(copy, copy.count) == position)
        }
      }
    }
  }

  @Test func binary() {
    var base = [Double](repeating: .nan, count: Self.count)
    for i in base.indices where i % 7 != 0 { base[i] = Double((i * 2_654_435_761) >> 7 & 1) }
    base[5] = -0.0
    Self.check(
      base, bad: [2, -1, 0.5, 1 + 1e-16 * 2, .infinity, -.infinity, 1e-300],
      scan: { emz_first_not_binary($0, $1) }, isValid: { $0 == 0 || $0 == 1 })
  }

  @Test func counts() {
    let limit = 1e10
    var base = [Double](repeating: .nan, count: Self.count)
    for i in base.indices where i % 5 != 0 { base[i] = Double(i % 1000) }
    base[6] = 9_999_999_999
    Self.check(
      base, bad: [-1, 2.5, 1e10, 3e12, .infinity, -.infinity, -0.5, 0.999_999_999_999],
      scan: { emz_first_not_count($0, $1, limit) }, isValid: { $0 >= 0 && $0 < limit && $0 == $0.rounded() })
    // The categorical families' limit: the symbol count.
    let symbols = (0..<Self.count).map { Double($0 % 4) }
    Self.check(
      symbols, bad: [4, -1, 1.5],
      scan: { emz_first_not_count($0, $1, 4) }, isValid: { $0 >= 0 && $0 < 4 && $0 == $0.rounded() })
  }

  /// `emz_count_byte` (CSV line ends) against Swift's count, over lengths around its 4096-byte
  /// blocks and a block of nothing but the byte (whose count must not wrap).
  @Test func lineEnds() {
    var bytes = (0..<(3 * 4096 + 5)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 11) }
    bytes += [UInt8](repeating: 0x0A, count: 70_000)
    for length in [0, 1, 4095, 4096, 4097, 8192, 3 * 4096 + 5, bytes.count] {
      let expected = bytes[..<length].filter { $0 == 0x0A }.count
      #expect(emz_count_byte(bytes, length, 0x0A) == expected, "length \(length)")
      #expect(emz_count_byte(bytes, length, 0) == bytes[..<length].filter { $0 == 0 }.count)
    }
  }

  @Test func bounded() {
    let bound = 1e150
    var base = [Double](repeating: .nan, count: Self.count)
    for i in base.indices where i % 9 != 0 { base[i] = (Double(i) - 6000) * 1e140 }
    base[7] = -9.9e149
    Self.check(
      base, bad: [1e150, -1e150, 2e200, .infinity, -.infinity],
      scan: { emz_first_not_bounded($0, $1, bound) }, isValid: { abs($0) < bound })
  }
}
