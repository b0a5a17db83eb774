internal import CKernels
internal import EMZooCore

/// k-means clustering for initialisation: k-means++ seeding (Arthur & Vassilvitskii 2007)
/// and Lloyd iterations. Distances skip missing entries.
enum KMeans {
  /// Lloyd runs on at most this many rows (a random subset); all rows are assigned at the end.
  static let subsampleLimit = 50_000

  /// The fewest rows a thread takes in the passes that label rows or measure their distances
  /// (about a millisecond at k·d = 640; fewer would cost the hand-off to a thread in time).
  static let rowsPerSlice = 4096

  /// The slices that the labelling and distance passes split `count` rows into
  /// (`PreparationSlices`): one a thread of the fit's (or of a start's share when starts run at
  /// once), each of at least `rowsPerSlice` rows. Each row's label and distance depend on that
  /// row alone, so the slicing never changes a bit.
  static func slices(rows count: Int) -> Int { PreparationSlices.count(count, minimum: rowsPerSlice) }

  /// The number of distinct rows, counting no further than `atMost`.
  static func distinctRows(_ data: DataSet, atMost limit: Int) -> Int {
    var seen = Set<[Double]>()
    let d = data.dimension
    for i in 0..<data.rows {
      // NaN != NaN, so map missing entries to a marker that compares equal.
      let row = (0..<d).map { data.values[i * d + $0].isNaN ? Double.infinity : data.values[i * d + $0] }
      seen.insert(row)
      if seen.count >= limit { break }
    }
    return seen.count
  }

  /// Squared distance over the entries observed in both rows.
  @inline(__always)
  static func distance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ d: Int) -> Double {
    var s = 0.0
    for j in 0..<d {
      let e = a[j] - b[j]
      if e == e { s += e * e }
    }
    return s
  }

  /// A label in 0..<k for every row; every label is used when the data has k distinct rows.
  static func cluster(_ data: DataSet, k: Int, random: RandomSource, lloydIterations: Int,
                      plusPlus: Bool = true) -> [Int] {
    let n = data.rows, d = data.dimension
    // Work on a random subset when the data is large.
    var subset = Array(0..<n)
    if n > subsampleLimit {
      for i in 0..<subsampleLimit {
        let j = i + random.integer(below: n - i)
        subset.swapAt(i, j)
      }
      subset = Array(subset[..<subsampleLimit]).sorted()
    }
    return data.values.withUnsafeBufferPointer { buffer in
      let x = buffer.baseAddress!
      func row(_ i: Int) -> UnsafePointer<Double> { x + i * d }
      var centres = [Double](repeating: 0, count: k * d)
      func setCentre(_ c: Int, toRow i: Int) {
        for j in 0..<d {
          let v = x[i * d + j]
          centres[c * d + j] = v.isNaN ? 0 : v
        }
      }
      // Seeding: k-means++ (next centre with probability ∝ D²) or k distinct random rows.
      let first = subset[random.integer(below: subset.count)]
      setCentre(0, toRow: first)
      var nearest = [Double](repeating: .infinity, count: subset.count)
      for c in 1..<max(k, 1) {
        // Each slice folds its rows' distances into `nearest`; their total is added here, in
        // row order as `emz_kmeans_nearest` adds it, so the draw never depends on the slicing.
        centres.withUnsafeBufferPointer { cb in
          subset.withUnsafeBufferPointer { rows in
            nearest.withUnsafeMutableBufferPointer { near in
              let rows = rows.baseAddress!, centre = cb.baseAddress! + (c - 1) * d, near = near.baseAddress!
              PreparationSlices.run(subset.count, slices: slices(rows: subset.count)) { lower, upper, _ in
                _ = emz_kmeans_nearest(x, d, rows + lower, upper - lower, centre, near + lower)
              }
            }
          }
        }
        var total = 0.0
        for v in nearest { total += v }
        var pick = -1
        if plusPlus, total > 0 {
          var u = random.uniform() * total
          for (s, _) in subset.enumerated() where nearest[s] > 0 {
            u -= nearest[s]
            pick = s
            if u <= 0 { break }
          }
        } else {
          // Uniformly among rows not identical to a centre.
          let candidates = subset.indices.filter { nearest[$0] > 0 }
          if !candidates.isEmpty { pick = candidates[random.integer(below: candidates.count)] }
        }
        if pick < 0 { pick = random.integer(below: subset.count) }
        setCentre(c, toRow: subset[pick])
      }
      // Lloyd iterations on the subset.
      var labels = [Int](repeating: 0, count: n)
      /// Labels `subset`'s rows (every row when `subset` is nil) by their nearest centre; true
      /// when a label changed.
      func assign(_ subset: [Int]?) -> Bool {
        let count = subset?.count ?? n
        let parts = slices(rows: count)
        var changed = [Int32](repeating: 0, count: parts)
        centres.withUnsafeBufferPointer { cb in
          labels.withUnsafeMutableBufferPointer { lb in
            changed.withUnsafeMutableBufferPointer { flags in
              let centres = cb.baseAddress!, labels = lb.baseAddress!, flags = flags.baseAddress!
              func pass(_ rows: UnsafePointer<Int>?) {
                PreparationSlices.run(count, slices: parts) { lower, upper, slice in
                  flags[slice] = rows.map { emz_kmeans_assign(x, d, $0 + lower, upper - lower, centres, k, labels) }
                    ?? emz_kmeans_assign(x + lower * d, d, nil, upper - lower, centres, k, labels + lower)
                }
              }
              if let subset { subset.withUnsafeBufferPointer { pass($0.baseAddress!) } } else { pass(nil) }
            }
          }
        }
        return changed.contains { $0 != 0 }
      }
      _ = assign(subset)
      var scratch = [Double](repeating: 0, count: 2 * k * d)
      for _ in 0..<lloydIterations {
        emz_kmeans_means(x, d, subset, subset.count, labels, k, &centres, &scratch)
        if !assign(subset) { break }
      }
      if subset.count < n { _ = assign(nil) }
      // An empty cluster takes the row farthest from its centre (from a cluster that can spare it).
      var sizes = [Int](repeating: 0, count: k)
      for l in labels { sizes[l] += 1 }
      for c in 0..<k where sizes[c] == 0 {
        var best = (-1, -1.0)
        centres.withUnsafeBufferPointer { cb in
          for i in 0..<n where sizes[labels[i]] > 1 {
            let dist = distance(row(i), cb.baseAddress! + labels[i] * d, d)
            if dist > best.1 { best = (i, dist) }
          }
        }
        if best.0 >= 0 {
          sizes[labels[best.0]] -= 1
          labels[best.0] = c
          sizes[c] = 1
        }
      }
      return labels
    }
  }
}

