internal import CKernels
public import EMZooCore
import Foundation

/// A hidden Markov model with K states whose emissions come from one emission family,
/// fitted by Baum–Welch (EM over the hidden state paths).
///
/// A sequence x₀…x_{T−1} has the likelihood
///
///     p(x) = Σ_{s₀…s_{T−1}} π_{s₀} f(x₀|θ_{s₀}) Πₜ A_{sₜ₋₁sₜ} f(xₜ|θ_{sₜ}),
///
/// with `initial` π (K), `transition` A (K×K, rows sum to 1) and the family's per-state
/// parameters θ. Independent sequences (the CSV's `sequence` column) multiply.
///
/// - E step: scaled forward–backward (`emz_hmm_forward_backward`) gives γₜ(k) = p(sₜ = k | x) and
///   Σₜ ξₜ(i, j) = Σₜ p(sₜ = i, sₜ₊₁ = j | x); the family accumulates its statistics weighted by γ.
/// - M step: πₖ ∝ Σ_sequences γ₀(k), A_ij ∝ Σₜ ξₜ(i, j) (with Dirichlet(α) priors: counts + α − 1),
///   and the family's own weighted update.
///
/// Statistics are laid out as [Σγ₀ (K) | Σξ (K×K) | family statistics (K blocks)] (`emz_hmm_layout`,
/// CKernels/include/layouts.h). A chunk of
/// the E step is one or more whole sequences, so the sums never depend on the thread count.
/// A row whose observation is entirely missing contributes emission likelihood 1 (log 0).
///
/// [Baum, Petrie, Soules & Weiss 1970]: https://doi.org/10.1214/aoms/1177697196
/// [Rabiner 1989]: https://doi.org/10.1109/5.18626
public struct HiddenMarkovModel<Family: EmissionFamily>: GenerativeModel {
  public struct Parameters: Sendable {
    /// π, K probabilities.
    public var initial: [Double]
    /// A, K×K row-major; row i is p(sₜ₊₁ | sₜ = i).
    public var transition: [Double]
    public var emission: Family.Parameters

    public init(initial: [Double], transition: [Double], emission: Family.Parameters) {
      self.initial = initial
      self.transition = transition
      self.emission = emission
    }
  }

  public struct Prepared: Sendable {
    var initial: [Double]
    var transition: [Double]
    var emission: Family.Prepared

    /// log π and log A (−∞ for a zero) for Viterbi, made when decoding asks rather than on
    /// every E step: Baum–Welch never uses them (K + K² log calls and two arrays per E step,
    /// about 2 % of a 107-row HMM fit).
    var logInitial: [Double] { initial.map(Self.logOrMinusInfinity) }
    var logTransition: [Double] { transition.map(Self.logOrMinusInfinity) }

    static func logOrMinusInfinity(_ p: Double) -> Double { p > 0 ? log(p) : -.infinity }
  }

  /// Draws starting emission parameters for one restart (for families where k-means says
  /// little, such as categorical symbols); nil uses the mixture's k-means machinery.
  public typealias EmissionStart = @Sendable (DataSet, RandomSource) throws -> Family.Parameters

  public let family: Family
  /// Dirichlet concentration α on `initial` (nil: no prior).
  public let initialPrior: Double?
  /// Dirichlet concentration α on every row of `transition` (nil: no prior).
  public let transitionPrior: Double?
  /// `sample` splits its rows into sequences of this many rows (nil: one sequence).
  public let sequenceLength: Int?
  let emissionStart: EmissionStart?
  /// The family's optional fast paths, looked up once here rather than on every E step: the
  /// first check of a protocol conformance scans the program's conformance records (about
  /// 0.1 ms, a third of a 107-row fit's time), later ones a runtime cache.
  let scaledFamily: (any ScaledEmissionDensities)?
  let emissionCoordinates: EmissionCoordinates?
  let fusedExpectation: FusedExpectation?

  public init(family: Family, initialPrior: Double? = nil, transitionPrior: Double? = nil,
              sequenceLength: Int? = nil,
              emissionStart: EmissionStart? = nil) {
    self.family = family
    self.initialPrior = initialPrior
    self.transitionPrior = transitionPrior
    self.sequenceLength = sequenceLength
    self.emissionStart = emissionStart
    scaledFamily = family as? any ScaledEmissionDensities
    emissionCoordinates = Self.emissionCoordinates(of: family)
    fusedExpectation = Self.fusedExpectation(of: family)
  }

