import CKernels
import Foundation
import Numerics
import Testing

@testable import EMZoo

/// The fused kernels of issue #14's second round against independent computations: the HMM
/// E step with Gaussian emissions inside the forward–backward (`emz_hmm_estep_gaussian_full`)
/// against log-space recursions on log-densities from the textbook formula, and the mixture
/// E step's eight-lane responsibilities (`emz_mixture_estep_linear`, full blocks) against a
/// row-by-row log-sum-exp with libm's exp and log.
@Suite struct FusedKernelTests {
  /// A random HMM with K states and d-dimensional Gaussian emissions, given as lower-triangular
  /// inverse Cholesky factors M_k (Σ_k⁻¹ = M_kᵀ M_k), and T rows drawn near the means; every
  /// 37th row is an outlier (±40/√d on every coordinate), which puts all states hundreds of
  /// nats below the largest normalising constant (the kernel's exact-maximum path) while the
  /// log-space reference's own rounding (relative to log α ~ 10⁴ here) stays below 10⁻¹⁰.
  func randomCase(seed: UInt64, T: Int, d: Int, K: Int)
    -> (x: [Double], means: [Double], inverseCholesky: [Double], initial: [Double], transition: [Double])
  {
    let random = RandomSource(seed: seed)
    let ones = [Double](repeating: 1, count: K)
    var means: [Double] = [], factors = [Double](repeating: 0, count: K * d * d)
    for k in 0..<K {
      means += (0..<d).map { _ in 3 * random.gaussian() }
      for j in 0..<d {
        for l in 0..<j { factors[k * d * d + j * d + l] = 0.4 * random.gaussian() }
        factors[k * d * d + j * d + j] = 0.5 + 2 * random.uniform()
      }
    }
    var transition: [Double] = []
    for i in 0..<K {
      let row = random.dirichlet(ones)
      transition += (0..<K).map { 0.3 * row[$0] + ($0 == i ? 0.7 : 0) }
    }
    var x: [Double] = []
    var state = random.integer(below: K)
    for t in 0..<T {
      if random.uniform() < 0.1 { state = random.integer(below: K) }
      let outlier = t % 37 == 36 ? (t % 2 == 0 ? 40 : -40) / Double(d).squareRoot() : 0
      x += (0..<d).map { means[state * d + $0] + random.gaussian() + outlier }
    }
    return (x, means, factors, random.dirichlet(ones), transition)
  }

