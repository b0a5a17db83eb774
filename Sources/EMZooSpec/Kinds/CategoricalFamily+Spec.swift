internal import EMZooCore
public import EMZooModels

/// `categorical`: one column of symbols 0…M−1 (option `symbols` M); prior
/// `probabilities {dirichlet: β}`. An HMM emission (no mixture kind).
let categoricalFamilyKind = FamilyKind(
  name: "categorical", mixtureKind: nil, summary: "one column of symbols 0..M-1",
  optionKeys: ["symbols"], priorKeys: ["probabilities"], optionSummary: "symbols M"
) { context in
  let symbols = context.spec.options["symbols"]
  guard symbols.isPresent else {
    throw symbols.error("expected the number of symbols M (emission \"categorical\")")
  }
  return CategoricalFamily(
    components: context.components, symbols: try symbols.integer(in: Limits.symbols),
    prior: try CategoricalFamily.decodePrior(context.spec.prior))
}

extension CategoricalFamily: SpecifiedFamily {
  public var parameterKeys: [String] { ["probabilities"] }
  public var options: [(key: String, value: JSONValue)] { [("symbols", .number(Double(symbols)))] }

  public func decode(_ field: Field) throws -> Parameters {
    Parameters(probabilities: try Probability.rows(field["probabilities"], rows: components, count: symbols))
  }



  /// Reads `prior.probabilities` = `{ "dirichlet": β }`.
  static func decodePrior(_ field: Field) throws -> Double? {
    try Probability.dirichlet(field["probabilities"])
  }
}
