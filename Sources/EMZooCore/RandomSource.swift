internal import CKernels

/// A seeded stream of random numbers: GSL's MT19937 behind the `emz_rng_*` kernels.
///
/// One instance belongs to one thread at a time; every random choice emzoo makes comes
/// from a `RandomSource` created from an explicit seed, so runs repeat bit for bit.
public final class RandomSource {
  let rng: OpaquePointer

  public init(seed: UInt64) {
    guard let rng = emz_rng_create(seed) else { fatalError("out of memory creating a random number generator") }
    self.rng = rng
  }

  deinit { emz_rng_destroy(rng) }

  /// Uniform on [0, 1).
  public func uniform() -> Double { emz_rng_uniform(rng) }
  /// Uniform on 0..<n.
  public func integer(below n: Int) -> Int {
    precondition(n > 0)
    return Int(emz_rng_uniform_int(rng, UInt(n)))
  }
  /// Normal(0, sigma²).
  public func gaussian(sigma: Double = 1) -> Double { emz_rng_gaussian(rng, sigma) }
  public func poisson(_ mean: Double) -> Double { Double(emz_rng_poisson(rng, mean)) }
  public func bernoulli(_ p: Double) -> Double { Double(emz_rng_bernoulli(rng, p)) }
  public func gamma(shape: Double, scale: Double) -> Double { emz_rng_gamma(rng, shape, scale) }
  public func dirichlet(_ alpha: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: alpha.count)
    emz_rng_dirichlet(rng, alpha.count, alpha, &out)
    return out
  }
  /// mean + L z with z standard normal: a draw from N(mean, L Lᵀ).
  public func multivariateGaussian(mean: UnsafePointer<Double>, cholesky: UnsafePointer<Double>,
                                   dimension d: Int, into out: UnsafeMutablePointer<Double>) {
    let status = emz_rng_multivariate_gaussian(rng, d, mean, cholesky, out)
    precondition(status == 0, "GSL multivariate Gaussian sampler failed")
  }
}

/// Draws from a fixed categorical distribution (GSL's Walker alias table, built once).
public final class CategoricalSampler {
  let table: OpaquePointer

  /// `probabilities` need not be normalised but must be non-negative with a positive sum.
  public init(_ probabilities: [Double]) {
    guard let table = emz_discrete_create(probabilities.count, probabilities) else {
      fatalError("GSL could not build a discrete distribution table")
    }
    self.table = table
  }

  deinit { emz_discrete_destroy(table) }

  public func draw(using random: RandomSource) -> Int { emz_discrete_draw(random.rng, table) }
}
