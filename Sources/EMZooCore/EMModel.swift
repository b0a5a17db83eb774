/// A statistical model whose parameters are estimated by expectation–maximization.
///
/// EM maximises the observed-data log-likelihood ℓ(θ) = log p(x | θ) through a lower bound:
/// for any distribution q over the hidden variables z, Jensen's inequality gives
///
///     ℓ(θ) ≥ E_q[log p(x, z | θ)] − E_q[log q(z)],
///
/// with equality when q(z) = p(z | x, θₜ). The E step takes that q at the current
/// parameters (so the bound touches ℓ at θₜ) and summarises it as expected sufficient
/// statistics; the M step maximises the bound over θ. Hence ℓ(θₜ₊₁) ≥ ℓ(θₜ): EM never
/// decreases the likelihood, and the engine checks that it does not. With a prior, the M step
/// maximises the bound plus log p(θ), and the same argument holds for the log-posterior.
///
/// A model kind supplies the statistics, the two steps, initialisation and sampling; the
/// engine (`EMEngine`) owns the loop, convergence, restarts, threads and the monotone guard.
///
/// Statistics are a flat `[Double]` of `statisticsCount` entries that *add* over rows: the
/// engine computes them for fixed chunks of rows in parallel (and on MPI ranks) and sums them
/// in a fixed order (`BlockGrid`), so the result does not depend on the number of threads or
/// processes.
///
/// [Dempster, Laird & Rubin 1977]: https://doi.org/10.1111/j.2517-6161.1977.tb01600.x
public protocol EMModel: Sendable {
  /// The full parameter set θ.
  associatedtype Parameters: Sendable
  /// Per-iteration precomputation from θ (Cholesky factors, logarithms, …).
  associatedtype Prepared: Sendable

  /// The number of entries of the additive sufficient statistics.
  var statisticsCount: Int { get }

  /// The row ranges the E step is split into. Chunks are independent units of work (a block
  /// of rows for a mixture, whole sequences for an HMM) and must not depend on the thread count.
  func chunks(of data: DataSet) -> [Range<Int>]

  /// The most rows one chunk of `chunks(of:)` can hold for data of `rows` rows whose longest
  /// sequence has `longestSequence` rows (for memory estimates before the data is split).
  func largestChunkRows(rows: Int, longestSequence: Int) -> Int

  /// Scratch doubles one worker needs for a chunk of at most `rows` rows.
  func scratchCount(rows: Int) -> Int

  /// The parameters' precomputation for the E step; throws when θ is unusable.
  func prepare(_ parameters: Parameters) throws -> Prepared

  /// E step over `rows`: adds the rows' expected sufficient statistics into `statistics`
  /// (zeroed by the caller) and returns the rows' log-likelihood (without the
  /// parameter-free constant of `constantLogLikelihood`).
  func expectation(rows: Range<Int>, of data: DataSet, given prepared: Prepared,
                   statistics: UnsafeMutableBufferPointer<Double>,
                   scratch: UnsafeMutableBufferPointer<Double>) -> Double

  /// M step: the parameters maximising the expected complete-data log-likelihood (plus the
  /// log-prior) given the summed statistics. `previous` supplies what the statistics were
  /// centred on. Returns any repair it made (a re-seeded component), which the engine
  /// reports and exempts from the monotone check.
  func maximization(_ statistics: [Double], previous: Parameters, prepared: Prepared,
                    data: DataSet) -> (Parameters, repair: String?)

  /// log p(θ) of the prior, 0 without one.
  func logPrior(_ parameters: Parameters) -> Double

  /// Whether the model has a prior (the objective is then the log-posterior).
  var hasPrior: Bool { get }

  /// A parameter-free term of the log-likelihood computed once per data set (−Σ log x! for
  /// counts); 0 by default.
  func constantLogLikelihood(of data: DataSet) -> Double

  /// The model tuned to a data set before fitting (e.g. reference values that keep sums
  /// accurate); called once per fit. The default is the model itself.
  func adapted(to data: DataSet) -> Self

