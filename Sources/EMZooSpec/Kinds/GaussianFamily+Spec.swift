internal import CKernels
internal import EMZooCore
public import EMZooModels

/// `gaussian`: multivariate normal components; option `covariance` (default `full`); prior
/// `means {location, shrinkage}` and `covariances {degreesOfFreedom, scale}` (normal-inverse-Wishart).
let gaussianFamilyKind = FamilyKind(
  name: "gaussian", summary: "mixture of K multivariate normals (Dempster, Laird & Rubin 1977)",
  optionKeys: ["covariance"], priorKeys: ["means", "covariances"],
  optionSummary: "covariance full|diagonal|spherical|tied (default full)"
) { context in
  let options = context.spec.options
  let covariance = options["covariance"].isPresent
    ? CovarianceType(rawValue: try options["covariance"].choice(CovarianceType.allCases.map(\.rawValue))) ?? .full
    : .full
  let d = try context.dimension(fromMatrix: "means")
  var family = GaussianFamily(
    components: context.components, dimension: d, covariance: covariance,
    covarianceFloor: context.spec.fit.covarianceFloor,
    prior: try GaussianFamily.decodePrior(context.spec.prior, dimension: d, covariance: covariance))
  // fit.fixed "means": the covariances are then updated about the held means.
  if context.spec.fit.fixed.contains("means"), context.spec.parameters["means"].isPresent {
    family.heldMeans = try context.spec.parameters["means"].matrix(rows: context.components, columns: d)
  }
  return family
}

extension GaussianFamily: SpecifiedFamily {
  public var parameterKeys: [String] { ["means", "covariances"] }
  public var options: [(key: String, value: JSONValue)] { [("covariance", .string(covariance.rawValue))] }

  public func decode(_ field: Field) throws -> Parameters {
    let K = components, d = dimension
    let means = try field["means"].matrix(rows: K, columns: d)
    let covarianceField = field["covariances"]
    let matrices = try covarianceField.elements()
    guard matrices.count == K else { throw covarianceField.error("expected \(K) matrices of \(d)×\(d), found \(matrices.count)") }
    var covariances: [Double] = []
    for (k, matrixField) in matrices.enumerated() {
      let matrix = try matrixField.matrix(rows: d, columns: d)
      try Self.checkCovariance(matrix, d: d, field: matrixField, type: covariance)
      if covariance == .tied, k > 0, matrix != Array(covariances[0..<(d * d)]) {
        throw matrixField.error("expected the same matrix as covariances[0] (covariance \"tied\")")
      }
      covariances += matrix
    }
    return Parameters(means: means, covariances: covariances)
  }

  /// Symmetric, positive definite, and of the declared structure.
  static func checkCovariance(_ m: [Double], d: Int, field: Field, type: CovarianceType) throws {
    for j in 0..<d {
      for l in 0..<j where abs(m[j * d + l] - m[l * d + j]) > 1e-9 * max(1, abs(m[j * d + l])) {
        throw field.error("expected a symmetric matrix; entry [\(j)][\(l)] = \(m[j * d + l]) but [\(l)][\(j)] = \(m[l * d + j])")
      }
      if type.isDiagonal {
        for l in 0..<d where l != j && m[j * d + l] != 0 {
          throw field.error("expected a diagonal matrix (covariance \"\(type.rawValue)\"); entry [\(j)][\(l)] is \(m[j * d + l])")
        }
      }
    }
    if type == .spherical, (1..<max(d, 1)).contains(where: { m[$0 * d + $0] != m[0] }) {
      throw field.error("expected equal variances on the diagonal (covariance \"spherical\")")
    }
    var copy = m
    guard emz_cholesky(d, &copy) == 0 else {
      throw field.error("expected a positive-definite covariance matrix")
    }
  }

  public func encode(_ p: Parameters) -> [(key: String, value: JSONValue)] {
    let d = dimension
    let means = (0..<components).map { Array(p.means[($0 * d)..<(($0 + 1) * d)]) }
    let covariances: [JSONValue] = (0..<components).map { k in
      JSONValue(rows: (0..<d).map { j in Array(p.covariances[(k * d * d + j * d)..<(k * d * d + (j + 1) * d)]) })
    }
    return [("means", JSONValue(rows: means)), ("covariances", .array(covariances))]
  }


  /// Reads `prior.means` and `prior.covariances` (normal-inverse-Wishart).
  static func decodePrior(_ field: Field, dimension d: Int, covariance: CovarianceType) throws -> Prior? {
    let covariances = field["covariances"], means = field["means"]
    guard covariances.isPresent || means.isPresent else { return nil }
    guard covariances.isPresent else {
      throw means.error("a prior on the means needs a prior on the covariances too (normal-inverse-Wishart): add prior.covariances")
    }
    guard !covariance.isDiagonal else {
      throw covariances.error("a covariance prior (inverse-Wishart) needs covariance \"full\" or \"tied\"")
    }
    try covariances.object(allowing: ["degreesOfFreedom", "scale"])
    let nu = try covariances["degreesOfFreedom"].number()
    guard nu > Double(d) - 1 else {
      throw covariances["degreesOfFreedom"].error("expected degrees of freedom > d − 1 = \(d - 1), found \(nu)")
    }
    let scale = try covariances["scale"].matrix(rows: d, columns: d)
    try checkCovariance(scale, d: d, field: covariances["scale"], type: .full)
    var prior = Prior(scale: scale, degreesOfFreedom: nu, location: nil, shrinkage: 0)
    if means.isPresent {
      try means.object(allowing: ["location", "shrinkage"])
      prior.location = try means["location"].vector(count: d)
      prior.shrinkage = try means["shrinkage"].positiveNumber()
    }
    return prior
  }
}
