internal import CKernels
import EMZooCore
import Foundation

/// A binary data matrix (entries 0, 1 or missing) packed 64 columns to a word, made once per data set
/// (`DataMemo`) for the Bernoulli mixture's E step (`emz_bits_pack`).
///
/// Row i takes W = ⌈d/64⌉ words: bit j % 64 of `values[i·W + j/64]` is set where xᵢⱼ = 1, and of
/// `observed[i·W + j/64]` where xᵢⱼ is observed (`observed` is nil when nothing is missing); bits
/// past d are 0. That is d/4 bytes a row instead of 8d.
///
/// The rows remember the matrix they were packed from (they keep its storage alive and compare
/// its address), so `describes(_:)` is exact: a model adapted to one data set never reads
/// another data set's bits.
final class BitPackedRows: Sendable {
  let rows: Int
  let dimension: Int
  let wordsPerRow: Int
  let values: [UInt64]
  let observed: [UInt64]?
  /// The data set packed (its matrix retained, so that its address cannot be reused while these
  /// rows live).
  private let origin: DataSetIdentity

  /// Rows packed by one thread at least: slices of the matrix (8 MiB at d = 64) run on the
  /// machine's cores (on the fit's `threads` in the data check before a fit,
  /// `FitOptions.preparationThreads`), since the pass reads the whole `Double` matrix once and one core does not
  /// saturate the memory bus (bern-mix: 200 000 × 64, 102 MB, 15 ms on one thread). The bits do
  /// not depend on the slicing.
  static let rowsPerSlice = 16384

  /// The rows of `data` packed, or nil when some entry is neither 0, 1 nor missing (or the data
  /// set is empty).
  init?(_ data: DataSet) {
    let d = data.dimension, n = data.rows, words = (d + 63) / 64
    guard n > 0, d > 0 else { return nil }
    var values = [UInt64](repeating: 0, count: n * words)
    var observed = [UInt64](repeating: 0, count: n * words)
    let slices = Self.slices(rows: n)
    var flags = [Int32](repeating: 0, count: slices)
    data.values.withUnsafeBufferPointer { x in
      values.withUnsafeMutableBufferPointer { v in
        observed.withUnsafeMutableBufferPointer { o in
          flags.withUnsafeMutableBufferPointer { f in
            let x = x.baseAddress!, v = v.baseAddress!, o = o.baseAddress!, f = f.baseAddress!
            PreparationSlices.run(n, slices: slices) { lower, upper, s in
              f[s] = emz_bits_pack(x + lower * d, upper - lower, d, v + lower * words, o + lower * words)
            }
          }
        }
      }
    }
    guard !flags.contains(0) else { return nil }
    rows = n
    dimension = d
    wordsPerRow = words
    self.values = values
    self.observed = flags.contains { $0 & 2 != 0 } ? observed : nil
    origin = DataSetIdentity(data)
  }

  /// The slices that pack n rows: one a thread, each of at least `rowsPerSlice` rows.
  static func slices(rows n: Int) -> Int { PreparationSlices.count(n, minimum: rowsPerSlice) }

  /// Whether these are the rows of `data` (the same matrix, not only equal values).
  func describes(_ data: DataSet) -> Bool { origin.matches(data) }
}

