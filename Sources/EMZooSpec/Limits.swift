internal import EMZooCore
import Foundation

/// Bounds on every count a user gives, so that whatever emzoo accepts can finish, and on the
/// memory a command may need (refused with the size named when it exceeds physical memory).
public enum Limits {
  public static let threads = 1...1024
  public static let restarts = 1...100_000
  public static let maxIterations = 1...100_000_000
  /// Components of a mixture, states of an HMM (the memory estimate refuses most before this).
  public static let labels = 1...100_000
  public static let symbols = 1...100_000_000
  /// Rows `sample` may write: it streams, so the bound is what can finish, not memory.
  public static let sampleRows = 1...100_000_000_000
  /// Seeds are written into results as JSON numbers (doubles): every seed up to 2^53 (and
  /// seed + restart index) survives the round trip exactly.
  public static let maxSeed: UInt64 = 1 << 53

  /// `value` within `range`, or an error naming `flag`.
  public static func check(_ value: Int, _ range: ClosedRange<Int>, _ flag: String, _ what: String = "an integer") throws -> Int {
    guard range.contains(value) else {
      throw InputError("\(flag): expected \(what) in \(range.lowerBound)...\(range.upperBound), found \(value)")
    }
    return value
  }

  /// A seed (and the `restarts` seeds after it) that survives the JSON round trip.
  public static func seed(_ seed: UInt64, restarts: Int = 1, _ flag: String) throws -> UInt64 {
    guard seed <= maxSeed - UInt64(max(restarts, 1) - 1) else {
      throw InputError("\(flag): expected a seed in 0...\(maxSeed - UInt64(max(restarts, 1) - 1)) (seeds are written as exact JSON numbers, at most 2^53 with the restarts), found \(seed)")
    }
    return seed
  }

  /// The machine's physical memory in bytes.
  public static var physicalMemory: Double {
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, size > 0 else { return 1e18 }
    return Double(pages) * Double(size)
  }

  /// "12.3 GB".
  public static func bytes(_ x: Double) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"]
    var value = x, unit = 0
    while value >= 1000, unit + 1 < units.count { value /= 1000; unit += 1 }
    if value >= 1e4 { return String(format: "%.3g %@", value, units[unit]) }
    return unit == 0 ? "\(Int(value)) bytes" : String(format: "%.1f %@", value, units[unit])
  }

  /// Refuses work whose estimated memory exceeds physical memory.
  public static func checkMemory(_ estimate: Double, _ what: String) throws {
    let available = physicalMemory
    guard estimate.isFinite, estimate <= available else {
      throw InputError("\(what) needs about \(bytes(estimate)) of memory, more than this machine's \(bytes(available))")
    }
  }
}

extension Field {
  /// An integer within `range`.
  public func integer(in range: ClosedRange<Int>) throws -> Int {
    let x = try integer(atLeast: range.lowerBound)
    guard x <= range.upperBound else {
      throw error("expected an integer in \(range.lowerBound)...\(range.upperBound), found \(x)")
    }
    return x
  }
}
