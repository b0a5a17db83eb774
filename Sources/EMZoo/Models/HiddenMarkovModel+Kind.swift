/// The `hmm` registry entry: one kind whose emission family is chosen by `options.emission`.
///
/// Options: `states` K; `emission` `gaussian` (with `covariance`, default `full`), `poisson`
/// (d independent counts) or `categorical` (with `symbols` M: one column of integers 0..M−1);
/// `length` L, used only by `sample`, which then writes independent sequences of L rows (with a
/// `sequence` column) instead of one long sequence.
///
/// Prior (MAP): `initial` and `transition` take `{ "dirichlet": α }` (α ≥ 1, per row for the
/// transition matrix); the emission takes its family's prior: gaussian `means`/`covariances`
/// (normal-inverse-Wishart), poisson `rates: { "shape": a, "rate": b }`, categorical
/// `probabilities: { "dirichlet": β }`.
let hmmKind = ModelKind(
  name: "hmm",
  summary: "hidden Markov model with K states, fitted by Baum–Welch (Baum et al. 1970; Rabiner 1989)",
  options: "states K; emission gaussian|poisson|categorical; covariance full|diagonal|spherical|tied "
    + "(gaussian, default full); symbols M (categorical); length L (sample: sequences of L rows)"
) { spec, dimension in
  let options = spec.options, prior = spec.prior
  try options.object(allowing: ["states", "emission", "covariance", "symbols", "length"])
  let K = try options["states"].integer(in: Limits.labels)
  let emission = try options["emission"].choice(["gaussian", "poisson", "categorical"])
  if options["covariance"].isPresent, emission != "gaussian" {
    throw options["covariance"].error("applies only to emission \"gaussian\", not \"\(emission)\"")
  }
  if options["symbols"].isPresent, emission != "categorical" {
    throw options["symbols"].error("applies only to emission \"categorical\", not \"\(emission)\"")
  }
  let length = options["length"].isPresent ? try options["length"].integer(atLeast: 1) : nil
  let initialPrior = try Probability.dirichlet(prior["initial"])
  let transitionPrior = try Probability.dirichlet(prior["transition"])
  let priorJSON = prior.isPresent ? prior.value : nil
  /// The options in effect, in spec order, echoed into results.
  func echoed(_ specific: [(key: String, value: JSONValue)]) -> JSONValue {
    .object([("states", .number(Double(K))), ("emission", .string(emission))] + specific
      + (length.map { [("length", JSONValue.number(Double($0)))] } ?? []))
  }

  switch emission {
  case "gaussian":
    let covariance = options["covariance"].isPresent
      ? CovarianceType(rawValue: try options["covariance"].choice(CovarianceType.allCases.map(\.rawValue))) ?? .full
      : .full
    let d = try SpecSupport.dimension(dimension, spec: spec, matrixKey: "means")
    if prior.isPresent { try prior.object(allowing: ["initial", "transition", "means", "covariances"]) }
    let family = GaussianFamily(
      components: K, dimension: d, covariance: covariance, covarianceFloor: spec.fit.covarianceFloor,
      prior: try GaussianFamily.decodePrior(prior, dimension: d, covariance: covariance))
    return HiddenMarkovModel(
      family: family, initialPrior: initialPrior, transitionPrior: transitionPrior,
      options: echoed([("covariance", .string(covariance.rawValue))]), prior: priorJSON, sequenceLength: length)
  case "poisson":
    let d = try SpecSupport.dimension(dimension, spec: spec, matrixKey: "rates")
    if prior.isPresent { try prior.object(allowing: ["initial", "transition", "rates"]) }
    let family = PoissonFamily(components: K, dimension: d, prior: try PoissonFamily.decodePrior(prior))
    return HiddenMarkovModel(
      family: family, initialPrior: initialPrior, transitionPrior: transitionPrior, options: echoed([]),
      prior: priorJSON, sequenceLength: length)
  default:
    guard options["symbols"].isPresent else {
      throw options["symbols"].error("expected the number of symbols M (emission \"categorical\")")
    }
    let M = try options["symbols"].integer(in: Limits.symbols)
    if prior.isPresent { try prior.object(allowing: ["initial", "transition", "probabilities"]) }
    let family = CategoricalFamily(components: K, symbols: M, prior: try CategoricalFamily.decodePrior(prior))
    return HiddenMarkovModel(
      family: family, initialPrior: initialPrior, transitionPrior: transitionPrior,
      options: echoed([("symbols", .number(Double(M)))]), prior: priorJSON, sequenceLength: length,
      emissionStart: { data, random in family.randomStart(for: data, random: random) })
  }
}