  /// log N(x | μ_k, Σ_k) = Σ_j log M_jj − d/2 log 2π − ½ ‖M (x − μ)‖², written out here.
  func logDensities(_ x: [Double], T: Int, d: Int, K: Int, means: [Double], factors: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: T * K)
    for t in 0..<T {
      for k in 0..<K {
        var norm = 0.0, logDeterminant = 0.0
        for j in 0..<d {
          var z = 0.0
          for l in 0...j { z += factors[k * d * d + j * d + l] * (x[t * d + l] - means[k * d + l]) }
          norm += z * z
          logDeterminant += log(factors[k * d * d + j * d + j])
        }
        out[t * K + k] = logDeterminant - 0.5 * Double(d) * log(2 * Double.pi) - 0.5 * norm
      }
    }
    return out
  }

  @Test(arguments: [(1, 1), (1, 3), (2, 1), (2, 4), (3, 2), (4, 8), (5, 5), (6, 3), (7, 7), (8, 4), (8, 8)])
  func hmmGaussianMatchesLogSpace(states K: Int, dimension d: Int) {
    for (seed, T) in [(1 as UInt64, 1), (2, 2), (3, 40), (4, 500)] {
      let c = randomCase(seed: seed + UInt64(100 * K + d), T: T, d: d, K: K)
      let logb = logDensities(c.x, T: T, d: d, K: K, means: c.means, factors: c.inverseCholesky)
      let truth = LogSpaceForwardBackward(T: T, K: K, logb: logb, initial: c.initial, transition: c.transition)
      let logConstants = (0..<K).map { k in
        (0..<d).reduce(-0.5 * Double(d) * log(2 * Double.pi)) { $0 + log(c.inverseCholesky[k * d * d + $1 * d + $1]) }
      }
      var b = [Double](repeating: 0, count: 8 * T), alpha = b, scale = [Double](repeating: 0, count: T)
      var initialCounts = [Double](repeating: 1, count: K), transitionCounts = [Double](repeating: 1, count: K * K)
      let stride = 1 + d + d * d
      var stats = [Double](repeating: 0, count: K * stride)
      let value = emz_hmm_estep_gaussian_full(
        T, d, K, c.x, c.means, c.inverseCholesky, logConstants, c.initial, c.transition, &b, &alpha, &scale,
        &initialCounts, &transitionCounts, &stats)
      let label = "K=\(K) d=\(d) T=\(T)"
      #expect(value.isApproximatelyEqual(to: truth.logLikelihood, relativeTolerance: 1e-12), "\(label)")
      for k in 0..<K { #expect(abs(initialCounts[k] - 1 - truth.gamma[k]) < 1e-9, "\(label): γ₀[\(k)]") }
      for e in 0..<(K * K) {
        #expect(abs(transitionCounts[e] - 1 - truth.xi[e]) <= 1e-9 * max(1, truth.xi[e]), "\(label): Σξ[\(e)]")
      }
      // Σγ, Σγ(x − μ) and Σγ(x − μ)(x − μ)ᵀ (lower triangle) from the reference's γ.
      for k in 0..<K {
        var expected = [Double](repeating: 0, count: stride)
        for t in 0..<T {
          let g = truth.gamma[t * K + k]
          expected[0] += g
          for j in 0..<d {
            let ej = c.x[t * d + j] - c.means[k * d + j]
            expected[1 + j] += g * ej
            for l in 0...j { expected[1 + d + j * d + l] += g * ej * (c.x[t * d + l] - c.means[k * d + l]) }
          }
        }
        let scaleOfSums = expected.map(abs).max() ?? 1
        for e in 0..<stride where !(e >= 1 + d && (e - 1 - d) % d > (e - 1 - d) / d) {
          #expect(abs(stats[k * stride + e] - expected[e]) <= 1e-9 * max(1, scaleOfSums),
                  "\(label): statistic \(e) of state \(k): \(stats[k * stride + e]) vs \(expected[e])")
        }
      }
    }
  }

  /// The fused kernel and the separate one (densities, forward–backward, accumulation) differ
  /// only in rounding.
  @Test func hmmGaussianMatchesTheSeparateKernels() {
    let (T, d, K) = (3000, 4, 8)
    let c = randomCase(seed: 9, T: T, d: d, K: K)
    let logConstants = (0..<K).map { k in
      (0..<d).reduce(-0.5 * Double(d) * log(2 * Double.pi)) { $0 + log(c.inverseCholesky[k * d * d + $1 * d + $1]) }
    }
    let stride = 1 + d + d * d
    var logb = [Double](repeating: 0, count: T * K), alpha = [Double](repeating: 0, count: 8 * T)
    var scale = [Double](repeating: 0, count: T), work = [Double](repeating: 0, count: 3 * K)
    var init1 = [Double](repeating: 0, count: K), trans1 = [Double](repeating: 0, count: K * K)
    var stats1 = [Double](repeating: 0, count: K * stride)
    emz_gaussian_logpdf_full(c.x, T, d, K, c.means, c.inverseCholesky, logConstants, &logb)
    let separate = emz_hmm_forward_backward(T, K, &logb, c.initial, c.transition, &alpha, &scale, &work, &init1, &trans1)
    emz_gaussian_accumulate_full(c.x, T, d, K, logb, c.means, &stats1)
    var b = [Double](repeating: 0, count: 8 * T)
    var init2 = [Double](repeating: 0, count: K), trans2 = [Double](repeating: 0, count: K * K)
    var stats2 = [Double](repeating: 0, count: K * stride)
    let fused = emz_hmm_estep_gaussian_full(T, d, K, c.x, c.means, c.inverseCholesky, logConstants, c.initial,
                                            c.transition, &b, &alpha, &scale, &init2, &trans2, &stats2)
    #expect(fused.isApproximatelyEqual(to: separate, relativeTolerance: 1e-14))
    for (u, v) in zip(init1 + trans1, init2 + trans2) { #expect(abs(u - v) <= 1e-12 * max(1, abs(u))) }
    let scaleOfSums = stats1.map(abs).max() ?? 1
    for (u, v) in zip(stats1, stats2) { #expect(abs(u - v) <= 1e-12 * scaleOfSums) }
  }

  /// A step no state can reach is −∞ with nothing accumulated; NaN parameters give NaN; shapes
  /// beyond K = 8 or d = 8 are refused (NaN, nothing touched).
  @Test func hmmGaussianEdgeCases() {
    let (T, d, K) = (6, 2, 3)
    let c = randomCase(seed: 4, T: T, d: d, K: K)
    let logConstants = [Double](repeating: -2, count: K)
    var b = [Double](repeating: 0, count: 8 * T), alpha = b, scale = [Double](repeating: 0, count: T)
    var initialCounts = [Double](repeating: 0, count: K), transitionCounts = [Double](repeating: 0, count: K * K)
    var stats = [Double](repeating: 0, count: K * (1 + d + d * d))
    // Row 3 lies 10²⁰⁰ away: its density underflows to 0 in every state (log-density −∞).
    var x = c.x
    x[3 * d] = 1e200
    #expect(emz_hmm_estep_gaussian_full(T, d, K, x, c.means, c.inverseCholesky, logConstants, c.initial,
                                        c.transition, &b, &alpha, &scale, &initialCounts, &transitionCounts,
                                        &stats) == -.infinity)
    #expect(emz_hmm_estep_gaussian_full(4, d, K, x, c.means, c.inverseCholesky, logConstants, c.initial,
                                        c.transition, &b, &alpha, &scale, &initialCounts, &transitionCounts,
                                        &stats) == -.infinity)
    #expect((initialCounts + transitionCounts + stats).allSatisfy { $0 == 0 })
    var means = c.means
    means[1] = .nan
    #expect(emz_hmm_estep_gaussian_full(T, d, K, c.x, means, c.inverseCholesky, logConstants, c.initial,
                                        c.transition, &b, &alpha, &scale, &initialCounts, &transitionCounts,
                                        &stats).isNaN)
    #expect((initialCounts + transitionCounts + stats).allSatisfy { $0 == 0 })
    #expect(emz_hmm_estep_gaussian_full(T, 9, K, c.x, c.means, c.inverseCholesky, logConstants, c.initial,
                                        c.transition, &b, &alpha, &scale, &initialCounts, &transitionCounts,
                                        &stats).isNaN)
    #expect(emz_hmm_estep_gaussian_full(0, d, K, c.x, c.means, c.inverseCholesky, logConstants, c.initial,
                                        c.transition, &b, &alpha, &scale, &initialCounts, &transitionCounts,
                                        &stats) == 0)
  }

  /// Responsibilities of full 64-row blocks (eight-lane exps and logs) and of the partial last
  /// block, against Σᵢ log Σₖ exp(log wₖ + aₖ·xᵢ + bₖ) and its weighted sums with libm; a
  /// component of weight 0, and rows whose terms span 800 nats (exp's floor at −700).
  /// Block 2 has a missing entry (the general path); K·d = 75 takes the per-block sums.
  @Test(arguments: [1, 3, 8, 11, 25])
  func linearMixtureMatchesLogSumExp(components K: Int) {
    let random = RandomSource(seed: UInt64(K))
    let (n, d) = (64 * 4 + 17, 3)
    var x = (0..<(n * d)).map { _ in Double(random.integer(below: 30)) }
    x[(2 * 64 + 5) * d + 1] = .nan
    let a = (0..<(K * d)).map { _ in 4 * random.gaussian() }
    let b = (0..<(K * d)).map { _ in -20 * random.uniform() }
    var logWeights = random.dirichlet([Double](repeating: 1, count: K)).map { log($0) }
    if K > 2 { logWeights[1] = -.infinity }
    let stride = 1 + 2 * d
    var stats = [Double](repeating: 0, count: K * stride)
    let value = emz_mixture_estep_linear(x, n, d, K, a, b, logWeights, &stats)
    var expected = [Double](repeating: 0, count: K * stride), total = 0.0
    for i in 0..<n {
      let seen = (0..<d).filter { !x[i * d + $0].isNaN }
      let terms = (0..<K).map { k in seen.reduce(logWeights[k]) { $0 + a[k * d + $1] * x[i * d + $1] + b[k * d + $1] } }
      let top = terms.max() ?? 0
      let logSum = top + log(terms.reduce(0) { $0 + exp($1 - top) })
      total += logSum
      for k in 0..<K {
        let r = exp(terms[k] - logSum)
        expected[k * stride] += r
        for j in seen {
          expected[k * stride + 1 + j] += r
          expected[k * stride + 1 + d + j] += r * x[i * d + j]
        }
      }
    }
    #expect(value.isApproximatelyEqual(to: total, relativeTolerance: 1e-13))
    for e in 0..<(K * stride) {
      #expect(abs(stats[e] - expected[e]) <= 1e-12 * max(1, abs(expected[e])), "K=\(K) statistic \(e)")
    }
  }
  /// The full-covariance mixture E step (8-row register blocks for d ≤ 8, chunk-long lane sums
  /// when K·(1 + d + d²) ≤ 640) against the textbook log-densities, a log-sum-exp with libm,
  /// and Σr, Σr(x − μ), Σr(x − μ)(x − μ)ᵀ summed row by row.
  @Test(arguments: [(3, 2), (8, 8), (2, 9), (11, 7)])
  func fullMixtureMatchesLogSumExp(components K: Int, dimension d: Int) {
    let n = 64 * 3 + 9
    let c = randomCase(seed: UInt64(10 * K + d), T: n, d: d, K: K)
    let logb = logDensities(c.x, T: n, d: d, K: K, means: c.means, factors: c.inverseCholesky)
    let logConstants = (0..<K).map { k in
      (0..<d).reduce(-0.5 * Double(d) * log(2 * Double.pi)) { $0 + log(c.inverseCholesky[k * d * d + $1 * d + $1]) }
    }
    let logWeights = c.initial.map { log($0) }
    let stride = 1 + d + d * d
    var stats = [Double](repeating: 0, count: K * stride)
    let value = emz_mixture_estep_full(c.x, n, d, K, c.means, c.inverseCholesky, logConstants, logWeights, &stats)
    var expected = [Double](repeating: 0, count: K * stride), total = 0.0
    for i in 0..<n {
      let terms = (0..<K).map { logWeights[$0] + logb[i * K + $0] }
      let top = terms.max() ?? 0
      let logSum = top + log(terms.reduce(0) { $0 + exp($1 - top) })
      total += logSum
      for k in 0..<K {
        let r = exp(terms[k] - logSum)
        expected[k * stride] += r
        for j in 0..<d {
          let ej = c.x[i * d + j] - c.means[k * d + j]
          expected[k * stride + 1 + j] += r * ej
          for l in 0...j { expected[k * stride + 1 + d + j * d + l] += r * ej * (c.x[i * d + l] - c.means[k * d + l]) }
        }
      }
    }
    #expect(value.isApproximatelyEqual(to: total, relativeTolerance: 1e-12), "K=\(K) d=\(d)")
    let scaleOfSums = expected.map(abs).max() ?? 1
    for e in 0..<(K * stride) {
      #expect(abs(stats[e] - expected[e]) <= 1e-12 * max(1, scaleOfSums), "K=\(K) d=\(d) statistic \(e)")
    }
  }
  /// The diagonal-covariance mixture E step (chunk-long lane sums for complete full blocks,
  /// per-block sums for the block with a missing entry and the partial last block) against
  /// Σ_j ½ log(p/2π) − ½ p (x − μ)² over observed entries and a row-by-row log-sum-exp.
  @Test(arguments: [(3, 2), (8, 8), (30, 8)])
  func diagonalMixtureMatchesLogSumExp(components K: Int, dimension d: Int) {
    let n = 64 * 4 + 9
    let random = RandomSource(seed: UInt64(K * 31 + d))
    let means = (0..<(K * d)).map { _ in 3 * random.gaussian() }
    let precisions = (0..<(K * d)).map { _ in 0.2 + 2 * random.uniform() }
    let halfLog = precisions.map { 0.5 * log($0 / (2 * Double.pi)) }
    var x = (0..<(n * d)).map { _ in 4 * random.gaussian() }
    x[(64 + 3) * d + d - 1] = .nan
    let logWeights = random.dirichlet([Double](repeating: 1, count: K)).map { log($0) }
    let stride = 1 + 3 * d
    var stats = [Double](repeating: 0, count: K * stride)
    let value = emz_mixture_estep_diag(x, n, d, K, means, precisions, halfLog, logWeights, &stats)
    var expected = [Double](repeating: 0, count: K * stride), total = 0.0
    for i in 0..<n {
      let seen = (0..<d).filter { !x[i * d + $0].isNaN }
      let terms = (0..<K).map { k in
        seen.reduce(logWeights[k]) { acc, j in
          let e = x[i * d + j] - means[k * d + j]
          return acc + halfLog[k * d + j] - 0.5 * precisions[k * d + j] * e * e
        }
      }
      let top = terms.max() ?? 0
      let logSum = top + log(terms.reduce(0) { $0 + exp($1 - top) })
      total += logSum
      for k in 0..<K {
        let r = exp(terms[k] - logSum)
        expected[k * stride] += r
        for j in seen {
          let e = x[i * d + j] - means[k * d + j]
          expected[k * stride + 1 + 3 * j] += r
          expected[k * stride + 2 + 3 * j] += r * e
          expected[k * stride + 3 + 3 * j] += r * e * e
        }
      }
    }
    #expect(value.isApproximatelyEqual(to: total, relativeTolerance: 1e-12), "K=\(K) d=\(d)")
    let scaleOfSums = expected.map(abs).max() ?? 1
    for e in 0..<(K * stride) {
      #expect(abs(stats[e] - expected[e]) <= 1e-12 * max(1, scaleOfSums), "K=\(K) d=\(d) statistic \(e)")
    }
  }
}
