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
/// engine computes them for fixed chunks of rows in parallel and sums the chunks in order,
/// so the result does not depend on the number of threads.
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
}

extension EMModel {
  // MARK: - Default implementations

  public func constantLogLikelihood(of data: DataSet) -> Double { 0 }
  public func adapted(to data: DataSet) -> Self { self }
  public func logPrior(_ parameters: Parameters) -> Double { 0 }
  public var hasPrior: Bool { false }

  /// Fixed blocks of 2048 rows: small enough to keep a block's scratch in cache, large
  /// enough to amortise the scheduling.
  public func largestChunkRows(rows: Int, longestSequence: Int) -> Int { min(rows, 2048) }

  public func chunks(of data: DataSet) -> [Range<Int>] {
    stride(from: 0, to: data.rows, by: 2048).map { $0..<min($0 + 2048, data.rows) }
  }
}
