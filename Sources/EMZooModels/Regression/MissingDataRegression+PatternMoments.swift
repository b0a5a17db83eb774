internal import CKernels
internal import EMZooCore
import Foundation

/// The part of missing-data regression's E step that does not depend on the parameters: each
/// chunk's rows grouped by missingness pattern, with every pattern's moments about a fixed
/// reference, computed on the chunk's first E step and reused by every later one.
///
/// For a pattern with observed coordinates O, n rows and a reference c (the chunk's mean of
/// each observed coordinate), the moments are
///
///     S = Σ (z_O − c_O),   Q = Σ (z_O − c_O)(z_O − c_O)ᵀ,
///
/// and at any mean μ, with d = μ_O − c_O, the residual sums the E step needs follow exactly:
///
///     Σ r = S − n d,   Σ r rᵀ = Q − S dᵀ − d (Σ r)ᵀ      (r = z_O − μ_O)
///
/// (`emz_pattern_completed_statistics`). So an iteration costs O(patterns · D³) instead of a
/// pass over the rows; the moments about the chunk's own mean lose nothing to cancellation
/// while μ stays within a few standard deviations of it. This is how Schafer's `norm`
/// package runs EM for the multivariate normal (its `prelim.norm` sorts rows by pattern once).
///
/// The moments belong to one data set: `matches(_:)` compares its storage (pinned here, so
/// the address cannot be reused) and a chunk is looked up by its exact row range. A chunk
/// whose moments would take more doubles than its rows is not kept (it meets nearly as many
/// patterns as rows); the E step then runs over its rows every time. Thread-safe: a chunk's
/// moments are computed outside the lock, and two workers computing the same chunk get
/// the same numbers.
///
/// [Schafer, Analysis of Incomplete Multivariate Data, Chapman & Hall 1997, §5.3]
final class PatternMoments: @unchecked Sendable {
  /// One chunk's patterns in order of first appearance.
  struct Chunk: Sendable {
    /// Each pattern's observed coordinates (model order) as bits.
    var bits: [UInt64]
    /// Each pattern's row count.
    var counts: [Double]
    /// S and Q of each pattern at `momentStart[g]` (`emz_residual_sums_layout`).
    var moments: [Double]
    var momentStart: [Int]
    /// c, D entries (model order).
    var reference: [Double]
  }

  /// Keeps the data's storage alive, so that `address` cannot name another buffer.
  private let values: DataValues
  private let address: UInt
  private let width: Int
  private let lock = NSLock()
  /// Per chunk start: its rows and moments (nil: not kept).
  private var chunks: [Int: (rows: Range<Int>, chunk: Chunk?)] = [:]

  init(data: DataSet) {
    values = data.values
    address = data.values.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
    width = data.dimension
  }

  /// Whether `data` holds the entries these moments were made for.
  func matches(_ data: DataSet) -> Bool {
    data.dimension == width && data.values.count == values.count
      && data.values.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == address
  }

  /// How many chunks have been looked at (kept or not).
  var chunkCount: Int {
    lock.lock()
    defer { lock.unlock() }
    return chunks.count
  }

  /// The moments of `rows`, from `make` the first time.
  func chunk(_ rows: Range<Int>, make: () -> Chunk?) -> Chunk? {
    lock.lock()
    let known = chunks[rows.lowerBound]
    lock.unlock()
    if let known, known.rows == rows { return known.chunk }
    let made = make()
    lock.lock()
    chunks[rows.lowerBound] = (rows, made)
    lock.unlock()
    return made
  }
}

