/// A model that fills in the missing entries of data (`emzoo impute`).
public protocol MissingValueImputer {
  /// `data` with every missing entry replaced by its conditional expectation given the row's
  /// observed entries, under the spec's parameters. Observed entries are unchanged.
  func imputed(spec: ModelSpec, data: DataSet) throws -> DataSet
}
