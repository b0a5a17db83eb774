/// A fixed-seed, platform-independent choice of rows to draw from large data.
///
/// `indices(count:limit:seed:)` returns all of `0..<count` when `count <= limit`; otherwise
/// `limit` distinct indices drawn uniformly by Floyd's algorithm from a SplitMix64 stream
/// (Steele, Lea & Flood 2014) seeded with `seed`, sorted ascending. The same arguments give
/// the same indices on every platform and Swift version.
/// - Complexity: O(limit log limit) time and O(limit) memory, whatever `count` is.
public enum Subsample {
  /// The default largest number of points drawn in one scatter.
  public static let defaultLimit = 20_000

  /// Sorted indices into `0..<count`, at most `limit` of them.
  public static func indices(count: Int, limit: Int = defaultLimit, seed: UInt64 = 0) -> [Int] {
    guard count > 0 else { return [] }
    guard count > limit else { return Array(0..<count) }
    guard limit > 0 else { return [] }
    var generator = SplitMix64(seed: seed)
    var chosen = Set<Int>(minimumCapacity: limit)
    for upper in (count - limit)..<count {
      let candidate = generator.next(below: upper + 1)
      chosen.insert(chosen.contains(candidate) ? upper : candidate)
    }
    return chosen.sorted()
  }
}

/// The SplitMix64 generator: a 64-bit counter stepped by the golden-ratio constant and mixed.
///
/// [Steele, Lea & Flood 2014]: https://doi.org/10.1145/2714064.2660195
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  public init(seed: UInt64) {
    state = seed
  }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A value in `0..<bound` by Lemire's multiply-shift (bias below bound / 2⁶⁴).
  mutating func next(below bound: Int) -> Int {
    Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
  }
}
