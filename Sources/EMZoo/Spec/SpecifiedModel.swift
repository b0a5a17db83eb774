/// A model kind as the spec layer sees it: an `EMModel` that reads and writes its
/// parameters as spec JSON, samples data, and reports how well a fit recovered the truth.
public protocol SpecifiedModel: EMModel {
  /// The registry key, e.g. "gaussian-mixture".
  var kind: String { get }
  /// The number of data columns the model describes.
  var dimension: Int { get }
  /// Names for the data columns when the spec gives none (x1, x2, …).
  var defaultColumns: [String] { get }
  /// The options as they are in effect (defaults filled in), echoed into results.
  var options: JSONValue { get }
  /// The prior as given, echoed into results (nil without one).
  var priorJSON: JSONValue? { get }

  func decodeParameters(_ field: Field) throws -> Parameters
  func encodeParameters(_ parameters: Parameters) -> JSONValue

  /// Rejects data the model cannot describe; messages name the file, line and column.
  func validate(_ data: DataSet) throws

  /// `count` observations drawn from the model, with the hidden labels in `latent`.
  func sample(_ parameters: Parameters, count: Int, random: RandomSource) throws -> DataSet

  /// The number of hidden labels (components or states); 0 when the model has none.
  var labelCount: Int { get }
  /// The most probable hidden label of each row.
  func assignments(_ parameters: Parameters, data: DataSet) throws -> [Int]
  /// The same parameters with labels reordered: new label j is old label `order[j]`.
  func permuted(_ parameters: Parameters, by order: [Int]) -> Parameters
  /// Every parameter, by spec name, as a flat array (for the recovery report).
  func blocks(_ parameters: Parameters) -> [(name: String, values: [Double])]

  /// Model-specific members appended to a fit result (standard errors, a baseline estimate),
  /// computed at the fitted parameters; none by default.
  func extraResults(_ parameters: Parameters, data: DataSet) -> [(key: String, value: JSONValue)]
  /// A readable summary of a fit result for the terminal (a coefficient table); nil by default.
  func summary(of result: JSONValue) -> String?
  /// The bytes a fit to `rows` rows needs (see MemoryEstimate.swift); refused beyond physical memory.
  func memoryEstimate(rows: Int, longestChunk: Int, threads: Int) -> Double
  /// Rows that `sample` may draw in separate calls with the same random source and still give
  /// the same rows as one call (1 for independent rows); nil when it must draw all at once.
  var sampleBlockRows: Int? { get }
}

extension SpecifiedModel {
  public var defaultColumns: [String] { (1...max(1, dimension)).map { "x\($0)" } }
  public var priorJSON: JSONValue? { nil }
  public var labelCount: Int { 0 }
  public func assignments(_ parameters: Parameters, data: DataSet) throws -> [Int] { [] }
  public func permuted(_ parameters: Parameters, by order: [Int]) -> Parameters { parameters }
  public func extraResults(_ parameters: Parameters, data: DataSet) -> [(key: String, value: JSONValue)] { [] }
  public func summary(of result: JSONValue) -> String? { nil }
}
