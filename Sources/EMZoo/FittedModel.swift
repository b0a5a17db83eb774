/// A model with its fitted parameters: what `fit` returns, ready to label, score and sample
/// new data, like a fitted scikit-learn estimator.
///
///     import EMZoo
///     let x: [[Double]] = ...                      // n rows of d numbers
///     let gmm = try GaussianMixture(components: 3).fit(x)
///     let labels = try gmm.predict(x)              // the most probable component of each row
///     let p = try gmm.responsibilities(x)          // p(k | xᵢ), n rows of K
public struct FittedModel<Model: GenerativeModel>: Sendable {
  /// The model as it was fitted (its structure: K, d, covariance type, prior).
  public let model: Model
  /// The fitted parameters (the best restart's).
  public var parameters: Model.Parameters { outcome.parameters }
  /// Everything the engine reports: log-likelihood, iterations, convergence, trace, restarts.
  public let outcome: FitOutcome<Model.Parameters>

  public init(model: Model, outcome: FitOutcome<Model.Parameters>) {
    self.model = model
    self.outcome = outcome
  }

  /// The most probable hidden component (or state path, for an HMM) of each row.
  public func predict(_ x: [[Double]]) throws -> [Int] {
    try model.assignments(parameters, data: try checked(x))
  }

  /// log p(x) of the rows at the fitted parameters, every constant included (scikit-learn's
  /// `score(X) * n`).
  public func logLikelihood(of x: [[Double]]) throws -> Double {
    try EMEngine.logLikelihood(model, of: try checked(x), at: parameters)
  }

  /// `count` new rows drawn from the fitted model with seed `seed`.
  public func sample(count: Int, seed: UInt64 = 1) throws -> [[Double]] {
    try model.sample(parameters, count: count, random: RandomSource(seed: seed)).rowArrays
  }

  func checked(_ x: [[Double]]) throws -> DataSet {
    let data = try DataSet(rows: x)
    try model.checkColumns(data)
    try model.validate(data)
    return data
  }
}

extension GenerativeModel {
  /// Fits the model to in-memory rows by EM (`options` default: 3 k-means++ restarts from
  /// seed 1, tolerance 1e-8, every core).
  public func fit(_ x: [[Double]], options: FitOptions = FitOptions()) throws -> FittedModel<Self> {
    let data = try DataSet(rows: x)
    try checkColumns(data)
    try validate(data)
    return FittedModel(model: self, outcome: try EMEngine.fit(self, to: data, options: options))
  }
}

extension FittedModel {
  /// p(k | xᵢ) for every row under a fitted mixture: n rows of K responsibilities.
  public func responsibilities<Family>(_ x: [[Double]]) throws -> [[Double]] where Model == Mixture<Family> {
    let data = try checked(x)
    guard let posteriors = try model.rowPosteriors(parameters, data: data) else { return [] }
    let K = posteriors.labelCount
    return (0..<data.rows).map { Array(posteriors.probabilities[($0 * K)..<(($0 + 1) * K)]) }
  }
}

/// A Gaussian mixture to fit, scikit-learn style: the dimension comes from the data.
///
///     let gmm = try GaussianMixture(components: 3, covariance: .diagonal).fit(x)
public struct GaussianMixture: Sendable {
  public var components: Int
  public var covariance: CovarianceType
  /// Added to every variance after each M step (scikit-learn's `reg_covar`).
  public var covarianceFloor: Double
  public var options: FitOptions

  public init(components: Int, covariance: CovarianceType = .full, covarianceFloor: Double = 1e-6,
              options: FitOptions = FitOptions()) {
    self.components = components
    self.covariance = covariance
    self.covarianceFloor = covarianceFloor
    self.options = options
  }

  /// Fits K normals to the rows by EM.
  public func fit(_ x: [[Double]]) throws -> FittedModel<Mixture<GaussianFamily>> {
    guard components >= 1 else { throw InputError("components: expected at least 1, found \(components)") }
    let d = x.first?.count ?? 0
    let family = GaussianFamily(components: components, dimension: d, covariance: covariance,
                                covarianceFloor: covarianceFloor)
    return try Mixture(family: family).fit(x, options: options)
  }
}
