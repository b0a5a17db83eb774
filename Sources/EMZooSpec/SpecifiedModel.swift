public import EMZooCore
public import EMZooModels

/// A model kind as the spec layer sees it: a `GenerativeModel` that reads and writes its
/// parameters as spec JSON and echoes its options and prior into results.
///
/// Kinds rarely implement this themselves: `SpecifiedKind` wraps any `GenerativeModel` with
/// its spec codec, and `ModelRegistry` builds mixtures and HMMs of any `SpecifiedFamily`.
public protocol SpecifiedModel: GenerativeModel {
  /// The registry key, e.g. "gaussian-mixture".
  var kind: String { get }
  /// The options as they are in effect (defaults filled in), echoed into results.
  var options: JSONValue { get }
  /// The prior as given, echoed into results (nil without one).
  var priorJSON: JSONValue? { get }

  func decodeParameters(_ field: Field) throws -> Parameters
  func encodeParameters(_ parameters: Parameters) -> JSONValue

  /// Model-specific members appended to a fit result (standard errors, a baseline estimate),
  /// computed at the fitted parameters; none by default.
  func extraResults(_ parameters: Parameters, data: DataSet) -> [(key: String, value: JSONValue)]

  /// The data with missing entries imputed (`emzoo impute`); nil when the kind cannot impute.
  func imputed(_ parameters: Parameters, data: DataSet) throws -> DataSet?
  /// The hidden states of every row (`emzoo decode`); nil when the kind has no state sequence.
  func decodedStates(_ parameters: Parameters, data: DataSet) throws -> StateDecoding?
}

extension SpecifiedModel {
  public func extraResults(_ parameters: Parameters, data: DataSet) -> [(key: String, value: JSONValue)] { [] }
  public func imputed(_ parameters: Parameters, data: DataSet) throws -> DataSet? { nil }
  public func decodedStates(_ parameters: Parameters, data: DataSet) throws -> StateDecoding? { nil }
  /// p(k | xᵢ) of every row, n arrays of K, for a model whose labels are per row (a
  /// mixture); nil otherwise (an HMM's labels form a path: see `decodedStates`).
  public func responsibilities(_ parameters: Parameters, data: DataSet) throws -> [[Double]]? {
    guard let posteriors = try rowPosteriors(parameters, data: data), !posteriors.labelsArePath,
          posteriors.labelCount > 0 else { return nil }
    let K = posteriors.labelCount
    return (0..<data.rows).map { Array(posteriors.probabilities[($0 * K)..<(($0 + 1) * K)]) }
  }
}

/// An emission family that reads and writes its parameters in a spec, so the registry can
/// make it a mixture kind and an HMM emission.
public protocol SpecifiedFamily: EmissionFamily {
  /// The keys of `parameters` this family reads (besides the mixture's `weights` or the HMM's
  /// `initial` and `transition`).
  var parameterKeys: [String] { get }
  /// The family's options as in effect (defaults filled in), echoed into results.
  var options: [(key: String, value: JSONValue)] { get }
  /// Reads and validates the family's parameters from the spec's `parameters` object.
  func decode(_ parameters: Field) throws -> Parameters
  /// The family's parameters as spec members, in spec order. The default writes each of
  /// `blocks` as a K-row matrix.
  func encode(_ parameters: Parameters) -> [(key: String, value: JSONValue)]
}

extension SpecifiedFamily {
  public var options: [(key: String, value: JSONValue)] { [] }

  public func encode(_ parameters: Parameters) -> [(key: String, value: JSONValue)] {
    blocks(parameters).map { ($0.name, JSONValue(rows: $0.perComponent)) }
  }
}
