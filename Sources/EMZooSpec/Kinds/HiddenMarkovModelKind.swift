internal import EMZooCore
internal import EMZooModels

/// The `hmm` registry entry: one kind whose emission is any registered family, chosen by
/// `options.emission`.
///
/// Options: `states` K; `emission` (a family name: `gaussian` with `covariance`, `poisson`,
/// `bernoulli`, `categorical` with `symbols` M, or a plugin's); `length` L, used only by
/// `sample`, which then writes independent sequences of L rows (with a `sequence` column)
/// instead of one long sequence.
///
/// Prior (MAP): `initial` and `transition` take `{ "dirichlet": α }` (α ≥ 1, per row for the
/// transition matrix); the emission takes its family's prior.
let hmmKind = ModelKind(
  name: "hmm",
  summary: "hidden Markov model with K states, fitted by Baum–Welch (Baum et al. 1970; Rabiner 1989)",
  options: "states K; emission gaussian|poisson|bernoulli|categorical (or a plugin family); covariance "
    + "full|diagonal|spherical|tied (gaussian, default full); symbols M (categorical); length L (sample: sequences of L rows)"
) { spec, dimension, registry in
  let options = spec.options, prior = spec.prior
  let familyOptions = registry.families.flatMap(\.optionKeys)
  try options.object(allowing: ["states", "emission"] + familyOptions.uniqued() + ["length"])
  let K = try options["states"].integer(in: Limits.labels)
  let name = try options["emission"].choice(registry.families.map(\.name))
  guard let family = registry.families.first(where: { $0.name == name }) else {
    preconditionFailure("choice(_:) returned a registered family")
  }
  for key in familyOptions where options[key].isPresent && !family.optionKeys.contains(key) {
    throw options[key].error("applies only to emission \(registry.families.filter { $0.optionKeys.contains(key) }.map { "\"\($0.name)\"" }.joined(separator: ", ")), not \"\(name)\"")
  }
  let length = options["length"].isPresent ? try options["length"].integer(atLeast: 1) : nil
  if prior.isPresent { try prior.object(allowing: ["initial", "transition"] + family.priorKeys) }
  let made = try family.make(FamilyContext(components: K, dimension: dimension, spec: spec))
  let echoed = JSONValue.object(
    [("states", .number(Double(K))), ("emission", .string(name))] + made.options
      + (length.map { [("length", JSONValue.number(Double($0)))] } ?? []))
  return try specifiedHMM(
    made, initialPrior: try Probability.dirichlet(prior["initial"]),
    transitionPrior: try Probability.dirichlet(prior["transition"]), options: echoed,
    prior: prior.isPresent ? prior.value : nil, sequenceLength: length)
}

/// An HMM with `family` emissions and its spec codec (`initial`, `transition` + the family's).
func specifiedHMM<Family: SpecifiedFamily>(
  _ family: Family, initialPrior: Double?, transitionPrior: Double?, options: JSONValue, prior: JSONValue?,
  sequenceLength: Int?
) throws -> any SpecifiedModel {
  let hmm = HiddenMarkovModel(
    family: family, initialPrior: initialPrior, transitionPrior: transitionPrior, sequenceLength: sequenceLength)
  let K = family.components
  return SpecifiedKind(
    hmm, kind: "hmm", options: options, prior: prior,
    decode: { field in
      try field.object(allowing: ["initial", "transition"] + family.parameterKeys)
      return HiddenMarkovModel<Family>.Parameters(
        initial: try Probability.vector(field["initial"], count: K),
        transition: try Probability.rows(field["transition"], rows: K, count: K),
        emission: try family.decode(field))
    },
    encode: { p in
      .object([
        ("initial", JSONValue(p.initial)),
        ("transition", JSONValue(rows: (0..<K).map { Array(p.transition[($0 * K)..<(($0 + 1) * K)]) })),
      ] + family.encode(p.emission))
    })
}

extension Array where Element: Hashable {
  /// The elements in order, each kept at its first occurrence. O(n).
  func uniqued() -> [Element] {
    var seen = Set<Element>()
    return filter { seen.insert($0).inserted }
  }
}
