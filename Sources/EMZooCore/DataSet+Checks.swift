extension DataSet {
  /// Every column needs an observed value: a model fitted to a column that is entirely missing
  /// would invent its parameters (a mean of 0, a variance of 1). With a row window, whether a
  /// column has an observed value is agreed over every process (collective).
  public func requireObservedColumns() throws {
    let d = dimension
    var observed = (0..<d).map { j in heldRows.contains { !values[$0 * d + j].isNaN } }
    if held != nil {
      let group = Processes.group
      let flags = group.allGather(observed.map { $0 ? 1 : 0 }, counts: [Int](repeating: d, count: group.size))
      observed = (0..<d).map { j in (0..<group.size).contains { flags[$0 * d + j] != 0 } }
    }
    for j in 0..<d where !observed[j] {
      throw InputError("\(source): column \(Quote.value(columns[j])): every value is missing; expected at least one observed value (drop the column or pick columns with the spec's \"columns\")")
    }
  }
}
