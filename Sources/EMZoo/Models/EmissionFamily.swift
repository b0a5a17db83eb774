/// The per-component distribution of a mixture, or the per-state emission of an HMM.
///
/// A family knows how to score rows under each of its K components and how to turn
/// responsibility-weighted statistics back into parameters. Mixtures and hidden Markov
/// models share these, so a Poisson HMM and a Poisson mixture run the same kernels.
public protocol EmissionFamily: Sendable {
  associatedtype Parameters: Sendable
  associatedtype Prepared: Sendable

  /// K, the number of components (or states).
  var components: Int { get }
  /// d, the number of data columns.
  var dimension: Int { get }
  /// Statistics per component; entry 0 of each block is the component's total weight Σᵢ wᵢₖ.
  var statisticsPerComponent: Int { get }

  func prepare(_ parameters: Parameters) throws -> Prepared

  /// Some valid parameters (a starting point to re-seed components into).
  var placeholder: Parameters { get }

  /// out[i·K + k] = log p(xᵢ | component k), with every constant except the parameter-free
  /// one of `constantLogLikelihood`. Missing entries are marginalised out.
  func logDensities(_ x: UnsafePointer<Double>, rows: Int, prepared: Prepared,
                    into out: UnsafeMutablePointer<Double>)

  /// Adds the statistics of rows weighted by weights[i·K + k] into `statistics`
  /// (K blocks of `statisticsPerComponent`).
  func accumulate(_ x: UnsafePointer<Double>, rows: Int, weights: UnsafePointer<Double>,
                  prepared: Prepared, into statistics: UnsafeMutablePointer<Double>)

  /// A mixture's whole E step over `rows` rows in one fused kernel (densities, responsibilities
  /// with log weights `logWeights`, statistics), or nil when the family has none for this
  /// input; the mixture then runs `logDensities` and `accumulate`. Same results either way.
  func fusedMixtureExpectation(_ x: UnsafePointer<Double>, rows: Int, prepared: Prepared,
                               logWeights: [Double], into statistics: UnsafeMutablePointer<Double>) -> Double?

  /// Emission densities f(xᵢ | k) divided by a positive scale per row, into `out` (rows × K),
  /// returning Σᵢ log(scaleᵢ) (with the parameter-free constant excluded, as in
  /// `logDensities`); a row with nothing observed gets density 1. Nil when the family has no
  /// such shortcut; the HMM then exponentiates `logDensities`. Same results either way.
  func scaledDensities(_ x: UnsafePointer<Double>, rows: Int, prepared: Prepared,
                       into out: UnsafeMutablePointer<Double>) -> Double?

  /// The M step for the emission parameters, prior included.
  func maximize(_ statistics: UnsafeBufferPointer<Double>, previous: Parameters) -> Parameters

  /// log p(θ_emission) under the prior; 0 without a prior.
  func logPrior(_ parameters: Parameters) -> Double
  var hasPrior: Bool { get }

  /// Σ over rows of the parameter-free part of log p(x) (e.g. −log x! for counts).
  func constantLogLikelihood(of data: DataSet) -> Double

  /// The family tuned to a data set (reference values for accurate sums); the engine adapts
  /// a model once per fit, before any E step. The default is the family itself.
  func adapted(to data: DataSet) -> Self

  /// Parameters with component `k` moved onto `row` (a repair for a component that lost all
  /// of its weight).
  func reseeded(_ parameters: Parameters, component k: Int, at row: UnsafePointer<Double>) -> Parameters

  /// Draws one observation from component k into `row`.
  func sample(component k: Int, prepared: Prepared, random: RandomSource, into row: UnsafeMutablePointer<Double>)

  /// Free parameters of all components.
  var parameterCount: Int { get }

  /// Reads the emission parameters from the spec's `parameters` object.
  func decode(_ parameters: Field) throws -> Parameters
  /// The emission parameters as spec members, in spec order.
  func encode(_ parameters: Parameters) -> [(key: String, value: JSONValue)]
  /// Each named parameter as one array of numbers per component (for recovery checks).
  func blocks(_ parameters: Parameters) -> [(name: String, perComponent: [[Double]])]
  /// The same parameters with components reordered: result component j is input `order[j]`.
  func permuted(_ parameters: Parameters, by order: [Int]) -> Parameters

  /// Rejects data the family cannot score (non-integer counts, non-binary values, …).
  func validate(_ data: DataSet) throws
  /// Spec keys this family reads from `parameters` and `prior` (for unknown-key errors).
  var parameterKeys: [String] { get }
  var priorKeys: [String] { get }
}

extension EmissionFamily {
  // MARK: - Default implementations
  public func constantLogLikelihood(of data: DataSet) -> Double { 0 }
  public func adapted(to data: DataSet) -> Self { self }
  public func fusedMixtureExpectation(_ x: UnsafePointer<Double>, rows: Int, prepared: Prepared,
                                      logWeights: [Double], into statistics: UnsafeMutablePointer<Double>) -> Double? {
    nil
  }
  public func scaledDensities(_ x: UnsafePointer<Double>, rows: Int, prepared: Prepared,
                              into out: UnsafeMutablePointer<Double>) -> Double? {
    nil
  }
  public func logPrior(_ parameters: Parameters) -> Double { 0 }
  public var hasPrior: Bool { false }
  public func validate(_ data: DataSet) throws {}
  public var priorKeys: [String] { [] }
}
