internal import CKernels
internal import EMZooCore

/// k-means clustering for initialisation: k-means++ seeding (Arthur & Vassilvitskii 2007)
/// and Lloyd iterations. Distances skip missing entries.
enum KMeans {
  /// Lloyd runs on at most this many rows (a random subset); all rows are assigned at the end.
  static let subsampleLimit = 50_000

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
        let total = centres.withUnsafeBufferPointer { cb in
          emz_kmeans_nearest(x, d, subset, subset.count, cb.baseAddress! + (c - 1) * d, &nearest)
        }
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
      /// Labels `subset`'s rows (every row when `subset` is nil) by their nearest centre.
      func assign(_ subset: [Int]?) -> Bool {
        emz_kmeans_assign(x, d, subset, subset?.count ?? n, centres, k, &labels) != 0
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
