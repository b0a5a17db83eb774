import CKernels
import Foundation
import Testing

@testable import EMZoo

/// The named statistics layouts (CKernels/include/layouts.h): each maker against the layout
/// written out by hand, and each kernel's output read through the names against sums
/// computed directly in Swift, on both the blocked (d, K ≤ 64) and the row-by-row paths.
@Suite struct StatisticsLayoutTests {
  // MARK: - The makers against the documented layouts

  @Test func makersGiveTheDocumentedOffsets() {
    let full = emz_gaussian_full_layout_make(3)  // [Σw | 3 | 9]
    #expect([full.count, full.sum, full.scatter, full.stride] as [Int] == [0, 1, 4, 13])
    let diag = emz_gaussian_diag_layout_make(3)  // [Σw | (n, s1, s2) × 3]
    #expect([diag.count, diag.observed, diag.sum, diag.square, diag.per_dimension, diag.stride] as [Int] == [0, 1, 2, 3, 3, 10])
    let independent = emz_independent_layout_make(3)  // [Σw | 3 | 3]
    #expect([independent.count, independent.observed, independent.sum, independent.stride] as [Int] == [0, 1, 4, 7])
    let categorical = emz_categorical_layout_make(5)  // [Σw | 5]
    #expect([categorical.count, categorical.symbols, categorical.stride] as [Int] == [0, 1, 6])
    let mixture = emz_mixture_layout_make(4, 7)
    #expect([mixture.weight, mixture.per_component, mixture.total] as [Int] == [0, 7, 28])
    let hmm = emz_hmm_layout_make(3, 5)  // [3 | 9 | 3 × 5]
    #expect([hmm.initial, hmm.transition, hmm.emission, hmm.per_state, hmm.total] as [Int] == [0, 3, 12, 5, 27])
    let residuals = emz_residual_sums_layout_make(4)  // [4 | 16]
    #expect([residuals.sum, residuals.squares, residuals.stride] as [Int] == [0, 4, 20])
  }

  @Test func modelsSizeTheirStatisticsByTheLayouts() {
    #expect(GaussianFamily(components: 2, dimension: 3, covariance: .full).statisticsPerComponent == 1 + 3 + 9)
    #expect(GaussianFamily(components: 2, dimension: 3, covariance: .tied).statisticsPerComponent == 1 + 3 + 9)
    #expect(GaussianFamily(components: 2, dimension: 3, covariance: .diagonal).statisticsPerComponent == 1 + 3 * 3)
    #expect(GaussianFamily(components: 2, dimension: 3, covariance: .spherical).statisticsPerComponent == 1 + 3 * 3)
    #expect(PoissonFamily(components: 2, dimension: 3).statisticsPerComponent == 1 + 2 * 3)
    #expect(BernoulliFamily(components: 2, dimension: 3).statisticsPerComponent == 1 + 2 * 3)
    #expect(CategoricalFamily(components: 2, symbols: 5).statisticsPerComponent == 1 + 5)
    let family = PoissonFamily(components: 4, dimension: 2)
    #expect(Mixture(family: family).statisticsCount == 4 * 5)
    #expect(HiddenMarkovModel(family: family).statisticsCount == 4 + 16 + 4 * 5)
  }

  // MARK: - The kernels write where the names say

  /// Rows × d data with one missing entry, and weights rows × K (all positive).
  static func data(rows n: Int, dimension d: Int, components K: Int, missing: Bool) -> ([Double], [Double]) {
    var x: [Double] = (0..<(n * d)).map { (e: Int) -> Double in Double((e * 7) % 5) + 0.25 * Double(e % 3) }
    if missing { x[d + d / 2] = Double.nan }  // row 1
    let w: [Double] = (0..<(n * K)).map { (e: Int) -> Double in 0.1 + Double((e * 3) % 7) / 10 }
    return (x, w)
  }