extension MissingDataRegression {
  /// The pattern moments of `rows` (model coordinates in `order`): pattern bits, groups in order
  /// of first appearance, the chunk's mean of each coordinate as reference, then S and Q per
  /// pattern (`emz_pattern_residual_sums` about the reference). Nil when they would take more
  /// doubles than the chunk's entries.
  func patternMoments(rows: Range<Int>, of data: DataSet, order: [Int]) -> PatternMoments.Chunk? {
    let D = dimension, width = data.dimension, n = rows.count
    var bits = [UInt64](repeating: 0, count: n)
    let layout = order.map { Int32($0) }
    var reference = [Double](repeating: 0, count: D), observedCount = [Double](repeating: 0, count: D)
    data.values.withUnsafeBufferPointer { all in
      let x = all.baseAddress! + rows.lowerBound * width
      emz_missing_pattern_bits(x, n, width, layout, D, &bits)
      reference.withUnsafeMutableBufferPointer { sum in
        observedCount.withUnsafeMutableBufferPointer { count in
          for i in 0..<n {
            for a in 0..<D where !x[i * width + order[a]].isNaN {
              sum[a] += x[i * width + order[a]]
              count[a] += 1
            }
          }
        }
      }
    }
    for a in 0..<D { reference[a] = observedCount[a] > 0 ? reference[a] / observedCount[a] : 0 }
    // Groups in order of first appearance (D ≤ factorisedPatternLimit: a direct table).
    var groupOfPattern = [Int32](repeating: -1, count: 1 << D)
    var patterns: [UInt64] = []
    var groupOfRow = [Int32](repeating: 0, count: n)
    for i in 0..<n {
      var g = groupOfPattern[Int(bits[i])]
      if g < 0 {
        g = Int32(patterns.count)
        groupOfPattern[Int(bits[i])] = g
        patterns.append(bits[i])
      }
      groupOfRow[i] = g
    }
    var coordinateStart: [Int32] = [], sumStart: [Int32] = [], sizes: [Int32] = []
    var columns: [Int32] = [], means: [Double] = []
    var momentStart: [Int] = []
    var total = 0
    for pattern in patterns {
      let observed = MissingPattern(bits: pattern).observed(dimension: D)
      coordinateStart.append(Int32(columns.count))
      sumStart.append(Int32(total))
      momentStart.append(total)
      sizes.append(Int32(observed.count))
      columns += observed.map { Int32(order[$0]) }
      means += observed.map { reference[$0] }
      total += emz_residual_sums_layout_make(observed.count).stride
    }
    guard total <= n * width else { return nil }
    var counts = [Double](repeating: 0, count: patterns.count)
    var moments = [Double](repeating: 0, count: total)
    data.values.withUnsafeBufferPointer { all in
      emz_pattern_residual_sums(all.baseAddress! + rows.lowerBound * width, n, width, groupOfRow, columns,
                                means, coordinateStart, sizes, sumStart, &counts, &moments)
    }
    return PatternMoments.Chunk(bits: patterns, counts: counts, moments: moments, momentStart: momentStart,
                                reference: reference)
  }

  /// Every pattern's factors in one table (`emz_pattern_factor_layout`), pattern `bits` at
  /// `start[bits]`.
  static func factorTable(_ patterns: [ConditionalNormal]) -> (table: [Double], start: [Int]) {
    var factors: [Double] = [], start: [Int] = []
    start.reserveCapacity(patterns.count)
    for conditional in patterns {
      start.append(factors.count)
      factors += conditional.precision
      factors += conditional.regression
      factors += conditional.conditionalCovariance
      factors.append(conditional.logConstant)
    }
    return (factors, start)
  }

  /// The E step of `rows` from their cached pattern moments (see `PatternMoments`), or nil
  /// when there are none for these rows (the E step then runs over the rows).
  func expectationFromMoments(rows: Range<Int>, of data: DataSet, given prepared: Prepared,
                              statistics: UnsafeMutableBufferPointer<Double>,
                              scratch: UnsafeMutableBufferPointer<Double>) -> Double? {
    let D = dimension
    guard let cache = patternMoments, let factors = prepared.factors, scratch.count >= 2 * D + 3 * D * D,
          cache.matches(data),
          let chunk = cache.chunk(rows, make: { patternMoments(rows: rows, of: data, order: checkedLayout(of: data)) })
    else { return nil }
    let target = statisticsLayout
    statistics[target.count] += Double(rows.count)
    return emz_pattern_completed_statistics(
      D, chunk.bits.count, chunk.bits, chunk.counts, chunk.moments, chunk.momentStart, chunk.reference,
      prepared.mean, factors.table, factors.start, statistics.baseAddress! + target.sum,
      statistics.baseAddress! + target.scatter, scratch.baseAddress!)
  }
}
