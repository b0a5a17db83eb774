import CKernels
import Foundation
import Numerics
import Testing

@testable import EMZoo

/// The C kernels against the formulas evaluated directly in Swift.
@Suite struct KernelTests {
  @Test func fullGaussianLogDensityMatchesTheFormula() throws {
    // Σ = [[2, 0.6], [0.6, 1]], μ = (1, −1), x = (0.5, 0.25):
    // log N = −log 2π − ½ log|Σ| − ½ (x−μ)ᵀ Σ⁻¹ (x−μ), |Σ| = 1.64.
    let sigma = [2.0, 0.6, 0.6, 1.0], mu = [1.0, -1.0], x = [0.5, 0.25]
    let det = 2.0 * 1.0 - 0.6 * 0.6
    let inv = [1.0 / det, -0.6 / det, -0.6 / det, 2.0 / det]
    let e = [x[0] - mu[0], x[1] - mu[1]]
    let q = e[0] * (inv[0] * e[0] + inv[1] * e[1]) + e[1] * (inv[2] * e[0] + inv[3] * e[1])
    let expected = -log(2 * Double.pi) - 0.5 * log(det) - 0.5 * q
    let family = GaussianFamily(components: 1, dimension: 2, covariance: .full)
    let prepared = try family.prepare(.init(means: mu, covariances: sigma))
    var out = [0.0]
    family.logDensities(x, rows: 1, prepared: prepared, into: &out)
    #expect(out[0].isApproximatelyEqual(to: expected, relativeTolerance: 1e-14))
  }

  @Test func diagonalGaussianSkipsMissingEntries() throws {
    let family = GaussianFamily(components: 1, dimension: 2, covariance: .diagonal)
    let prepared = try family.prepare(.init(means: [0, 3], covariances: [4, 0, 0, 0.25]))
    var out = [0.0, 0.0]
    family.logDensities([1.0, 2.5, .nan, 2.5], rows: 2, prepared: prepared, into: &out)
    func normal(_ x: Double, _ m: Double, _ v: Double) -> Double { -0.5 * log(2 * .pi * v) - (x - m) * (x - m) / (2 * v) }
    #expect(out[0].isApproximatelyEqual(to: normal(1, 0, 4) + normal(2.5, 3, 0.25), relativeTolerance: 1e-14))
    #expect(out[1].isApproximatelyEqual(to: normal(2.5, 3, 0.25), relativeTolerance: 1e-14))
  }

  @Test func poissonAndBernoulliLogProbabilities() throws {
    let poisson = PoissonFamily(components: 1, dimension: 2)
    var out = [0.0]
    poisson.logDensities([3, 0], rows: 1, prepared: try poisson.prepare(.init(rates: [2.5, 0.5])), into: &out)
    // log Pois(3 | 2.5) + log Pois(0 | 0.5) with the −log x! term added by the constant.
    let constant = poisson.constantLogLikelihood(of: DataSet(source: "t", columns: ["a", "b"], values: [3, 0]))
    let expected = (3 * log(2.5) - 2.5 - log(6.0)) + (-0.5)
    #expect((out[0] + constant).isApproximatelyEqual(to: expected, relativeTolerance: 1e-14))
    #expect(emz_lnfact(170).isApproximatelyEqual(to: lgamma(171.0), relativeTolerance: 1e-14))

    let bernoulli = BernoulliFamily(components: 1, dimension: 3)
    bernoulli.logDensities([1, 0, .nan], rows: 1, prepared: try bernoulli.prepare(.init(probabilities: [0.8, 0.3, 0.5])), into: &out)
    #expect(out[0].isApproximatelyEqual(to: log(0.8) + log(0.7), relativeTolerance: 1e-14))
  }

  @Test func normalizeRowsIsLogSumExp() {
    var a = [-1000.0, -1001.0, 0.5, 0.25]
    let total = emz_normalize_rows(&a, 2, 2, [log(0.3), log(0.7)])
    let l0 = log(0.3 * exp(-1000.0 + 1000) + 0.7 * exp(-1001.0 + 1000)) - 1000
    let l1 = log(0.3 * exp(0.5) + 0.7 * exp(0.25))
    #expect(total.isApproximatelyEqual(to: l0 + l1, relativeTolerance: 1e-14))
    #expect((a[0] + a[1]).isApproximatelyEqual(to: 1, relativeTolerance: 1e-15))
    #expect(a[0].isApproximatelyEqual(to: 0.3 / (0.3 + 0.7 * exp(-1)), relativeTolerance: 1e-13))
  }

  @Test func choleskyRejectsIndefiniteMatrices() {
    var good = [4.0, 2, 2, 3]
    #expect(emz_cholesky(2, &good) == 0)
    #expect(good[0] == 2 && good[1] == 0 && good[2] == 1 && good[3].isApproximatelyEqual(to: 2.0.squareRoot()))
    var bad = [1.0, 2, 2, 1]
    #expect(emz_cholesky(2, &bad) != 0)
  }

  @Test func weightedStatisticsAreCentred() {
    // Two rows, one component, weights 1 and 3, centre (1, 1).
    var stats = [Double](repeating: 0, count: 1 + 2 + 4)
    emz_gaussian_accumulate_full([2, 3, 0, 1], 2, 2, 1, [1, 3], [1, 1], &stats)
    #expect(stats[0] == 4)
    #expect(stats[1] == 1 * 1 + 3 * -1 && stats[2] == 1 * 2 + 3 * 0)
    // Lower triangle of Σ w (x−c)(x−c)ᵀ: [0][0] = 1 + 3, [1][0] = 2 + 0, [1][1] = 4 + 0.
    #expect(stats[3] == 4 && stats[5] == 2 && stats[6] == 4)
  }

  @Test func seededGeneratorsRepeat() {
    let a = RandomSource(seed: 42), b = RandomSource(seed: 42), c = RandomSource(seed: 43)
    let xs = (0..<5).map { _ in a.gaussian() }
    #expect(xs == (0..<5).map { _ in b.gaussian() })
    #expect(xs != (0..<5).map { _ in c.gaussian() })
  }
}