  public var states: Int { family.components }
  public var dimension: Int { family.dimension }
  public var labelCount: Int { family.components }
  /// Whole sequences of `length` rows are independent; one endless sequence is not split.
  public var sampleBlockRows: Int? { sequenceLength }
  /// The chain goes on across blocks (`sampleInBlocks`), so even one endless sequence streams.
  public var streamsSamples: Bool { true }

  // MARK: - EMModel

  var statisticsLayout: emz_hmm_layout { emz_hmm_layout_make(states, family.statisticsPerComponent) }
  public var statisticsCount: Int { statisticsLayout.total }
  public var hasPrior: Bool { initialPrior != nil || transitionPrior != nil || family.hasPrior }

  /// Chunks end on sequence boundaries: consecutive sequences are grouped until a chunk holds
  /// at least `chunkRows` rows, and a longer sequence is a chunk of its own.
  static var chunkRows: Int { DataSet.sequenceChunkRows }

  /// Whole sequences grouped up to `chunkRows`: at most a chunk's worth plus one sequence.
  public func largestChunkRows(rows: Int, longestSequence: Int) -> Int {
    min(rows, Self.chunkRows + longestSequence)
  }

  public func chunks(of data: DataSet) -> [Range<Int>] {
    DataSet.chunks(ofSequences: data.sequences, minimumRows: Self.chunkRows)
  }

  /// log b and then γ (rows × K), the forward variables α̂ (rows × K), the scale factors (rows)
  /// and the backward work space (3K); a `FusedForwardBackward` family keeps b and α̂ in
  /// vectors of at least 8 lanes (rows × max(K, 8) each).
  public func scratchCount(rows: Int) -> Int {
    let lanes = fusedExpectation != nil ? max(states, 8) : states
    return 2 * rows * lanes + rows + 3 * lanes
  }

  public func prepare(_ p: Parameters) throws -> Prepared {
    Prepared(initial: p.initial, transition: p.transition, emission: try family.prepare(p.emission))
  }

  public func expectation(rows: Range<Int>, of data: DataSet, given prepared: Prepared,
                          statistics: UnsafeMutableBufferPointer<Double>,
                          scratch: UnsafeMutableBufferPointer<Double>) -> Double {
    let K = states, d = data.dimension, n = rows.count
    return data.values.withUnsafeBufferPointer { all in
      let x = all.baseAddress! + rows.lowerBound * d
      let logb = scratch.baseAddress!
      let alpha = logb + n * K, scale = alpha + n * K, work = scale + n
      let s = statistics.baseAddress!, layout = statisticsLayout
      if let fused = fusedExpectation {
        // Emissions inside the forward pass, statistics inside the backward pass.
        let sequences = Self.sequences(in: rows, of: data).map {
          ($0.lowerBound - rows.lowerBound)..<($0.upperBound - rows.lowerBound)
        }
        if let logLikelihood = fused.run(
          x, n, sequences, prepared, logb, s + layout.initial, s + layout.transition, s + layout.emission)
        {
          return logLikelihood
        }
      }
      var logLikelihood = 0.0
      let missing: [Int]
      if let shift = scaledFamily?.scaledDensities(
        x, rows: n, anyPrepared: prepared.emission, into: logb)
      {
        // The family gave densities directly (e.g. categorical table lookups).
        missing = (0..<n).filter { Self.isMissing(x + $0 * d, dimension: d) }
        logLikelihood = shift
        for sequence in Self.sequences(in: rows, of: data) {
          logLikelihood += emz_hmm_forward_backward_densities(
            sequence.count, K, logb + (sequence.lowerBound - rows.lowerBound) * K, prepared.initial,
            prepared.transition, alpha, scale, work, s + layout.initial, s + layout.transition)
        }
      } else {
        missing = emissionLogDensities(x, rows: n, prepared: prepared.emission, into: logb)
        for sequence in Self.sequences(in: rows, of: data) {
          logLikelihood += emz_hmm_forward_backward(
            sequence.count, K, logb + (sequence.lowerBound - rows.lowerBound) * K, prepared.initial,
            prepared.transition, alpha, scale, work, s + layout.initial, s + layout.transition)
        }
      }
      // An impossible sequence ends the fit (the engine stops at a non-finite likelihood), and
      // its rows of logb hold no posteriors to accumulate.
      guard logLikelihood.isFinite else { return logLikelihood }
      // Rows with nothing observed carry no emission statistics.
      for i in missing { for k in 0..<K { logb[i * K + k] = 0 } }
      family.accumulate(x, rows: n, weights: logb, prepared: prepared.emission, into: s + layout.emission)
      return logLikelihood
    }
  }

