internal import EMZooCore
internal import EMZooModels

/// The `missing-data-regression` registry entry.
///
/// Options: `response`, the name of the response column (required); `missing`
/// `{ "rate": r, "mechanism": "MCAR" | "MAR" }` (default mechanism MCAR, see `MissingOption`), used only by `sample`.
/// The covariates are the other selected columns (the spec's `columns`, or every numeric data
/// column), in column order; p is their number. No prior.
let missingDataRegressionKind = ModelKind(
  name: "missing-data-regression",
  summary: "linear regression with missing covariates and response: EM on the joint normal (Little & Rubin)",
  options: "response (column name); missing {rate in [0, 1), mechanism MCAR|MAR} (used by sample)"
) { spec, dimension, _ in
  let options = spec.options
  try options.object(allowing: ["response", "missing"])
  guard options["response"].isPresent else {
    throw options["response"].error("expected the name of the response column, e.g. \"y\"")
  }
  let response = try options["response"].string()
  guard !response.isEmpty else { throw options["response"].error("expected a non-empty column name") }
  let kinds = MissingDataRegression.MissingMechanism.Kind.allCases
  let missing = try MissingOption.parse(options["missing"], mechanisms: kinds.map(\.rawValue)).map { option in
    MissingDataRegression.MissingMechanism(rate: option.rate, kind: kinds.first { $0.rawValue == option.mechanism } ?? .mcar)
  }
  if spec.prior.isPresent { throw spec.prior.error("missing-data-regression takes no prior") }
  // The number of columns: from the data, the spec's columns, or the parameters.
  let columnCount: Int
  if let dimension {
    columnCount = dimension
  } else if let columns = spec.columns {
    columnCount = columns.count
  } else if spec.parameters.isPresent {
    columnCount = try spec.parameters["covariateMean"].vector().count + 1
  } else {
    throw spec.parameters.error("expected the model's parameters (needed to know the number of covariates)")
  }
  guard columnCount >= 2, columnCount <= 64 else {
    throw InputError("\(spec.file): expected between 2 and 64 columns (the response and 1 to 63 covariates), found \(columnCount)")
  }
  var columns: [String]? = nil
  if let named = spec.columns, named.count == columnCount {
    guard named.contains(response) else {
      throw InputError("\(spec.file): columns: expected the response column '\(response)' (options.response) among \(named.joined(separator: ", "))")
    }
    if let repeated = named.enumerated().first(where: { named[..<$0.offset].contains($0.element) }) {
      throw InputError("\(spec.file): columns: '\(repeated.element)' is listed twice; expected distinct column names")
    }
    columns = named
  }
  let model = MissingDataRegression(covariates: columnCount - 1, response: response, columns: columns, missing: missing)
  var echoed: [(key: String, value: JSONValue)] = [("response", .string(response))]
  if let missing {
    echoed.append(("missing", .object([("rate", .number(missing.rate)), ("mechanism", .string(missing.kind.rawValue))])))
  }
  return SpecifiedKind(
    model, kind: "missing-data-regression", options: .object(echoed),
    decode: { try RegressionCodec.decode($0, covariates: model.covariates) },
    encode: { RegressionCodec.encode(model.regression($0)) },
    extraResults: { RegressionCodec.extraResults(model, $0, data: $1) })
}

/// The regression's parameters in specs: the regression view (`coefficients`, `noiseVariance`,
/// `covariateMean`, `covariateCovariance`) of the joint normal EM runs on.
enum RegressionCodec {
  static let parameterKeys = ["coefficients", "noiseVariance", "covariateMean", "covariateCovariance"]

  static func decode(_ field: Field, covariates p: Int) throws -> MissingDataRegression.Parameters {
    try field.object(allowing: parameterKeys)
    let coefficients = try field["coefficients"].vector(count: p + 1)
    let noiseVariance = try field["noiseVariance"].positiveNumber()
    let covariateMean = try field["covariateMean"].vector(count: p)
    let covariance = try field["covariateCovariance"].matrix(rows: p, columns: p)
    try GaussianFamily.checkCovariance(covariance, d: p, field: field["covariateCovariance"], type: .full)
    let all = coefficients + covariateMean + covariance + [noiseVariance]
    guard all.allSatisfy(\.isFinite) else { throw field.error("expected finite numbers") }
    let joint = RegressionParameters(
      coefficients: coefficients, noiseVariance: noiseVariance, covariateMean: covariateMean,
      covariateCovariance: covariance
    ).joint
    // Coefficients so large that σ² is lost in βᵀSβ + σ² give a joint covariance that is not
    // positive definite in double precision, which no step after this one could use.
    guard joint.covariance.allSatisfy(\.isFinite), joint.mean.allSatisfy(\.isFinite),
          RegressionParameters(joint: joint) != nil
    else {
      throw field.error("the joint covariance of the covariates and the response is not positive definite in double precision (noiseVariance too small for the coefficients' scale); rescale the response")
    }
    return joint
  }

  /// The four parameter members, as in a spec.
  static func members(_ r: RegressionParameters) -> [(key: String, value: JSONValue)] {
    let p = r.covariateMean.count
    return [
      ("coefficients", JSONValue(r.coefficients)),
      ("noiseVariance", .number(r.noiseVariance)),
      ("covariateMean", JSONValue(r.covariateMean)),
      ("covariateCovariance", JSONValue(rows: (0..<p).map { Array(r.covariateCovariance[($0 * p)..<(($0 + 1) * p)]) })),
    ]
  }

  static func encode(_ r: RegressionParameters) -> JSONValue { .object(members(r)) }

  /// `standardErrors` (shaped like `parameters`) and `completeCase` (its row count `n` and the
  /// least-squares estimates of the four parameters); either holds `failure` instead when it
  /// cannot be computed.
  static func extraResults(_ model: MissingDataRegression, _ parameters: MissingDataRegression.Parameters,
                           data: DataSet) -> [(key: String, value: JSONValue)] {
    let errors: JSONValue
    switch model.standardErrors(parameters, data: data) {
    case .success(let r): errors = encode(r)
    case .failure(let failure): errors = .object([("failure", .string(failure.description))])
    }
    let (count, estimate) = model.completeCase(data)
    var baseline: [(key: String, value: JSONValue)] = [("n", .number(Double(count)))]
    switch estimate {
    case .success(let r): baseline += members(r)
    case .failure(let failure): baseline.append(("failure", .string(failure.description)))
    }
    return [("standardErrors", errors), ("completeCase", .object(baseline))]
  }
}
