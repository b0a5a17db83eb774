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
    let d = dimension
    if let gatheredSample, limit == DataSet.initializationRows, seed == 0x5EED {
      var sample = DataSet(source: source, columns: columns, storage: gatheredSample)
      sample.firstLine = firstLine
      sample.rowNoun = rowNoun
      return sample
    }
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