  public func maximization(_ statistics: [Double], previous: Parameters, prepared: Prepared,
                           data: DataSet) -> (Parameters, repair: String?) {
    let K = states, layout = statisticsLayout
    // Σₜ γₜ(k): entry 0 of state k's family block.
    let weights = (0..<K).map { statistics[layout.emission + $0 * layout.per_state] }
    let total = weights.reduce(0, +)
    // A state whose emissions have lost all their weight cannot be updated (0/0): move it onto
    // the row the current states explain worst, and say so.
    if let empty = weights.firstIndex(where: { $0 <= 1e-8 * max(total, 1) }) {
      let (row, values) = family.worstExplainedRowValues(
        data, prepared: prepared.emission, logWeights: [Double](repeating: 0, count: states))
      let emission = values.withUnsafeBufferPointer {
        family.reseeded(previous.emission, component: empty, at: $0.baseAddress!)
      }
      // Mix a little of the uniform distribution in, so the state can be reached again.
      let mix: (Double) -> Double = { 0.9 * $0 + 0.1 / Double(K) }
      return (Parameters(initial: previous.initial.map(mix), transition: previous.transition.map(mix),
                         emission: emission),
              "state \(empty) lost all its weight; re-seeded at data row \(row + 1)")
    }
    let initial = Dirichlet.mode(statistics[layout.initial..<(layout.initial + K)], concentration: initialPrior)
      ?? previous.initial
    var transition = previous.transition
    for i in 0..<K {
      let row = layout.transition + i * K
      if let updated = Dirichlet.mode(statistics[row..<(row + K)], concentration: transitionPrior) {
        transition.replaceSubrange((i * K)..<((i + 1) * K), with: updated)
      }
    }
    let emission = statistics.withUnsafeBufferPointer {
      family.maximize(UnsafeBufferPointer(rebasing: $0[layout.emission...]), previous: previous.emission)
    }
    return (Parameters(initial: initial, transition: transition, emission: emission), nil)
  }

  public func logPrior(_ p: Parameters) -> Double {
    let K = states
    var total = family.logPrior(p.emission)
    if let alpha = initialPrior { total += Dirichlet.logDensity(p.initial, concentration: alpha) }
    if let alpha = transitionPrior {
      for i in 0..<K {
        total += Dirichlet.logDensity(Array(p.transition[(i * K)..<((i + 1) * K)]), concentration: alpha)
      }
    }
    return total
  }

  public func constantLogLikelihood(of data: DataSet) -> Double {
    family.constantLogLikelihood(of: summingByChunks(data))
  }
  public func adapted(to data: DataSet) -> HiddenMarkovModel {
    HiddenMarkovModel(family: family.adapted(to: summingByChunks(data)), initialPrior: initialPrior,
                      transitionPrior: transitionPrior,
                      sequenceLength: sequenceLength, emissionStart: emissionStart)
  }

  /// Whether a state's emission has collapsed onto the family's constraint (see
  /// `EMModel.isDegenerate`): e.g. a Gaussian state explaining one row with the floor variance.
  public func isDegenerate(_ p: Parameters) -> Bool { family.isDegenerate(p.emission) }

  /// (K − 1) initial probabilities, K(K − 1) transition probabilities and the family's.
  public func parameterCount(dimension: Int) -> Int { states - 1 + states * (states - 1) + family.parameterCount }

  // MARK: - Initialisation

