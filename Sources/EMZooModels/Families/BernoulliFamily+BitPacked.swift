internal import CKernels
import EMZooCore

/// The Bernoulli mixture E step on bit-packed rows with byte tables ("four Russians").
///
/// With a = log p − log(1 − p) and b = log(1 − p) (K×d), a row's log-densities are
///
///     log f_k(x) = Σ_{j observed} a_kj xⱼ + b_kj = Σ_β T[β][x byte β][k] + c_k   (complete rows)
///
/// over the ⌈d/8⌉ bytes β of the packed row, with T[β][v][k] = Σ_{bits t of v} a_{k,8β+t} and
/// c_k = Σⱼ b_kj made once per iteration (256·⌈d/8⌉·K additions); a row with missing entries adds
/// the same kind of table over its observed mask instead of c. The statistics Σᵢ rᵢₖ xᵢⱼ (and
/// Σ_{i: j observed} rᵢₖ) multiply each row's responsibilities by its bits as 0/1 lanes, eight
/// columns to a vector, in register tiles over blocks of rows (AVX-512: d·K/8 vector multiply-adds
/// a row), or, with fewer vector registers, add them to sums per value of each 4-bit nibble
/// (⌈d/4⌉ K-vector additions a row), expanded to columns once per chunk. A row reads d/4 bytes
/// instead of 8d.
///
/// The results are those of `emz_mixture_estep_linear` summed in another order (relative
/// differences of a few 1e-16 in the log-likelihood, up to ~1e-14 in the statistics).
extension BernoulliFamily: PackedMixtureExpectation {
  /// Fewer rows than this are not packed: the per-iteration byte tables (256·⌈d/8⌉·K entries)
  /// cost about as much as the dense E step of a few hundred rows.
  static let packingMinimumRows = 1024

  func packedForMixture(_ data: DataSet) -> BernoulliFamily {
    guard packs(data), let rows = Self.packedRows(of: data) else { return self }
    var copy = self
    copy.packed = rows
    return copy
  }

  func validatedByPacking(_ data: DataSet) -> Bool {
    data.held == nil && packs(data) && Self.packedRows(of: data) != nil
  }

  /// Whether a mixture of this family packs `data`.
  private func packs(_ data: DataSet) -> Bool {
    components <= 64 && data.dimension == dimension && data.rows >= Self.packingMinimumRows
  }

  /// The rows of `data` packed: the data set's memo holds them from the first call on (the data
  /// check before a fit, then the fit, the report's ICL, `predict`), so the matrix is read once.
  /// Nil when some entry is neither 0, 1 nor missing.
  private static func packedRows(of data: DataSet) -> BitPackedRows? {
    data.memo.value(BitPackedRows.self, where: { $0.describes(data) }) { BitPackedRows(data) }
  }

  /// The tables laid out by `emz_bernoulli_tables_layout` for the slopes a and offsets b.
  func byteTables(slopes: [Double], offsets: [Double], for rows: BitPackedRows) -> [Double] {
    let withMissing: Int32 = rows.observed != nil ? 1 : 0
    let layout = emz_bernoulli_tables_layout_make(dimension, components, withMissing)
    return [Double](unsafeUninitializedCapacity: layout.total) { buffer, count in
      emz_bernoulli_byte_tables(dimension, components, slopes, offsets, withMissing, buffer.baseAddress!)
      count = layout.total
    }
  }

  func packedMixtureExpectation(rows: Range<Int>, of data: DataSet, prepared: Prepared, logWeights: [Double],
                                into statistics: UnsafeMutablePointer<Double>) -> Double? {
    packedMixtureExpectation(rows: rows, of: data, prepared: prepared, logWeights: logWeights, into: statistics,
                             kernels: nil)
  }

  /// `packedMixtureExpectation` with the kernels of the instruction-set level `level` ("baseline",
  /// "x86-64-v3", "x86-64-v4"; nil: the CPU's best), so that tests reach every copy of the
  /// kernel; nil also when the CPU does not run that level.
  func packedMixtureExpectation(rows: Range<Int>, of data: DataSet, prepared: Prepared, logWeights: [Double],
                                into statistics: UnsafeMutablePointer<Double>, kernels level: String?) -> Double? {
    guard let packed, let tables = prepared.byteTables, packed.describes(data) else { return nil }
    let W = packed.wordsPerRow, K = components, d = dimension
    let withMissing: Int32 = packed.observed != nil ? 1 : 0
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: emz_bernoulli_work_size(d, K, withMissing)) { work in
      packed.values.withUnsafeBufferPointer { values in
        let x = values.baseAddress! + rows.lowerBound * W
        let run = { (mask: UnsafePointer<UInt64>?) -> Double? in
          guard let level else {
            return emz_bernoulli_mixture_estep_packed(x, mask, rows.count, d, K, tables, logWeights,
                                                      work.baseAddress!, statistics)
          }
          var logLikelihood = 0.0
          return emz_bernoulli_mixture_estep_packed_at(level, x, mask, rows.count, d, K, tables, logWeights,
                                                       work.baseAddress!, statistics, &logLikelihood) != 0
            ? logLikelihood : nil
        }
        guard let observed = packed.observed else { return run(nil) }
        return observed.withUnsafeBufferPointer { run($0.baseAddress! + rows.lowerBound * W) }
      }
    }
  }
}
