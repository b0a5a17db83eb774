import CKernels
import Testing

/// `emz_has_nan` against the obvious Swift scan, with the NaN before, inside and after the
/// kernel's 4096-entry blocks, and in an empty range.
@Suite struct HasNaNTests {
  @Test func findsEveryPosition() {
    let count = 3 * 4096 + 17
    var values = (0..<count).map { Double($0) * 0.5 - 100 }
    values[7] = .infinity  // infinite is not missing
    #expect(emz_has_nan(values, count) == 0)
    #expect(emz_has_nan(values, 0) == 0)
    for position in [0, 1, 4095, 4096, 8191, 2 * 4096 + 3, count - 1] {
      var copy = values
      copy[position] = .nan
      #expect(emz_has_nan(copy, count) == 1, "NaN at \(position)")
      #expect(emz_has_nan(copy, position) == 0, "range ending before \(position)")
      #expect(emz_has_nan(copy, count) == (copy.contains { $0.isNaN } ? 1 : 0))
    }
  }
}
