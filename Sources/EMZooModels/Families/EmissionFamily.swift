public import EMZooCore

/// The per-component distribution of a mixture, or the per-state emission of an HMM.
///
/// A family needs four verbs (pomegranate's distributions are the model):
///
/// - `logDensities`: log f(xᵢ | θₖ) of a block of rows under each of the K components;
/// - `accumulate`: responsibility-weighted sufficient statistics of a block of rows;
/// - `maximize`: the M step, parameters from summed statistics;
/// - `sample`: one draw from a component.
///
/// and a little bookkeeping (K, d, the statistics' size, the parameter count, a valid
/// starting point and a repair that moves a component onto a row). Mixtures and hidden
/// Markov models share families, so a Poisson HMM and a Poisson mixture run the same kernels,
/// and a family written outside emzoo works in both.
///
/// Statistics of one component are `statisticsPerComponent` doubles that *add* over rows;
/// entry 0 of each block is the component's total weight Σᵢ wᵢₖ.
///
/// Faster paths are separate, optional protocols: `FusedMixtureExpectation` (a whole mixture
/// E step per block in one kernel), `ScaledEmissionDensities` (densities without logs, for
/// the HMM's forward–backward) and `FusedForwardBackward` (the HMM's whole E step with the
/// emissions inside the recursions). Families without them get the same results through the
/// four verbs.
public protocol EmissionFamily: Sendable {
  associatedtype Parameters: Sendable
  associatedtype Prepared: Sendable

  /// K, the number of components (or states).
  var components: Int { get }
  /// d, the number of data columns.
  var dimension: Int { get }
  /// Statistics per component; entry 0 of each block is the component's total weight Σᵢ wᵢₖ.
  var statisticsPerComponent: Int { get }
  /// Free parameters of all components (for AIC and BIC).
  var parameterCount: Int { get }

  /// Per-iteration precomputation (factorisations, logarithms); throws when θ is unusable.
  func prepare(_ parameters: Parameters) throws -> Prepared

  /// out[i·K + k] = log f(xᵢ | θₖ), every constant included except the parameter-free one of
  /// `constantLogLikelihood`. Missing entries (NaN) are marginalised out.
  func logDensities(_ x: UnsafePointer<Double>, rows: Int, prepared: Prepared,
                    into out: UnsafeMutablePointer<Double>)

  /// Adds the statistics of `rows` rows weighted by weights[i·K + k] into `statistics`
  /// (K blocks of `statisticsPerComponent`).
  func accumulate(_ x: UnsafePointer<Double>, rows: Int, weights: UnsafePointer<Double>,
                  prepared: Prepared, into statistics: UnsafeMutablePointer<Double>)

  /// The M step for the family's parameters from summed statistics, prior included.
  /// `previous` is what the statistics were computed at.
  func maximize(_ statistics: UnsafeBufferPointer<Double>, previous: Parameters) -> Parameters

  /// Draws one observation from component k into `row` (d values).
  func sample(component k: Int, prepared: Prepared, random: RandomSource, into row: UnsafeMutablePointer<Double>)

  /// Some valid parameters (the starting point that components are re-seeded into).
  var placeholder: Parameters { get }

  /// Parameters with component `k` moved onto `row` (to start a component there, or to
  /// repair one that lost all of its weight).
  func reseeded(_ parameters: Parameters, component k: Int, at row: UnsafePointer<Double>) -> Parameters

  /// Each named parameter block as one array of numbers per component (for recovery checks,
  /// standard errors and pictures). Names are the spec's keys.
  func blocks(_ parameters: Parameters) -> [(name: String, perComponent: [[Double]])]

  /// The same parameters with components reordered: result component j is input `order[j]`.
  func permuted(_ parameters: Parameters, by order: [Int]) -> Parameters

  // MARK: Optional, with defaults

  /// log p(θ) under the family's prior; 0 without a prior.
  func logPrior(_ parameters: Parameters) -> Double
  var hasPrior: Bool { get }
  /// Σ over rows of the parameter-free part of log p(x) (e.g. −log x! for counts).
  func constantLogLikelihood(of data: DataSet) -> Double
  /// The parameter-free part of log p(xᵢ) of each row, so that the entries sum to
  /// `constantLogLikelihood(of: data)` (per-row log-likelihoods, `emzoo predict`). The default
  /// calls `constantLogLikelihood` on one-row data sets; a family with a constant may do better.
  func constantLogLikelihoods(of data: DataSet) -> [Double]
  /// The family tuned to a data set (reference values for accurate sums); called once per fit.
  func adapted(to data: DataSet) -> Self
  /// Rejects data the family cannot score (non-integer counts, non-binary values, …), naming
  /// the line and column.
  func validate(_ data: DataSet) throws
  /// Rejects data the family can score but not be fitted to; nothing by default.
  func validateForFitting(_ data: DataSet) throws
  /// Whether a component sits on a constraint that only keeps the likelihood finite (see
  /// `EMModel.isDegenerate`); false by default.
  func isDegenerate(_ parameters: Parameters) -> Bool
}

