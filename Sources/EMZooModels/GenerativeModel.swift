public import EMZooCore

/// An `EMModel` that is also a full statistical model of a data table: it says how many
/// columns it describes, rejects data it cannot score, draws data, labels rows with their
/// most probable hidden component or state, and names its parameters.
///
/// Every model kind (mixtures, HMMs, the regression, a plugin's) is one; the spec layer adds
/// JSON on top, and the command line uses nothing else.
public protocol GenerativeModel: EMModel {
  /// The number of data columns the model describes.
  var dimension: Int { get }
  /// Names for the data columns when none are given (x1, x2, …).
  var defaultColumns: [String] { get }

  /// Rejects data the model cannot describe; messages name the source, line and column.
  func validate(_ data: DataSet) throws
  /// Rejects data the model can score but not be fitted to (a Gaussian column with no
  /// observed value would get invented parameters); nothing by default.
  func validateForFitting(_ data: DataSet) throws

  /// `count` observations drawn from the model, with the hidden labels in `latent`.
  func sample(_ parameters: Parameters, count: Int, random: RandomSource) throws -> DataSet

  /// The number of hidden labels (components or states); 0 when the model has none.
  var labelCount: Int { get }
  /// The most probable hidden label of each row.
  func assignments(_ parameters: Parameters, data: DataSet) throws -> [Int]
  /// The same parameters with labels reordered: new label j is old label `order[j]`.
  func permuted(_ parameters: Parameters, by order: [Int]) -> Parameters
  /// Every parameter block by its spec name, as a flat array (recovery reports, pictures).
  func blocks(_ parameters: Parameters) -> [(name: String, values: [Double])]

  /// Columns the data must have by name, each with the spec field that names it (the
  /// regression's response, `options.response`); none by default.
  var requiredColumns: [(name: String, field: String)] { get }
  /// Rows that `sample` may draw in separate calls with the same random source and still give
  /// the same rows as one call (1 for independent rows); nil when it must draw all at once.
  var sampleBlockRows: Int? { get }
  /// Draws `count` rows from one random stream in consecutive blocks of about `blockRows` rows,
  /// calling `body` with each; the blocks put together equal `sample(_:count:random:)` on the
  /// same stream. The default draws blocks of whole `sampleBlockRows` with `sample`, or one
  /// block when the rows cannot be split.
  func sampleInBlocks(_ parameters: Parameters, count: Int, blockRows: Int, random: RandomSource,
                      _ body: (DataSet) throws -> Void) throws
  /// Whether `sampleInBlocks` really splits (so `sample` runs in bounded memory for any n).
  var streamsSamples: Bool { get }
  /// What the model says about each row of `data` under fixed `parameters`: labels and their
  /// posterior probabilities, per-row (or per-sequence) log-likelihoods, predictions
  /// (`emzoo predict`). Nil by default: the kind has nothing per row to report.
  func rowPosteriors(_ parameters: Parameters, data: DataSet) throws -> RowPosteriors?

  /// log p(ẑ | x) of the most probable labels ẑ given the data, the term ICL adds to BIC
  /// (`icl = bic − 2 · classificationLogLikelihood`); nil for a model without hidden labels.
  /// The default takes it from `rowPosteriors`.
  func classificationLogLikelihood(_ parameters: Parameters, data: DataSet) throws -> Double?
}

extension GenerativeModel {
  public var defaultColumns: [String] { (1...max(1, dimension)).map { "x\($0)" } }
  public var labelCount: Int { 0 }
  public func assignments(_ parameters: Parameters, data: DataSet) throws -> [Int] { [] }
  public func permuted(_ parameters: Parameters, by order: [Int]) -> Parameters { parameters }
  public var requiredColumns: [(name: String, field: String)] { [] }
  public func validateForFitting(_ data: DataSet) throws {}
  public var sampleBlockRows: Int? { nil }
  public var streamsSamples: Bool { sampleBlockRows.map { $0 <= 1_000_000 } ?? false }

  public func sampleInBlocks(_ parameters: Parameters, count: Int, blockRows: Int, random: RandomSource,
                             _ body: (DataSet) throws -> Void) throws {
    guard let granularity = sampleBlockRows, granularity >= 1 else {
      try body(sample(parameters, count: count, random: random))
      return
    }
    let block = max(granularity, blockRows / granularity * granularity)
    var done = 0
    while done < count {
      let rows = min(block, count - done)
      try body(sample(parameters, count: rows, random: random))
      done += rows
    }
  }
  public func rowPosteriors(_ parameters: Parameters, data: DataSet) throws -> RowPosteriors? { nil }
  public func classificationLogLikelihood(_ parameters: Parameters, data: DataSet) throws -> Double? {
    try rowPosteriors(parameters, data: data)?.classificationLogLikelihood
  }

  /// The data's columns must match the model's dimension.
  public func checkColumns(_ data: DataSet) throws {
    guard data.dimension == dimension else {
      throw InputError("\(data.source): expected \(dimension) data columns for this model, found \(data.dimension) (\(data.columns.joined(separator: ", ")))")
    }
  }
}

/// A model that fills in the missing entries of data (`emzoo impute`).
public protocol MissingValueImputer: GenerativeModel {
  /// `data` with every missing entry replaced by its conditional expectation given the row's
  /// observed entries (an HMM's: given the whole sequence), under `parameters`. Observed
  /// entries are unchanged.
  ///
  /// - Throws: `ImputationUnavailable` when this model's family cannot say what a missing
  ///   entry is expected to be (categorical symbols, a C plugin without `conditional_mean`).
  func imputed(_ parameters: Parameters, data: DataSet) throws -> DataSet
}

/// Why a model cannot impute the missing entries of data (its family gives no conditional
/// means), as one line; `emzoo impute` names the spec and exits with status 2.
public struct ImputationUnavailable: Error, Sendable {
  public var reason: String
  public init(_ reason: String) { self.reason = reason }
}

/// The hidden states of every row of a data set under fixed parameters (`emzoo decode`).
public struct StateDecoding: Sendable {
  /// K, the number of states.
  public var states: Int
  /// The most probable state path (Viterbi), one state per row.
  public var viterbi: [Int]
  /// p(sₜ = k | x), rows × K, row-major.
  public var posteriors: [Double]
  /// log p(x) of all sequences, every constant included.
  public var logLikelihood: Double

  public init(states: Int, viterbi: [Int], posteriors: [Double], logLikelihood: Double) {
    self.states = states
    self.viterbi = viterbi
    self.posteriors = posteriors
    self.logLikelihood = logLikelihood
  }
}

/// A model whose rows have hidden states that can be decoded along each sequence.
public protocol HiddenStateDecoder: GenerativeModel {
  func decodeStates(_ parameters: Parameters, data: DataSet) throws -> StateDecoding
}

extension MissingValueImputer {
  /// `imputed` for a caller holding the model as an existential; nil for foreign parameters.
  public func imputed(anyParameters: Any, data: DataSet) throws -> DataSet? {
    guard let parameters = anyParameters as? Parameters else { return nil }
    return try imputed(parameters, data: data)
  }
}

extension HiddenStateDecoder {
  /// `decodeStates` for a caller holding the model as an existential; nil for foreign parameters.
  public func decodeStates(anyParameters: Any, data: DataSet) throws -> StateDecoding? {
    guard let parameters = anyParameters as? Parameters else { return nil }
    return try decodeStates(parameters, data: data)
  }
}
