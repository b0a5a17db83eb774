import CKernels
import Foundation
import Numerics
import Testing

@testable import EMZoo

/// Forward–backward entirely in log space (log-sum-exp at every step, no scaling at all): an
/// independent definition of log P, γ and Σξ to hold the scaled kernels against, for sequences
/// far too long to enumerate.
struct LogSpaceForwardBackward {
  var logLikelihood: Double
  var gamma: [Double]
  var xi: [Double]

  static func logSumExp(_ values: [Double]) -> Double {
    let top = values.max() ?? -.infinity
    guard top > -.infinity else { return -.infinity }
    return top + log(values.reduce(0) { $0 + exp($1 - top) })
  }

  init(T: Int, K: Int, logb: [Double], initial: [Double], transition: [Double]) {
    let logA = transition.map { log($0) }
    var logAlpha = [Double](repeating: 0, count: T * K), logBeta = [Double](repeating: 0, count: T * K)
    for k in 0..<K { logAlpha[k] = log(initial[k]) + logb[k] }
    for t in 1..<max(T, 1) {
      for j in 0..<K {
        logAlpha[t * K + j] = Self.logSumExp((0..<K).map { logAlpha[(t - 1) * K + $0] + logA[$0 * K + j] })
          + logb[t * K + j]
      }
    }
    for t in stride(from: T - 2, through: 0, by: -1) {
      for i in 0..<K {
        logBeta[t * K + i] = Self.logSumExp((0..<K).map {
          logA[i * K + $0] + logb[(t + 1) * K + $0] + logBeta[(t + 1) * K + $0]
        })
      }
    }
    let total = Self.logSumExp(Array(logAlpha[((T - 1) * K)..<(T * K)]))
    logLikelihood = total
    gamma = (0..<(T * K)).map { exp(logAlpha[$0] + logBeta[$0] - total) }
    xi = [Double](repeating: 0, count: K * K)
    for t in 0..<max(T - 1, 0) {
      for i in 0..<K {
        for j in 0..<K {
          xi[i * K + j] += exp(logAlpha[t * K + i] + logA[i * K + j] + logb[(t + 1) * K + j]
                               + logBeta[(t + 1) * K + j] - total)
        }
      }
    }
  }
}

/// The forward–backward kernel for every state count of its register path (K ≤ 8, where the
/// forward variables are rescaled by powers of two from the previous step's sum) and of the
/// general path (K > 8), against the log-space recursions.
@Suite struct ForwardBackwardStatesTests {
  /// Random sticky chain and log-densities: `spread` nats of noise per entry, and every 97th
  /// step 800 nats down in all states but one (a step that underflows exp without the row shift,
  /// and shrinks the forward variables of the likely states by e⁻⁸⁰⁰).
  func randomCase(seed: UInt64, T: Int, K: Int, spread: Double)
    -> (logb: [Double], initial: [Double], transition: [Double])
  {
    let random = RandomSource(seed: seed)
    let ones = [Double](repeating: 1, count: K)
    let initial = random.dirichlet(ones)
    var transition: [Double] = []
    for i in 0..<K {
      let row = random.dirichlet(ones)
      transition += (0..<K).map { 0.5 * row[$0] + ($0 == i ? 0.5 : 0) }
    }
    var logb = (0..<(T * K)).map { _ in -spread * random.uniform() }
    for t in stride(from: 96, to: T, by: 97) {
      for k in 1..<K { logb[t * K + k] -= 800 }
    }
    return (logb, initial, transition)
  }

  @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8, 9, 12])
  func matchesLogSpace(states K: Int) {
    for (seed, T, spread) in [(1 as UInt64, 1, 5.0), (2, 2, 5.0), (3, 7, 40.0), (4, 600, 3.0), (5, 600, 300.0)] {
      let (logb, initial, transition) = randomCase(seed: seed + UInt64(10 * K), T: T, K: K, spread: spread)
      let truth = LogSpaceForwardBackward(T: T, K: K, logb: logb, initial: initial, transition: transition)
      var buffer = logb
      var alpha = [Double](repeating: 0, count: T * K), scale = [Double](repeating: 0, count: T)
      var work = [Double](repeating: 0, count: 3 * K)
      var initialCounts = [Double](repeating: 1, count: K)
      var transitionCounts = [Double](repeating: 1, count: K * K)
      let value = emz_hmm_forward_backward(T, K, &buffer, initial, transition, &alpha, &scale, &work,
                                           &initialCounts, &transitionCounts)
      let label = "K=\(K) T=\(T) spread=\(spread)"
      // The reference works with log α and log β of order 10⁵ (600 steps of up to 300 nats),
      // so its own γ and ξ carry errors of ~10⁵ ε ≈ 10⁻¹¹ per term, summed over 600 steps:
      // 10⁻⁹ is its precision, not the kernel's (which agrees with the earlier kernel to 10⁻¹⁴).
      #expect(value.isApproximatelyEqual(to: truth.logLikelihood, relativeTolerance: 1e-12), "\(label)")
      let worstGamma = zip(buffer, truth.gamma).map { abs($0 - $1) }.max() ?? 0
      #expect(worstGamma < 1e-9, "\(label): γ off by \(worstGamma)")
      for k in 0..<K { #expect(abs(initialCounts[k] - 1 - truth.gamma[k]) < 1e-9, "\(label): γ₀[\(k)]") }
      for e in 0..<(K * K) {
        #expect(abs(transitionCounts[e] - 1 - truth.xi[e]) <= 1e-9 * max(1, truth.xi[e]),
                "\(label): Σξ[\(e / K)][\(e % K)] = \(transitionCounts[e] - 1), expected \(truth.xi[e])")
      }
    }
  }

  /// An impossible step in the middle (every state's density 0 after a possible start) is −∞
  /// from both entry points, and nothing is accumulated.
  @Test(arguments: [2, 8])
  func impossibleStep(states K: Int) {
    let T = 5
    var logb = [Double](repeating: -1, count: T * K)
    for k in 0..<K { logb[3 * K + k] = -.infinity }
    var densities = logb.map { exp($0) }
    let initial = [Double](repeating: 1 / Double(K), count: K)
    let transition = [Double](repeating: 1 / Double(K), count: K * K)
    var alpha = [Double](repeating: 0, count: T * K), scale = [Double](repeating: 0, count: T)
    var work = [Double](repeating: 0, count: 3 * K)
    var initialCounts = [Double](repeating: 0, count: K), transitionCounts = [Double](repeating: 0, count: K * K)
    #expect(emz_hmm_forward_backward(T, K, &logb, initial, transition, &alpha, &scale, &work,
                                     &initialCounts, &transitionCounts) == -.infinity)
    #expect(emz_hmm_forward_backward_densities(T, K, &densities, initial, transition, &alpha, &scale, &work,
                                               &initialCounts, &transitionCounts) == -.infinity)
    #expect(initialCounts.allSatisfy { $0 == 0 } && transitionCounts.allSatisfy { $0 == 0 })
  }
}
