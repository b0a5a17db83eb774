extension DataSet {
  /// The most rows initialisation (k-means++, random rows, random partitions) looks at: larger
  /// data sets start from a fixed subsample of this many rows (`initializationSample`).
  public static let initializationRows = 250_000

  /// `self` when it has at most `limit` rows, else `limit` distinct rows drawn uniformly
  /// without replacement from a fixed seed, kept in file order (a copy of `limit` rows).
  ///
  /// Floyd's algorithm draws the row numbers with O(`limit`) memory whatever the size of the
  /// data, so initialising a fit of 10⁸ memory-mapped rows allocates about `limit` rows, not n.
  /// The rows depend only on `rows`, `limit` and `seed` — never on the thread count — so fits
  /// stay bit-identical across `--threads`. Sequences are not kept (one sequence); `latent` is
  /// subsampled with the rows.
  ///
  /// [Floyd's algorithm]: Bentley & Floyd, "A sample of brilliance", CACM 30(9), 1987.
  public func initializationSample(limit: Int = DataSet.initializationRows, seed: UInt64 = 0x5EED) -> DataSet {
    guard rows > limit, limit > 0 else { return self }
    if let gatheredSample, limit == DataSet.initializationRows, seed == 0x5EED {
      var sample = DataSet(source: source, columns: columns, storage: gatheredSample)
      sample.firstLine = firstLine
      sample.rowNoun = rowNoun
      return sample
    }
    // The default sample is made once per data set (every start of a fit asks for it) and kept
    // in the memo, for as long as it describes these rows.
    if limit == DataSet.initializationRows && seed == 0x5EED {
      let kept = memo.value(InitializationSample.self, where: { $0.describes(self) }) {
        InitializationSample(drawnSample(limit: limit, seed: seed), of: self)
      }
      if let kept { return kept.sample }
    }
    return drawnSample(limit: limit, seed: seed)
  }

  /// `limit` rows drawn by `sampleRows` and copied out of the matrix.
  private func drawnSample(limit: Int, seed: UInt64) -> DataSet {
    let d = dimension
    let order = Self.sampleRows(rows: rows, limit: limit, seed: seed)
    var picked = [Double](repeating: 0, count: limit * d)
    values.withUnsafeBufferPointer { all in
      for (r, i) in order.enumerated() {
        for j in 0..<d { picked[r * d + j] = all[i * d + j] }
      }
    }
    var sample = DataSet(source: source, columns: columns, values: picked, latent: latent.map { l in order.map { l[$0] } })
    sample.firstLine = firstLine
    sample.rowNoun = rowNoun
    return sample
  }

  /// The rows `initializationSample` keeps, increasing: `limit` of 0..<`rows` drawn by Floyd's
  /// algorithm from `seed` (all of them when `rows <= limit`).
  public static func sampleRows(rows: Int, limit: Int = DataSet.initializationRows, seed: UInt64 = 0x5EED) -> [Int] {
    guard rows > limit, limit > 0 else { return Array(0..<rows) }
    let random = RandomSource(seed: seed)
    var chosen = Set<Int>(minimumCapacity: limit)
    for j in (rows - limit)..<rows {
      let t = random.integer(below: j + 1)
      if !chosen.insert(t).inserted { chosen.insert(j) }
    }
    return chosen.sorted()
  }
}

/// A data set's default initialisation sample (`DataSet.initializationSample()`), kept in its
/// memo: the sample copies its rows out of the matrix, which every start of a short-EM fit
/// would otherwise repeat (400 000 rows: tens of milliseconds a start).
///
/// It remembers the matrix it was drawn from (keeping it alive, so that its address cannot be
/// reused), so `describes(_:)` is exact: a copy of the data set with other rows (which shares
/// the memo) never gets this sample.
final class InitializationSample: Sendable {
  let sample: DataSet
  private let origin: DataSetIdentity

  init(_ sample: DataSet, of data: DataSet) {
    self.sample = sample
    origin = DataSetIdentity(data)
  }

  /// Whether this is the sample of `data`.
  func describes(_ data: DataSet) -> Bool { origin.matches(data) }
}

/// What a value derived from a data set's rows (and kept in its memo, `DataMemo`, which copies
/// share) depends on: the matrix itself (kept alive here, so that its address cannot be reused),
/// and the names and labels, which a copy may change without changing the matrix.
public struct DataSetIdentity: Sendable {
  private let rows: Int
  private let columns: [String]
  private let source: String
  private let firstLine: Int
  private let rowNoun: String
  private let latent: [Int]?
  private let matrix: DataValues
  private let address: UInt

  public init(_ data: DataSet) {
    rows = data.rows
    columns = data.columns
    source = data.source
    firstLine = data.firstLine
    rowNoun = data.rowNoun
    latent = data.latent
    matrix = data.values
    address = matrix.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
  }

  /// Whether `data` has the same matrix (not only equal values), names and labels.
  public func matches(_ data: DataSet) -> Bool {
    data.rows == rows && data.columns == columns && data.source == source && data.firstLine == firstLine
      && data.rowNoun == rowNoun && data.latent == latent
      && data.values.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == address
  }
}
