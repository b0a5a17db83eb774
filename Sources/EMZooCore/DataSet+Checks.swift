extension DataSet {
  /// Every column needs an observed value: a model fitted to a column that is entirely missing
  /// would invent its parameters (a mean of 0, a variance of 1).
  public func requireObservedColumns() throws {
    let d = dimension
    for j in 0..<d where (0..<rows).allSatisfy({ values[$0 * d + j].isNaN }) {
      throw InputError("\(source): column \(Quote.value(columns[j])): every value is missing; expected at least one observed value (drop the column or pick columns with the spec's \"columns\")")
    }
  }
}