extension EmissionFamily {
  public func logPrior(_ parameters: Parameters) -> Double { 0 }
  public var hasPrior: Bool { false }
  public func constantLogLikelihood(of data: DataSet) -> Double { 0 }
  public func constantLogLikelihoods(of data: DataSet) -> [Double] {
    let d = data.dimension
    return (0..<data.rows).map { i in
      constantLogLikelihood(of: DataSet(source: data.source, columns: data.columns,
                                        values: Array(data.values[(i * d)..<((i + 1) * d)])))
    }
  }
  public func adapted(to data: DataSet) -> Self { self }
  public func validate(_ data: DataSet) throws {}
  public func validateForFitting(_ data: DataSet) throws {}
  public func isDegenerate(_ parameters: Parameters) -> Bool { false }
}

/// A family with a mixture's whole E step over a block of rows in one fused kernel
/// (densities, responsibilities, statistics), the block kept in cache.
public protocol FusedMixtureExpectation: EmissionFamily {
  /// Adds the statistics of `rows` rows into `statistics` and returns their log-likelihood
  /// Σᵢ log Σₖ exp(logWeights[k] + log f(xᵢ|θₖ)), or nil when the kernel does not apply to this
  /// input (the mixture then uses `logDensities` and `accumulate`). Same results either way.
  func fusedMixtureExpectation(_ x: UnsafePointer<Double>, rows: Int, prepared: Prepared,
                               logWeights: [Double], into statistics: UnsafeMutablePointer<Double>) -> Double?
}

/// A family that gives emission densities without logarithms (the HMM's forward–backward
/// works on densities).
public protocol ScaledEmissionDensities: EmissionFamily {
  /// f(xᵢ | k) divided by a positive scale per row, into `out` (rows × K), returning
  /// Σᵢ log(scaleᵢ) (the parameter-free constant excluded, as in `logDensities`); a row with
  /// nothing observed gets density 1. Nil when it does not apply (the HMM then exponentiates
  /// `logDensities`). Same results either way.
  func scaledDensities(_ x: UnsafePointer<Double>, rows: Int, prepared: Prepared,
                       into out: UnsafeMutablePointer<Double>) -> Double?
}

extension FusedMixtureExpectation {
  /// `fusedMixtureExpectation` for a caller that holds the family as an existential (the
  /// mixture, generic over any family); nil when `prepared` is not this family's.
  func fusedExpectation(_ x: UnsafePointer<Double>, rows: Int, prepared: Any, logWeights: [Double],
                        into statistics: UnsafeMutablePointer<Double>) -> Double? {
    guard let prepared = prepared as? Prepared else { return nil }
    return fusedMixtureExpectation(x, rows: rows, prepared: prepared, logWeights: logWeights, into: statistics)
  }
}

extension ScaledEmissionDensities {
  /// `scaledDensities` for a caller that holds the family as an existential (the HMM).
  func scaledDensities(_ x: UnsafePointer<Double>, rows: Int, anyPrepared prepared: Any,
                       into out: UnsafeMutablePointer<Double>) -> Double? {
    guard let prepared = prepared as? Prepared else { return nil }
    return scaledDensities(x, rows: rows, prepared: prepared, into: out)
  }
}

/// A family whose starting parameters are better drawn at random from the data than found
/// by k-means (categorical symbols: k-means on symbol codes says little). The HMM uses it.
public protocol RandomlyStartedFamily: EmissionFamily {
  /// Starting parameters for one restart, from the data and the restart's random stream.
  func randomStart(for data: DataSet, random: RandomSource) -> Parameters
}

extension EmissionFamily {
  /// The row of `data` the current parameters explain worst: the smallest
  /// log Σₖ exp(logWeights[k] + log f(xᵢ | θₖ)) over rows with an observed entry. A component
  /// that lost all of its weight is re-seeded there (mixtures and HMMs alike).
  public func worstExplainedRow(_ data: DataSet, prepared: Prepared, logWeights: [Double]) -> Int {
    worstExplainedRowAndValue(data, prepared: prepared, logWeights: logWeights).row
  }

  /// `worstExplainedRow` and its value log Σₖ exp(…) (+∞ when no held row has an observed
  /// entry); only the held rows (`DataSet.heldRows`) are scanned.
  public func worstExplainedRowAndValue(_ data: DataSet, prepared: Prepared, logWeights: [Double]) -> (row: Int, value: Double) {
    let K = components, d = data.dimension, block = 1024
    var worst = (row: 0, value: Double.infinity)
    var buffer = [Double](repeating: 0, count: block * K)
    let held = data.heldRows
    data.values.withUnsafeBufferPointer { all in
      for start in stride(from: held.lowerBound, to: held.upperBound, by: block) {
        let count = min(block, held.upperBound - start)
        let x = all.baseAddress! + start * d
        logDensities(x, rows: count, prepared: prepared, into: &buffer)
        for i in 0..<count where (0..<d).contains(where: { !x[i * d + $0].isNaN }) {
          let value = logSumExp((0..<K).lazy.map { buffer[i * K + $0] + logWeights[$0] })
          if value < worst.value { worst = (start + i, value) }
        }
      }
    }
    return worst
  }
}
