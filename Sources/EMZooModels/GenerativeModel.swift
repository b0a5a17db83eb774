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
}

extension GenerativeModel {
  public var defaultColumns: [String] { (1...max(1, dimension)).map { "x\($0)" } }
  public var labelCount: Int { 0 }
  public func assignments(_ parameters: Parameters, data: DataSet) throws -> [Int] { [] }
  public func permuted(_ parameters: Parameters, by order: [Int]) -> Parameters { parameters }

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
  /// observed entries, under `parameters`. Observed entries are unchanged.
  func imputed(_ parameters: Parameters, data: DataSet) throws -> DataSet
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

/// A model whose rows each belong to one of K components, with a posterior probability for
/// each (a mixture); the pictures of a fit colour and shade points by them.
public protocol MixtureResponsibilities: GenerativeModel {
  /// p(k | xᵢ) = πₖ f(xᵢ | θₖ) / Σⱼ πⱼ f(xᵢ | θⱼ) for every row: n arrays of K probabilities
  /// summing to 1 (missing entries marginalised out).
  func responsibilities(_ parameters: Parameters, data: DataSet) throws -> [[Double]]
}

extension MixtureResponsibilities {
  /// `responsibilities` for a caller holding the model as an existential; nil for foreign
  /// parameters.
  public func responsibilities(anyParameters: Any, data: DataSet) throws -> [[Double]]? {
    guard let parameters = anyParameters as? Parameters else { return nil }
    return try responsibilities(parameters, data: data)
  }
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
