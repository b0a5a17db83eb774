internal import EMZooCore
internal import EMZooModels

/// The mixture kind of a registered family: options `components` K, the family's own options
/// and `missing {rate}` (entries `sample` removes, MCAR: see `MissingOption`); parameters
/// `weights` and the family's; prior `weights: {dirichlet: α}` and the family's.
func mixtureKind(named name: String, of family: FamilyKind) -> ModelKind {
  let familyOptions = family.optionSummary.isEmpty ? "" : "; \(family.optionSummary)"
  return ModelKind(
    name: name, summary: family.summary,
    options: "components K\(familyOptions); missing {rate} for sample"
  ) { spec, dimension, _ in
    try spec.options.object(allowing: ["components"] + family.optionKeys + ["missing"])
    let K = try spec.options["components"].integer(in: Limits.labels)
    if spec.prior.isPresent { try spec.prior.object(allowing: ["weights"] + family.priorKeys) }
    let made = try family.make(FamilyContext(components: K, dimension: dimension, spec: spec))
    var options: [(key: String, value: JSONValue)] = [("components", .number(Double(K)))] + made.options
    if let missing = spec.options["missing"].value { options.append(("missing", missing)) }
    return try specifiedMixture(
      made, kind: name, weightPrior: try Probability.dirichlet(spec.prior["weights"]),
      options: .object(options), prior: spec.prior.isPresent ? spec.prior.value : nil,
      missingRate: try MissingOption.parse(spec.options["missing"], mechanisms: ["MCAR"])?.rate ?? 0)
  }
}

/// A mixture of `family` with its spec codec (`weights` + the family's members).
func specifiedMixture<Family: SpecifiedFamily>(
  _ family: Family, kind: String, weightPrior: Double?, options: JSONValue, prior: JSONValue?, missingRate: Double
) throws -> any SpecifiedModel {
  let mixture = Mixture(family: family, weightPrior: weightPrior, sampleMissingRate: missingRate)
  return SpecifiedKind(
    mixture, kind: kind, options: options, prior: prior,
    decode: { field in
      try field.object(allowing: ["weights"] + family.parameterKeys)
      let weights = try Probability.vector(field["weights"], count: family.components)
      return Mixture<Family>.Parameters(weights: weights, emission: try family.decode(field))
    },
    encode: { p in .object([("weights", JSONValue(p.weights))] + family.encode(p.emission)) })
}

/// Validation of probability vectors and probability-valued options in specs.
public enum Probability {
  /// `count` non-negative numbers summing to 1 (within 1e-6, then renormalised exactly).
  public static func vector(_ field: Field, count: Int) throws -> [Double] {
    let p = try field.vector(count: count)
    if let i = p.firstIndex(where: { !($0 >= 0) }) {
      throw field.error("expected probabilities ≥ 0; entry [\(i)] is \(JSONValue.format(p[i]))")
    }
    let sum = p.reduce(0, +)
    guard abs(sum - 1) <= 1e-6 else {
      throw field.error("expected probabilities summing to 1, found sum \(JSONValue.format(sum))")
    }
    return p.map { $0 / sum }
  }

  /// `rows` rows of `count` probabilities each (a transition matrix, a symbol table).
  public static func rows(_ field: Field, rows: Int, count: Int) throws -> [Double] {
    let items = try field.elements()
    guard items.count == rows else {
      throw field.error("expected \(rows) rows of \(count) probabilities, found \(items.count) rows")
    }
    return try items.flatMap { try vector($0, count: count) }
  }

  /// A Dirichlet prior `{ "dirichlet": α }` with α ≥ 1 (so the posterior mode exists).
  public static func dirichlet(_ field: Field) throws -> Double? {
    guard field.isPresent else { return nil }
    try field.object(allowing: ["dirichlet"])
    let alpha = try field["dirichlet"].number()
    guard alpha >= 1 else {
      throw field["dirichlet"].error("expected a concentration ≥ 1 (the MAP estimate needs it), found \(JSONValue.format(alpha))")
    }
    return alpha
  }
}