  /// The emissions start as the mixture's do for the same method (or from `emissionStart`, or
  /// the family's `randomStart`). `kmeans++` takes `initial` from the mixture weights (uniform
  /// with a drawn emission start) and A = ½ I + ½ (1/K) 11ᵀ: sticky, but every transition
  /// possible. `random` and `random-partition` draw both instead (`randomChain`), so restarts
  /// also explore different dynamics.
  public func initialParameters(for data: DataSet, method: InitMethod, random: RandomSource) throws -> Parameters {
    let K = states
    let observed = try Self.observedRows(of: data)
    guard observed.rows > 0 else { throw InputError("\(data.source): every row is missing; nothing to fit") }
    let initial: [Double], emission: Family.Parameters
    if let emissionStart {
      initial = [Double](repeating: 1 / Double(K), count: K)
      emission = try emissionStart(observed, random)
    } else if let drawn = (family as? any RandomlyStartedFamily)?.randomStart(
      for: data.held == nil ? observed : data, random: random)
      as? Family.Parameters
    {
      initial = [Double](repeating: 1 / Double(K), count: K)
      emission = drawn
    } else {
      let start = try Mixture(family: family).initialParameters(for: observed, method: method, random: random)
      (initial, emission) = (start.weights, start.emission)
    }
    if method == .random || method == .randomPartition {
      let (initial, transition) = Self.randomChain(states: K, random: random)
      return Parameters(initial: initial, transition: transition, emission: emission)
    }
    var transition = [Double](repeating: 0.5 / Double(K), count: K * K)
    for k in 0..<K { transition[k * K + k] += 0.5 }
    return Parameters(initial: initial, transition: transition, emission: emission)
  }

  /// A random starting chain: π = ½ (1/K) 1 + ½ u and row i of A = ½ eᵢ + ½ uᵢ, with u and
  /// every uᵢ drawn from the flat Dirichlet(1, …, 1). Every probability is positive (≥ 0 plus a
  /// positive share), and the diagonal's ½ keeps the chain sticky, as fitted chains usually are.
  static func randomChain(states K: Int, random: RandomSource) -> (initial: [Double], transition: [Double]) {
    let flat = [Double](repeating: 1, count: K)
    let u = random.dirichlet(flat)
    let initial = (0..<K).map { 0.5 / Double(K) + 0.5 * u[$0] }
    var transition = [Double](repeating: 0, count: K * K)
    for i in 0..<K {
      let row = random.dirichlet(flat)
      for j in 0..<K { transition[i * K + j] = 0.5 * row[j] + (i == j ? 0.5 : 0) }
    }
    return (initial, transition)
  }

  // MARK: - Emissions and sequences

  /// The family's log-densities of `rows` rows into `out` (rows × K), with every row whose
  /// entries are all missing set to log 1 = 0 for every state. Returns those rows' indices.
  func emissionLogDensities(_ x: UnsafePointer<Double>, rows: Int, prepared: Family.Prepared,
                            into out: UnsafeMutablePointer<Double>) -> [Int] {
    let K = states, d = dimension
    family.logDensities(x, rows: rows, prepared: prepared, into: out)
    // Most data have no missing entry: one vectorised scan instead of a test per row.
    guard UnsafeBufferPointer(start: x, count: rows * d).contains(where: \.isNaN) else { return [] }
    var missing: [Int] = []
    for i in 0..<rows where Self.isMissing(x + i * d, dimension: d) {
      missing.append(i)
      for k in 0..<K { out[i * K + k] = 0 }
    }
    return missing
  }

  @inline(__always)
  static func isMissing(_ row: UnsafePointer<Double>, dimension d: Int) -> Bool {
    for j in 0..<d where !row[j].isNaN { return false }
    return d > 0
  }

  /// The sequences that make up a chunk (a chunk starts and ends on sequence boundaries).
  static func sequences(in rows: Range<Int>, of data: DataSet) -> ArraySlice<Range<Int>> {
    let all = data.sequences
    var low = 0, high = all.count
    while low < high {
      let middle = (low + high) / 2
      if all[middle].lowerBound < rows.lowerBound { low = middle + 1 } else { high = middle }
    }
    var end = low
    while end < all.count, all[end].upperBound <= rows.upperBound { end += 1 }
    return all[low..<end]
  }

  /// The data without the rows whose entries are all missing (the data itself when there are none).
  static func withoutMissingRows(_ data: DataSet) -> DataSet {
    let d = data.dimension
    let missing = data.values.withUnsafeBufferPointer { all in
      (0..<data.rows).contains { isMissing(all.baseAddress! + $0 * d, dimension: d) }
    }
    guard missing else { return data }
    var values: [Double] = []
    data.values.withUnsafeBufferPointer { all in
      for i in 0..<data.rows where !isMissing(all.baseAddress! + i * d, dimension: d) {
        values += all[(i * d)..<((i + 1) * d)]
      }
    }
    return DataSet(source: data.source, columns: data.columns, values: values)
  }
}
