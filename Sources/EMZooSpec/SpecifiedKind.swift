public import EMZooCore
public import EMZooModels

/// Any `GenerativeModel` with its spec codec: the registry key, the options and prior to echo,
/// and how parameters read from and write to JSON. Every EM requirement is the model's own.
///
/// This is how a kind becomes a `SpecifiedModel` without writing the delegation itself:
///
///     SpecifiedKind(MyModel(...), kind: "my-kind", options: .object([...]),
///                   decode: { field in try ... }, encode: { p in .object([...]) })
public struct SpecifiedKind<Model: GenerativeModel>: SpecifiedModel {
  public typealias Parameters = Model.Parameters
  public typealias Prepared = Model.Prepared

  public private(set) var model: Model
  public let kind: String
  public let options: JSONValue
  public let priorJSON: JSONValue?
  let decode: @Sendable (Field) throws -> Model.Parameters
  let encode: @Sendable (Model.Parameters) -> JSONValue
  let extras: (@Sendable (Model.Parameters, DataSet) -> [(key: String, value: JSONValue)])?

  public init(_ model: Model, kind: String, options: JSONValue, prior: JSONValue? = nil,
              decode: @escaping @Sendable (Field) throws -> Model.Parameters,
              encode: @escaping @Sendable (Model.Parameters) -> JSONValue,
              extraResults: (@Sendable (Model.Parameters, DataSet) -> [(key: String, value: JSONValue)])? = nil) {
    self.model = model
    self.kind = kind
    self.options = options
    priorJSON = prior
    self.decode = decode
    self.encode = encode
    extras = extraResults
  }

  // MARK: Spec I/O

  public func decodeParameters(_ field: Field) throws -> Parameters { try decode(field) }
  public func encodeParameters(_ parameters: Parameters) -> JSONValue { encode(parameters) }
  public func extraResults(_ parameters: Parameters, data: DataSet) -> [(key: String, value: JSONValue)] {
    extras?(parameters, data) ?? []
  }

  public func imputed(_ parameters: Parameters, data: DataSet) throws -> DataSet? {
    guard let imputer = model as? any MissingValueImputer else { return nil }
    return try imputer.imputed(anyParameters: parameters, data: data)
  }

  public func decodedStates(_ parameters: Parameters, data: DataSet) throws -> StateDecoding? {
    guard let decoder = model as? any HiddenStateDecoder else { return nil }
    return try decoder.decodeStates(anyParameters: parameters, data: data)
  }


  // MARK: GenerativeModel, by delegation

  public var dimension: Int { model.dimension }
  public var defaultColumns: [String] { model.defaultColumns }
  public func validate(_ data: DataSet) throws { try model.validate(data) }
  public func validateForFitting(_ data: DataSet) throws { try model.validateForFitting(data) }
  public func sample(_ p: Parameters, count: Int, random: RandomSource) throws -> DataSet {
    try model.sample(p, count: count, random: random)
  }
  public var labelCount: Int { model.labelCount }
  public func assignments(_ p: Parameters, data: DataSet) throws -> [Int] { try model.assignments(p, data: data) }
  public func permuted(_ p: Parameters, by order: [Int]) -> Parameters { model.permuted(p, by: order) }
  public func blocks(_ p: Parameters) -> [(name: String, values: [Double])] { model.blocks(p) }
  public var requiredColumns: [(name: String, field: String)] { model.requiredColumns }
  public var sampleBlockRows: Int? { model.sampleBlockRows }
  public var streamsSamples: Bool { model.streamsSamples }
  public func sampleInBlocks(_ p: Parameters, count: Int, blockRows: Int, random: RandomSource,
                             _ body: (DataSet) throws -> Void) throws {
    try model.sampleInBlocks(p, count: count, blockRows: blockRows, random: random, body)
  }
  public func rowPosteriors(_ p: Parameters, data: DataSet) throws -> RowPosteriors? {
    try model.rowPosteriors(p, data: data)
  }
  public func classificationLogLikelihood(_ p: Parameters, data: DataSet) throws -> Double? {
    try model.classificationLogLikelihood(p, data: data)
  }

  // MARK: EMModel, by delegation

  public var statisticsCount: Int { model.statisticsCount }
  public func chunks(of data: DataSet) -> [Range<Int>] { model.chunks(of: data) }
  public func largestChunkRows(rows: Int, longestSequence: Int) -> Int {
    model.largestChunkRows(rows: rows, longestSequence: longestSequence)
  }
  public func scratchCount(rows: Int) -> Int { model.scratchCount(rows: rows) }
  public func prepare(_ p: Parameters) throws -> Prepared { try model.prepare(p) }
  public func expectation(rows: Range<Int>, of data: DataSet, given prepared: Prepared,
                          statistics: UnsafeMutableBufferPointer<Double>,
                          scratch: UnsafeMutableBufferPointer<Double>) -> Double {
    model.expectation(rows: rows, of: data, given: prepared, statistics: statistics, scratch: scratch)
  }
  public func maximization(_ statistics: [Double], previous: Parameters, prepared: Prepared,
                           data: DataSet) -> (Parameters, repair: String?) {
    model.maximization(statistics, previous: previous, prepared: prepared, data: data)
  }
  public func logPrior(_ p: Parameters) -> Double { model.logPrior(p) }
  public var hasPrior: Bool { model.hasPrior }
  public func constantLogLikelihood(of data: DataSet) -> Double { model.constantLogLikelihood(of: data) }
  public func adapted(to data: DataSet) -> SpecifiedKind {
    var copy = self
    copy.model = model.adapted(to: data)
    return copy
  }
  public func initialParameters(for data: DataSet, method: InitMethod, random: RandomSource) throws -> Parameters {
    try model.initialParameters(for: data, method: method, random: random)
  }
  public func parameterCount(dimension: Int) -> Int { model.parameterCount(dimension: dimension) }
  public func coordinates(_ p: Parameters) -> [Double]? { model.coordinates(p) }
  public func parameters(fromCoordinates c: [Double], like p: Parameters) -> Parameters? {
    model.parameters(fromCoordinates: c, like: p)
  }
  public func coordinateBlocks(_ p: Parameters) -> [CoordinateBlock] { model.coordinateBlocks(p) }
  public func isDegenerate(_ p: Parameters) -> Bool { model.isDegenerate(p) }
}
