import Foundation
import Testing
import EMZooCore
@testable import EMZooModels

/// The k-means passes in C (CKernels/kmeans.c) against the plain Swift loops they replaced:
/// the same distances bit for bit, hence the same labels, with and without missing entries,
/// for centre counts below, at and above the 8-centre tile, and on a subsample.
@Suite struct KMeansTests {
  /// The reference: k-means++ seeding and Lloyd iterations written as scalar Swift loops.
  static func reference(_ data: DataSet, k: Int, random: RandomSource, lloydIterations: Int,
                        plusPlus: Bool = true) -> [Int] {
    let n = data.rows, d = data.dimension, x = data.values
    var subset = Array(0..<n)
    if n > KMeans.subsampleLimit {
      for i in 0..<KMeans.subsampleLimit {
        let j = i + random.integer(below: n - i)
        subset.swapAt(i, j)
      }
      subset = Array(subset[..<KMeans.subsampleLimit]).sorted()
    }
    func distance(_ i: Int, _ c: [Double], _ ci: Int) -> Double {
      var s = 0.0
      for j in 0..<d {
        let e = x[i * d + j] - c[ci * d + j]
        if e == e { s += e * e }
      }
      return s
    }
    var centres = [Double](repeating: 0, count: k * d)
    func setCentre(_ c: Int, _ i: Int) { for j in 0..<d { centres[c * d + j] = x[i * d + j].isNaN ? 0 : x[i * d + j] } }
    setCentre(0, subset[random.integer(below: subset.count)])
    var nearest = [Double](repeating: .infinity, count: subset.count)
    for c in 1..<max(k, 1) {
      var total = 0.0
      for (s, i) in subset.enumerated() {
        nearest[s] = min(nearest[s], distance(i, centres, c - 1))
        total += nearest[s]
      }
      var pick = -1
      if plusPlus, total > 0 {
        var u = random.uniform() * total
        for s in subset.indices where nearest[s] > 0 {
          u -= nearest[s]
          pick = s
          if u <= 0 { break }
        }
      } else {
        let candidates = subset.indices.filter { nearest[$0] > 0 }
        if !candidates.isEmpty { pick = candidates[random.integer(below: candidates.count)] }
      }
      if pick < 0 { pick = random.integer(below: subset.count) }
      setCentre(c, subset[pick])
    }
    var labels = [Int](repeating: 0, count: n)
    func assign(_ rows: [Int]) -> Bool {
      var changed = false
      for i in rows {
        var best = (0, Double.infinity)
        for c in 0..<k where distance(i, centres, c) < best.1 { best = (c, distance(i, centres, c)) }
        if labels[i] != best.0 { changed = true; labels[i] = best.0 }
      }
      return changed
    }
    _ = assign(subset)
    for _ in 0..<lloydIterations {
      var sums = [Double](repeating: 0, count: k * d), counts = sums
      for i in subset {
        for j in 0..<d where !x[i * d + j].isNaN {
          sums[labels[i] * d + j] += x[i * d + j]
          counts[labels[i] * d + j] += 1
        }
      }
      for e in 0..<(k * d) where counts[e] > 0 { centres[e] = sums[e] / counts[e] }
      if !assign(subset) { break }
    }
    if subset.count < n { _ = assign(Array(0..<n)) }
    return labels
  }

  static func data(rows: Int, dimension: Int, missing: Double, seed: UInt64) -> DataSet {
    let random = RandomSource(seed: seed)
    let values = (0..<(rows * dimension)).map { e -> Double in
      if random.uniform() < missing { return .nan }
      return Double(e % 5) + random.gaussian() * (1 + Double(e % dimension))
    }
    return DataSet(source: "kmeans", columns: (0..<dimension).map { "x\($0)" }, values: values)
  }

  @Test(arguments: [(1, 3, 0.0), (5, 3, 0.0), (8, 8, 0.0), (11, 5, 0.1), (17, 2, 0.3), (3, 70, 0.05)])
  func theCPassesGiveTheScalarLabels(k: Int, dimension: Int, missing: Double) {
    // 3003 rows: the C passes take 4 and 8 rows side by side, and the last few alone.
    let data = Self.data(rows: 3003, dimension: dimension, missing: missing, seed: UInt64(k * 100 + dimension))
    for (iterations, plusPlus) in [(20, true), (0, false)] {
      // (The reference leaves out the repair of an empty cluster, which 3003 spread rows and at
      // most 17 centres never need.)
      let fast = KMeans.cluster(data, k: k, random: RandomSource(seed: 3), lloydIterations: iterations, plusPlus: plusPlus)
      let slow = Self.reference(data, k: k, random: RandomSource(seed: 3), lloydIterations: iterations, plusPlus: plusPlus)
      #expect(fast == slow, "k = \(k), d = \(dimension), missing \(missing), Lloyd \(iterations)")
    }
  }

  /// The labelling and distance passes split the rows among the fit's threads
  /// (`FitOptions.preparationThreads`, slices of at least `rowsPerSlice` rows): the labels of
  /// the scalar passes for every number of slices, including a slice boundary inside the C
  /// passes' groups of 4 rows.
  @Test(arguments: [1, 2, 3, 5])
  func slicedPassesGiveTheScalarLabels(threads: Int) {
    let data = Self.data(rows: 3 * KMeans.rowsPerSlice + 13, dimension: 5, missing: 0.05, seed: 31)
    #expect(FitOptions.$preparationThreads.withValue(threads) { KMeans.slices(rows: data.rows) } == min(threads, 3))
    let slow = Self.reference(data, k: 6, random: RandomSource(seed: 8), lloydIterations: 10, plusPlus: true)
    let fast = FitOptions.$preparationThreads.withValue(threads) {
      KMeans.cluster(data, k: 6, random: RandomSource(seed: 8), lloydIterations: 10)
    }
    #expect(fast == slow)
  }

  /// Lloyd on a subsample, then every row labelled (the passes without a subset), on 1–3 threads.
  @Test(arguments: [1, 2, 3])
  func aSubsampleOfLargeDataGivesTheScalarLabels(threads: Int) {
    let data = Self.data(rows: KMeans.subsampleLimit + 7003, dimension: 3, missing: 0.02, seed: 9)
    let fast = FitOptions.$preparationThreads.withValue(threads) {
      KMeans.cluster(data, k: 4, random: RandomSource(seed: 5), lloydIterations: 5)
    }
    let slow = Self.reference(data, k: 4, random: RandomSource(seed: 5), lloydIterations: 5)
    #expect(fast == slow)
  }

  /// Lloyd goes on while a label changes in any slice: here the first slice's rows sit on the
  /// two clusters and never change, and only the second slice's rows, spread between them, do.
  @Test func aChangeInALaterSliceKeepsLloydGoing() {
    // (Lloyd moves the boundary along the second slice's rows for 5–8 passes from most starts.)
    let half = KMeans.rowsPerSlice
    let values = (0..<half).map { Double($0 % 2) * 100 }
      + (0..<half).map { i -> Double in let u = Double(i) / Double(half); return 100 * u * u }
    let data = DataSet(source: "kmeans", columns: ["x"], values: values)
    for seed in UInt64(1)...8 {
      let fast = FitOptions.$preparationThreads.withValue(2) {
        KMeans.cluster(data, k: 2, random: RandomSource(seed: seed), lloydIterations: 20)
      }
      let slow = Self.reference(data, k: 2, random: RandomSource(seed: seed), lloydIterations: 20)
      #expect(fast == slow, "seed \(seed)")
    }
  }
}
