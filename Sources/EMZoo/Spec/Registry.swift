/// One model kind as the registry lists it.
public struct ModelKind: Sendable {
  /// The spec's `model` key.
  public let name: String
  /// What it is, in one line.
  public let summary: String
  /// Its options, in one line.
  public let options: String
  /// Builds the model from a spec. `dimension` is the data's column count when data is at
  /// hand; without it the model infers d from the spec's parameters.
  public let make: @Sendable (ModelSpec, _ dimension: Int?) throws -> any SpecifiedModel
}

/// Every model kind the CLI and the spec loader know. Add new kinds here.
public let registry: [ModelKind] = [
  gaussianMixtureKind,
  poissonMixtureKind,
  bernoulliMixtureKind,
  hmmKind,
  missingDataRegressionKind,
]

extension ModelKind {
  /// The registered kind named `name`, or an error listing the known ones.
  public static func named(_ name: String, in spec: ModelSpec) throws -> ModelKind {
    guard let kind = registry.first(where: { $0.name == name }) else {
      throw InputError("\(spec.file): model: unknown model kind \"\(name)\"; expected one of \(registry.map(\.name).joined(separator: ", "))")
    }
    return kind
  }
}

/// Helpers shared by the kinds' factories.
enum SpecSupport {
  /// d from the data, else from the columns of `parameters.<key>` (a K×d matrix).
  static func dimension(_ given: Int?, spec: ModelSpec, matrixKey key: String) throws -> Int {
    if let given { return given }
    guard spec.parameters.isPresent else {
      throw spec.parameters.error("expected the model's parameters (needed to know the data's dimension)")
    }
    return try spec.parameters[key].matrixColumns()
  }
}

let gaussianMixtureKind = ModelKind(
  name: "gaussian-mixture",
  summary: "mixture of K multivariate normals (Dempster, Laird & Rubin 1977)",
  options: "components K; covariance full|diagonal|spherical|tied (default full); missing {rate} for sample"
) { spec, dimension in
  try spec.options.object(allowing: ["components", "covariance", "missing"])
  let K = try spec.options["components"].integer(in: Limits.labels)
  let covariance = spec.options["covariance"].isPresent
    ? CovarianceType(rawValue: try spec.options["covariance"].choice(CovarianceType.allCases.map(\.rawValue)))!
    : .full
  let d = try SpecSupport.dimension(dimension, spec: spec, matrixKey: "means")
  if spec.prior.isPresent { try spec.prior.object(allowing: ["weights", "means", "covariances"]) }
  let family = GaussianFamily(
    components: K, dimension: d, covariance: covariance, covarianceFloor: spec.fit.covarianceFloor,
    prior: try GaussianFamily.decodePrior(spec.prior, dimension: d, covariance: covariance))
  let missingRate = try MissingValues.rate(spec.options["missing"])
  var options: [(key: String, value: JSONValue)] = [("components", .number(Double(K))), ("covariance", .string(covariance.rawValue))]
  if let missing = spec.options["missing"].value { options.append(("missing", missing)) }
  return MixtureModel(
    kind: "gaussian-mixture", family: family, weightPrior: try Probability.dirichlet(spec.prior["weights"]),
    options: .object(options), prior: spec.prior.isPresent ? spec.prior.value : nil, missingRate: missingRate)
}

/// A mixture of a `PerDimensionFamily` (counts, bits): option `components` only, parameters
/// `weights` and the family's K×d matrix, prior on the weights and on that matrix.
private func perDimensionMixtureKind<Family: PerDimensionFamily>(
  name: String, summary: String,
  family makeFamily: @escaping @Sendable (_ components: Int, _ dimension: Int, _ prior: Field) throws -> Family
) -> ModelKind {
  ModelKind(name: name, summary: summary, options: "components K") { spec, dimension in
    try spec.options.object(allowing: ["components"])
    let K = try spec.options["components"].integer(in: Limits.labels)
    let d = try SpecSupport.dimension(dimension, spec: spec, matrixKey: Family.parameterKey)
    if spec.prior.isPresent { try spec.prior.object(allowing: ["weights", Family.parameterKey]) }
    return MixtureModel(
      kind: name, family: try makeFamily(K, d, spec.prior), weightPrior: try Probability.dirichlet(spec.prior["weights"]),
      options: .object([("components", .number(Double(K)))]), prior: spec.prior.isPresent ? spec.prior.value : nil)
  }
}

let poissonMixtureKind = perDimensionMixtureKind(
  name: "poisson-mixture", summary: "mixture of K products of d independent Poisson counts"
) { K, d, prior in
  PoissonFamily(components: K, dimension: d, prior: try PoissonFamily.decodePrior(prior))
}

let bernoulliMixtureKind = perDimensionMixtureKind(
  name: "bernoulli-mixture", summary: "mixture of K products of d independent Bernoulli bits (latent class analysis)"
) { K, d, prior in
  BernoulliFamily(components: K, dimension: d, prior: try BernoulliFamily.decodePrior(prior))
}