  @Test(arguments: [(2, 3), (65, 2)])  // (d, K): the blocked path, then the row-by-row one
  func diagonalGaussianStatistics(d: Int, K: Int) {
    let n = 5
    let (x, w) = Self.data(rows: n, dimension: d, components: K, missing: true)
    let centers = (0..<(K * d)).map { Double($0 % 4) * 0.5 }
    let layout = emz_gaussian_diag_layout_make(d)
    var stats = [Double](repeating: 0, count: K * layout.stride)
    emz_gaussian_accumulate_diag(x, n, d, K, w, centers, &stats)
    for k in 0..<K {
      let block = k * layout.stride
      #expect(close(stats[block + layout.count], (0..<n).reduce(0.0) { $0 + w[$1 * K + k] }))
      for j in 0..<d {
        var observed = 0.0, sum = 0.0, square = 0.0
        for i in 0..<n where !x[i * d + j].isNaN {
          let e = x[i * d + j] - centers[k * d + j], weight = w[i * K + k]
          observed += weight
          sum += weight * e
          square += weight * e * e
        }
        #expect(close(stats[block + layout.observed + layout.per_dimension * j], observed))
        #expect(close(stats[block + layout.sum + layout.per_dimension * j], sum))
        #expect(close(stats[block + layout.square + layout.per_dimension * j], square))
      }
    }
  }

  @Test(arguments: [(2, 3), (65, 1)])
  func fullGaussianStatistics(d: Int, K: Int) {
    let n = 4
    let (x, w) = Self.data(rows: n, dimension: d, components: K, missing: false)
    let centers = (0..<(K * d)).map { Double($0 % 3) - 1 }
    let layout = emz_gaussian_full_layout_make(d)
    var stats = [Double](repeating: 0, count: K * layout.stride)
    emz_gaussian_accumulate_full(x, n, d, K, w, centers, &stats)
    for k in 0..<K {
      let block = k * layout.stride
      #expect(close(stats[block + layout.count], (0..<n).reduce(0.0) { $0 + w[$1 * K + k] }))
      for j in 0..<d {
        var sum = 0.0
        for i in 0..<n { sum += w[i * K + k] * (x[i * d + j] - centers[k * d + j]) }
        #expect(close(stats[block + layout.sum + j], sum))
        for l in [0, j / 2, j] {  // a few entries of the lower triangle
          var scatter = 0.0
          for i in 0..<n {
            scatter += w[i * K + k] * (x[i * d + j] - centers[k * d + j]) * (x[i * d + l] - centers[k * d + l])
          }
          #expect(close(stats[block + layout.scatter + j * d + l], scatter))
        }
      }
    }
  }

  @Test(arguments: [(3, 2), (65, 1)])
  func independentStatistics(d: Int, K: Int) {
    let n = 6
    let (x, w) = Self.data(rows: n, dimension: d, components: K, missing: true)
    let layout = emz_independent_layout_make(d)
    var stats = [Double](repeating: 0, count: K * layout.stride)
    emz_independent_accumulate(x, n, d, K, w, &stats)
    for k in 0..<K {
      let block = k * layout.stride
      #expect(close(stats[block + layout.count], (0..<n).reduce(0.0) { $0 + w[$1 * K + k] }))
      for j in 0..<d {
        var observed = 0.0, sum = 0.0
        for i in 0..<n where !x[i * d + j].isNaN {
          observed += w[i * K + k]
          sum += w[i * K + k] * x[i * d + j]
        }
        #expect(close(stats[block + layout.observed + j], observed))
        #expect(close(stats[block + layout.sum + j], sum))
      }
    }
  }