  /// Starting parameters for one restart.
  func initialParameters(for data: DataSet, method: InitMethod, random: RandomSource) throws -> Parameters

  /// The number of free parameters (for AIC and BIC), for data of `dimension` columns.
  func parameterCount(dimension: Int) -> Int

  /// Whether θ is a degenerate maximum: a constraint that only keeps the likelihood finite is
  /// active (a covariance with an eigenvalue at the covariance floor — a component or state
  /// collapsed onto a few rows). Without the constraint such points have unbounded likelihood,
  /// so their objective says nothing about fit; the engine prefers any non-degenerate restart.
  /// False by default.
  func isDegenerate(_ parameters: Parameters) -> Bool

  // MARK: Parameter coordinates (optional)

  /// θ as a flat vector of unconstrained coordinates, or nil when the model has none (SQUAREM
  /// and standard errors are then unavailable).
  ///
  /// The map is one-to-one onto the parameter space: a simplex of K probabilities is K − 1
  /// log-ratios log(πₖ / π_K), a rate is log λ, a probability is logit p, a covariance is its
  /// log-Cholesky factor (log of the diagonal, the strict lower triangle as is), a mean as is.
  func coordinates(_ parameters: Parameters) -> [Double]?

  /// The parameters at `coordinates` (the inverse of `coordinates(_:)`); `like` supplies what
  /// the coordinates do not carry. Nil when the point is outside the parameter space
  /// (non-finite values, overflow).
  func parameters(fromCoordinates coordinates: [Double], like parameters: Parameters) -> Parameters?

  /// Which coordinates belong to which named parameter block (the spec's names), in order and
  /// covering every coordinate; empty without coordinates.
  func coordinateBlocks(_ parameters: Parameters) -> [CoordinateBlock]
}

/// A run of coordinates that parameterise one named parameter block.
public struct CoordinateBlock: Sendable, Equatable {
  /// How the block's values map to its coordinates.
  public enum Transform: Sendable, Equatable {
    /// The values as they are (means).
    case identity
    /// log of a positive value (rates).
    case log
    /// logit of a probability.
    case logit
    /// log-ratios of a simplex's entries to its last entry.
    case logRatio
    /// log-Cholesky factors of covariance matrices.
    case logCholesky
  }

  /// The spec's name of the block ("weights", "means", "transition", …).
  public var name: String
  public var range: Range<Int>
  public var transform: Transform

  public init(name: String, range: Range<Int>, transform: Transform) {
    self.name = name
    self.range = range
    self.transform = transform
  }

  /// Whether coordinate value `c` of this block puts its parameter at the edge of the parameter
  /// space (a probability or weight below about 1e-8 or above 1 − 1e-8, a rate below 1e-8),
  /// where the likelihood is not locally quadratic.
  public func isOnBoundary(_ c: Double) -> Bool {
    switch transform {
    case .identity, .logCholesky: return false
    case .log: return c < -18.4
    case .logit, .logRatio: return abs(c) > 18.4
    }
  }
}

extension EMModel {
  // MARK: - Default implementations

  public func constantLogLikelihood(of data: DataSet) -> Double { 0 }
  public func adapted(to data: DataSet) -> Self { self }
  public func logPrior(_ parameters: Parameters) -> Double { 0 }
  public var hasPrior: Bool { false }
  public func coordinates(_ parameters: Parameters) -> [Double]? { nil }
  public func parameters(fromCoordinates coordinates: [Double], like parameters: Parameters) -> Parameters? { nil }
  public func coordinateBlocks(_ parameters: Parameters) -> [CoordinateBlock] { [] }
  public func isDegenerate(_ parameters: Parameters) -> Bool { false }

  /// Fixed blocks of 2048 rows: small enough to keep a block's scratch in cache, large
  /// enough to amortise the scheduling.
  public func largestChunkRows(rows: Int, longestSequence: Int) -> Int { min(rows, 2048) }

  public func chunks(of data: DataSet) -> [Range<Int>] {
    stride(from: 0, to: data.rows, by: 2048).map { $0..<min($0 + 2048, data.rows) }
  }
}