  /// The fused Bernoulli/Poisson E step lays its statistics out like the separate kernel.
  @Test func fusedLinearExpectationUsesTheIndependentLayout() {
    let n = 70, d = 3, K = 2  // more than one block of 64 rows
    let x = (0..<(n * d)).map { Double(($0 * 5) % 3 == 0 ? 1 : 0) }
    let p = [0.2, 0.7, 0.5, 0.9, 0.3, 0.4]
    let a = p.map { log($0) - log1p(-$0) }, b = p.map { log1p(-$0) }
    let logWeights = [log(0.4), log(0.6)]
    let layout = emz_independent_layout_make(d)
    var stats = [Double](repeating: 0, count: K * layout.stride)
    _ = emz_mixture_estep_linear(x, n, d, K, a, b, logWeights, &stats)
    // Responsibilities by the formula, then the statistics by hand.
    var expected = [Double](repeating: 0, count: K * layout.stride)
    for i in 0..<n {
      let joint = (0..<K).map { k in
        exp(logWeights[k] + (0..<d).reduce(0.0) { $0 + a[k * d + $1] * x[i * d + $1] + b[k * d + $1] })
      }
      let total = joint.reduce(0, +)
      for k in 0..<K {
        let r = joint[k] / total, block = k * layout.stride
        expected[block + layout.count] += r
        for j in 0..<d {
          expected[block + layout.observed + j] += r
          expected[block + layout.sum + j] += r * x[i * d + j]
        }
      }
    }
    for e in 0..<expected.count { #expect(close(stats[e], expected[e], 1e-12)) }
  }

  @Test(arguments: [2, 2000])  // K·(M+1) small (vectorised path) and beyond the local table
  func categoricalStatistics(K: Int) {
    let n = 7, M = 3
    let x: [Double] = [0, 2, .nan, 1, 2, 2, 0]
    let w = (0..<(n * K)).map { 0.05 + Double(($0 * 3) % 7) / 10 }
    let layout = emz_categorical_layout_make(M)
    var stats = [Double](repeating: 0, count: K * layout.stride)
    emz_categorical_accumulate(x, n, K, M, w, &stats)
    for k in [0, K - 1] {
      let block = k * layout.stride
      #expect(close(stats[block + layout.count], (0..<n).reduce(0.0) { $0 + w[$1 * K + k] }))
      for m in 0..<M {
        let count = (0..<n).reduce(0.0) { x[$1] == Double(m) ? $0 + w[$1 * K + k] : $0 }
        #expect(close(stats[block + layout.symbols + m], count))
      }
    }
  }

  @Test func residualSumsUseTheirLayout() {
    // Two patterns: group 0 observes columns 0 and 2 (o = 2), group 1 column 1 (o = 1).
    let width = 3
    let x: [Double] = [1, .nan, 4, .nan, 5, .nan, 2, .nan, 7]
    let groupOfRow: [Int32] = [0, 1, 0]
    let columns: [Int32] = [0, 2, 1], means = [0.5, 3.0, 4.0]
    let coordinateStart: [Int32] = [0, 2], sizes: [Int32] = [2, 1]
    let first = emz_residual_sums_layout_make(2), second = emz_residual_sums_layout_make(1)
    let sumStart: [Int32] = [0, Int32(first.stride)]
    var counts = [0.0, 0.0], sums = [Double](repeating: 0, count: first.stride + second.stride)
    emz_pattern_residual_sums(x, 3, width, groupOfRow, columns, means, coordinateStart, sizes, sumStart, &counts, &sums)
    #expect(counts == [2, 1])
    // Group 0: residuals (0.5, 1) and (1.5, 4).
    #expect(sums[first.sum + 0] == 2 && sums[first.sum + 1] == 5)
    #expect(sums[first.squares + 0] == 0.25 + 2.25)  // (0, 0)
    #expect(sums[first.squares + 2] == 0.5 + 6)  // (1, 0)
    #expect(sums[first.squares + 3] == 1 + 16)  // (1, 1)
    // Group 1: residual 1.
    let base = Int(sumStart[1])
    #expect(sums[base + second.sum] == 1 && sums[base + second.squares] == 1)
  }

  private func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-13) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(b))
  }
}
