internal import CKernels
import Foundation
public import EMZooCore

/// How the K covariance matrices of a Gaussian family are constrained.
public enum CovarianceType: String, Sendable, CaseIterable {
  /// Each component its own symmetric positive-definite matrix.
  case full
  /// Each component its own diagonal matrix (independent dimensions).
  case diagonal
  /// Each component σₖ² I.
  case spherical
  /// One full matrix shared by all components.
  case tied

  public var isDiagonal: Bool { self == .diagonal || self == .spherical }
}

/// Multivariate normal components N(μₖ, Σₖ).
///
///     log N(x | μ, Σ) = −d/2 log 2π − ½ log|Σ| − ½ (x − μ)ᵀ Σ⁻¹ (x − μ)
///
/// Statistics are centred on the previous means c (Σ w(x − c) and Σ w(x − c)(x − c)ᵀ), which
/// avoids the cancellation of raw second moments when the means are far from zero. The M step
/// raises every eigenvalue of each covariance to at least `covarianceFloor` (a constraint
/// Σ ⪰ εI, solved exactly by `raiseEigenvalues`, so EM stays monotone; scikit-learn's `reg_covar`
/// instead adds ε to the diagonal, which can make EM go down), so a component that
/// collapses onto a point keeps a positive-definite covariance.
///
/// Missing entries (NaN) are marginalised: the E step scores a row by the density of its
/// observed coordinates, and for full and tied covariances fills the statistics with the
/// conditional mean and covariance of the missing coordinates given the observed ones
/// (`ConditionalNormal`); diagonal types need no filling, each coordinate being independent.
///
/// Optional conjugate prior (MAP, Fraley & Raftery 2007): inverse-Wishart IW(Ψ, ν) on each
/// covariance, and optionally N(μ₀, Σₖ/κ) on each mean (normal-inverse-Wishart). The MAP
/// update is μₖ = (Nₖ x̄ₖ + κ μ₀)/(Nₖ + κ), Σₖ = (Ψ + Wₖ + κNₖ/(Nₖ+κ) (x̄ₖ−μ₀)(x̄ₖ−μ₀)ᵀ)/(ν + Nₖ + d + 1 + [κ > 0]),
/// with Wₖ the weighted scatter about x̄ₖ. Diagonal and spherical types take no covariance prior.
///
/// [Fraley & Raftery 2007]: https://doi.org/10.1007/s00357-007-0004-5
public struct GaussianFamily: EmissionFamily, FusedMixtureExpectation {
  public struct Parameters: Sendable, Equatable {
    /// K×d, row-major.
    public var means: [Double]
    /// K×d×d full matrices (diagonal types hold zeros off the diagonal).
    public var covariances: [Double]

    public init(means: [Double], covariances: [Double]) {
      self.means = means
      self.covariances = covariances
    }
  }

  public struct Prepared: Sendable {
    var means: [Double]
    var covariances: [Double]
    /// Full types: K lower Cholesky factors L (for sampling) and their inverses.
    var cholesky: [Double]
    var inverseCholesky: [Double]
    var logConstants: [Double]
    /// Diagonal types: 1/σ², ½ log(1/σ²) − ½ log 2π, σ.
    var precisions: [Double]
    var halfLogTerms: [Double]
    var deviations: [Double]
  }

  /// Normal-inverse-Wishart hyperparameters.
  public struct Prior: Sendable {
    public var scale: [Double]        // Ψ, d×d
    public var degreesOfFreedom: Double  // ν > d − 1
    public var location: [Double]?    // μ₀
    public var shrinkage: Double      // κ (0: no prior on the means)

    public init(scale: [Double], degreesOfFreedom: Double, location: [Double]? = nil, shrinkage: Double = 0) {
      self.scale = scale
      self.degreesOfFreedom = degreesOfFreedom
      self.location = location
      self.shrinkage = shrinkage
    }
  }

  public let components: Int
  public let dimension: Int
  public let covariance: CovarianceType
  public let covarianceFloor: Double
  public let prior: Prior?
  /// Means held fixed (K×d, `fit.fixed: ["means"]`): the M step keeps them and updates each
  /// covariance about them, Σₖ = (Wₖ + Nₖ(x̄ₖ − μₖ)(x̄ₖ − μₖ)ᵀ)/Nₖ, the maximiser given μ.
  public var heldMeans: [Double]? = nil

  public init(components: Int, dimension: Int, covariance: CovarianceType, covarianceFloor: Double = 1e-6,
              prior: Prior? = nil) {
    self.components = components
    self.dimension = dimension
    self.covariance = covariance
    self.covarianceFloor = covarianceFloor
    self.prior = prior
  }

  /// Full and tied types: `emz_gaussian_full_layout`; diagonal and spherical types:
  /// `emz_gaussian_diag_layout` (CKernels/include/layouts.h).
  public var statisticsPerComponent: Int {
    covariance.isDiagonal ? emz_gaussian_diag_layout_make(dimension).stride : emz_gaussian_full_layout_make(dimension).stride
  }
  public var hasPrior: Bool { prior != nil }

  public var parameterCount: Int {
    let d = dimension, K = components
    let covarianceCount: Int
    switch covariance {
    case .full: covarianceCount = K * d * (d + 1) / 2
    case .tied: covarianceCount = d * (d + 1) / 2
    case .diagonal: covarianceCount = K * d
    case .spherical: covarianceCount = K
    }
    return K * d + covarianceCount
  }

  public var placeholder: Parameters {
    let d = dimension
    var identity = [Double](repeating: 0, count: d * d)
    for j in 0..<d { identity[j * d + j] = 1 }
    return Parameters(means: [Double](repeating: 0, count: components * d),
                      covariances: Array([[Double]](repeating: identity, count: components).joined()))
  }

  // MARK: - E step

  struct NotPositiveDefinite: Error, CustomStringConvertible {
    var component: Int
    var description: String { "the covariance of component \(component) is not positive definite (raise fit.covarianceFloor)" }
  }

  public func prepare(_ p: Parameters) throws -> Prepared {
    let K = components, d = dimension
    var prepared = Prepared(means: p.means, covariances: p.covariances, cholesky: [], inverseCholesky: [], logConstants: [],
                            precisions: [], halfLogTerms: [], deviations: [])
    let halfLog2Pi = 0.5 * log(2 * Double.pi)
    if covariance.isDiagonal {
      prepared.precisions.reserveCapacity(K * d)
      for k in 0..<K {
        for j in 0..<d {
          let v = p.covariances[k * d * d + j * d + j]
          guard v > 0, v.isFinite else { throw NotPositiveDefinite(component: k) }
          prepared.precisions.append(1 / v)
          prepared.halfLogTerms.append(-0.5 * log(v) - halfLog2Pi)
          prepared.deviations.append(v.squareRoot())
        }
      }
    } else {
      prepared.cholesky = p.covariances
      prepared.inverseCholesky = p.covariances
      for k in 0..<K {
        let status = prepared.cholesky.withUnsafeMutableBufferPointer { emz_cholesky(d, $0.baseAddress! + k * d * d) }
        guard status == 0 else { throw NotPositiveDefinite(component: k) }
        var logDiagonal = 0.0
        for j in 0..<d { logDiagonal += log(prepared.cholesky[k * d * d + j * d + j]) }
        prepared.logConstants.append(-Double(d) * halfLog2Pi - logDiagonal)
        for e in 0..<(d * d) { prepared.inverseCholesky[k * d * d + e] = prepared.cholesky[k * d * d + e] }
        let inverted = prepared.inverseCholesky.withUnsafeMutableBufferPointer {
          emz_lower_triangular_invert(d, $0.baseAddress! + k * d * d)
        }
        guard inverted == 0 else { throw NotPositiveDefinite(component: k) }
      }
    }
    return prepared
  }

  public func logDensities(_ x: UnsafePointer<Double>, rows: Int, prepared: Prepared,
                           into out: UnsafeMutablePointer<Double>) {
    let d = dimension, K = components
    if covariance.isDiagonal {
      // Independent coordinates: the kernel skips missing entries itself.
      emz_gaussian_logpdf_diag(x, rows, d, K, prepared.means, prepared.precisions, prepared.halfLogTerms, out)
      return
    }
    var cache = ConditionalNormalCache(covariances: prepared.covariances, dimension: d)
    forEachRun(x, rows: rows) { start, count, pattern in
      if let pattern {
        // Marginalise the missing coordinates: log N(x_O | μ_O, Σ_OO) per component.
        let conditionals = self.conditionals(pattern, cache: &cache)
        for k in 0..<K {
          out[start * K + k] = pattern.bits == 0 ? 0
            : conditionals[k].logDensity(x + start * d, mean: prepared.means.withUnsafeBufferPointer { $0.baseAddress! + k * d })
        }
      } else {
        emz_gaussian_logpdf_full(x + start * d, count, d, K, prepared.means, prepared.inverseCholesky,
                                 prepared.logConstants, out + start * K)
      }
    }
  }

  public func accumulate(_ x: UnsafePointer<Double>, rows: Int, weights: UnsafePointer<Double>,
                         prepared: Prepared, into statistics: UnsafeMutablePointer<Double>) {
    let d = dimension, K = components
    if covariance.isDiagonal {
      emz_gaussian_accumulate_diag(x, rows, d, K, weights, prepared.means, statistics)
      return
    }
    var cache = ConditionalNormalCache(covariances: prepared.covariances, dimension: d)
    var completed = [Double](repeating: 0, count: d)
    let layout = emz_gaussian_full_layout_make(d)
    forEachRun(x, rows: rows) { start, count, pattern in
      guard let pattern else {
        emz_gaussian_accumulate_full(x + start * d, count, d, K, weights + start * K, prepared.means, statistics)
        return
      }
      // E[x | x_O, k] fills the missing block; E[(x−c)(x−c)ᵀ | x_O, k] adds the conditional
      // covariance of the missing block to the outer product of the completed row.
      let conditionals = self.conditionals(pattern, cache: &cache)
      for k in 0..<K {
        let w = weights[start * K + k]
        guard w != 0 else { continue }
        let c = conditionals[k]
        prepared.means.withUnsafeBufferPointer { means in
          completed.withUnsafeMutableBufferPointer { c.completed(x + start * d, mean: means.baseAddress! + k * d, into: $0.baseAddress!) }
          let centre = means.baseAddress! + k * d
          let block = statistics + k * layout.stride
          block[layout.count] += w
          for j in 0..<d { block[layout.sum + j] += w * (completed[j] - centre[j]) }
          let s2 = block + layout.scatter
          for j in 0..<d {
            let ej = w * (completed[j] - centre[j])
            for l in 0...j { s2[j * d + l] += ej * (completed[l] - centre[l]) }
          }
          let m = c.missing.count
          for a in 0..<m {
            for b in 0..<m where c.missing[b] <= c.missing[a] {
              s2[c.missing[a] * d + c.missing[b]] += w * c.conditionalCovariance[a * m + b]
            }
          }
        }
      }
    }
  }

  public func fusedMixtureExpectation(_ x: UnsafePointer<Double>, rows: Int, prepared: Prepared,
                                      logWeights: [Double], into statistics: UnsafeMutablePointer<Double>) -> Double? {
    let d = dimension, K = components
    guard d <= 64, K <= 64 else { return nil }
    if covariance.isDiagonal {
      return emz_mixture_estep_diag(x, rows, d, K, prepared.means, prepared.precisions, prepared.halfLogTerms,
                                    logWeights, statistics)
    }
    // Rows with missing entries need the conditional statistics of the unfused path (the scan
    // is vectorised C: it reads the chunk once per E step).
    if emz_has_nan(x, rows * d) != 0 { return nil }
    return emz_mixture_estep_full(x, rows, d, K, prepared.means, prepared.inverseCholesky, prepared.logConstants,
                                  logWeights, statistics)
  }

  /// Calls `body` for maximal runs of complete rows (pattern nil) and, one at a time, for rows
  /// with missing entries (with their pattern).
  private func forEachRun(_ x: UnsafePointer<Double>, rows: Int, _ body: (Int, Int, MissingPattern?) -> Void) {
    let d = dimension
    // Complete data (the usual case): one vectorised scan of the chunk, then one run.
    if emz_has_nan(x, rows * d) == 0 {
      if rows > 0 { body(0, rows, nil) }
      return
    }
    var runStart = 0
    for i in 0..<rows {
      var complete = true
      for j in 0..<d where x[i * d + j].isNaN { complete = false; break }
      if complete { continue }
      if i > runStart { body(runStart, i - runStart, nil) }
      body(i, 1, MissingPattern(row: x + i * d, dimension: d))
      runStart = i + 1
    }
    if rows > runStart { body(runStart, rows - runStart, nil) }
  }

  /// Each component's split of N(μₖ, Σₖ) by `pattern`, from `cache` (made from covariances
  /// that passed `prepare`, so every principal submatrix is positive definite).
  func conditionals(_ pattern: MissingPattern, cache: inout ConditionalNormalCache) -> [ConditionalNormal] {
    guard let made = cache.conditionals(pattern) else {
      preconditionFailure("a covariance accepted by prepare(_:) has a principal submatrix that is not positive definite")
    }
    return made
  }

  // MARK: - M step

  public func maximize(_ statistics: UnsafeBufferPointer<Double>, previous: Parameters) -> Parameters {
    covariance.isDiagonal ? maximizeDiagonal(statistics, previous: previous) : maximizeFull(statistics, previous: previous)
  }

  func maximizeFull(_ s: UnsafeBufferPointer<Double>, previous: Parameters) -> Parameters {
    let K = components, d = dimension, layout = emz_gaussian_full_layout_make(d)
    var means = previous.means
    var covariances = [Double](repeating: 0, count: K * d * d)
    var pooled = [Double](repeating: 0, count: d * d)
    var pooledCount = 0.0
    for k in 0..<K {
      let block = s.baseAddress! + k * layout.stride
      let n = block[layout.count]
      guard n > 0 else {
        for e in 0..<(d * d) { covariances[k * d * d + e] = previous.covariances[k * d * d + e] }
        continue
      }
      let s1 = block + layout.sum, s2 = block + layout.scatter
      // x̄ = c + S1/N and the scatter W = S2 − S1 S1ᵀ / N about x̄ (lower triangle).
      var mean = (0..<d).map { previous.means[k * d + $0] + s1[$0] / n }
      var scatter = [Double](repeating: 0, count: d * d)
      for j in 0..<d {
        for l in 0...j {
          let w = s2[j * d + l] - s1[j] * s1[l] / n
          scatter[j * d + l] = w
          scatter[l * d + j] = w
        }
      }
      var denominator = n
      if let prior {
        denominator = prior.degreesOfFreedom + n + Double(d) + 1
        if let location = prior.location, prior.shrinkage > 0 {
          let kappa = prior.shrinkage
          let shift = (0..<d).map { mean[$0] - location[$0] }
          let factor = kappa * n / (kappa + n)
          for j in 0..<d { for l in 0..<d { scatter[j * d + l] += factor * shift[j] * shift[l] } }
          mean = (0..<d).map { (n * mean[$0] + kappa * location[$0]) / (n + kappa) }
          denominator += 1
        }
        if covariance == .full { for e in 0..<(d * d) { scatter[e] += prior.scale[e] } }
      }
      if let held = heldMeans {
        // The scatter about the held means: W + N (x̄ − μ)(x̄ − μ)ᵀ.
        let shift = (0..<d).map { mean[$0] - held[k * d + $0] }
        for j in 0..<d { for l in 0..<d { scatter[j * d + l] += n * shift[j] * shift[l] } }
        mean = Array(held[(k * d)..<((k + 1) * d)])
      }
      for j in 0..<d { means[k * d + j] = mean[j] }
      if covariance == .tied {
        for e in 0..<(d * d) { pooled[e] += scatter[e] }
        pooledCount += denominator - (prior.map { $0.degreesOfFreedom + Double(d) + 1 } ?? 0)
      } else {
        var sigma = scatter.map { $0 / denominator }
        raiseEigenvalues(&sigma, dimension: d, atLeast: covarianceFloor)
        covariances.replaceSubrange((k * d * d)..<((k + 1) * d * d), with: sigma)
      }
    }
    if covariance == .tied {
      // One matrix: Σ = (Ψ + Σₖ Wₖ) / (ν + d + 1 + Σₖ(Nₖ + [κ > 0])).
      var denominator = pooledCount
      if let prior {
        for e in 0..<(d * d) { pooled[e] += prior.scale[e] }
        denominator += prior.degreesOfFreedom + Double(d) + 1
      }
      for e in 0..<(d * d) { pooled[e] /= denominator }
      raiseEigenvalues(&pooled, dimension: d, atLeast: covarianceFloor)
      for k in 0..<K { for e in 0..<(d * d) { covariances[k * d * d + e] = pooled[e] } }
    }
    return Parameters(means: means, covariances: covariances)
  }

  func maximizeDiagonal(_ s: UnsafeBufferPointer<Double>, previous: Parameters) -> Parameters {
    let K = components, d = dimension, layout = emz_gaussian_diag_layout_make(d)
    var means = previous.means
    var covariances = [Double](repeating: 0, count: K * d * d)
    for k in 0..<K {
      let block = s.baseAddress! + k * layout.stride
      var variances = (0..<d).map { previous.covariances[k * d * d + $0 * d + $0] }
      var scatterTotal = 0.0, countTotal = 0.0
      for j in 0..<d {
        // Per dimension: the weight of the rows where it is observed, Σ w(x − c), Σ w(x − c)².
        let n = block[layout.observed + layout.per_dimension * j]
        let sum = block[layout.sum + layout.per_dimension * j], square = block[layout.square + layout.per_dimension * j]
        guard n > 0 else { continue }
        let shift = sum / n
        means[k * d + j] = previous.means[k * d + j] + shift
        var scatter = max(square - sum * shift, 0)
        if let held = heldMeans {
          let offset = means[k * d + j] - held[k * d + j]
          scatter += n * offset * offset
          means[k * d + j] = held[k * d + j]
        }
        variances[j] = scatter / n
        scatterTotal += scatter
        countTotal += n
      }
      if covariance == .spherical, countTotal > 0 {
        let shared = scatterTotal / countTotal
        variances = [Double](repeating: shared, count: d)
      }
      // The floor as a constraint (σ² ≥ ε): the exact maximiser, so EM stays monotone.
      for j in 0..<d { covariances[k * d * d + j * d + j] = max(variances[j], covarianceFloor) }
    }
    return Parameters(means: means, covariances: covariances)
  }

  // MARK: - Degeneracy

  /// Whether some covariance has an eigenvalue at the floor ε (within a relative 1e-6): the
  /// floor constraint is active, so the component has collapsed onto rows it fits with the
  /// smallest variance allowed; without the floor the likelihood there is unbounded. Never
  /// true with a floor of 0.
  public func isDegenerate(_ p: Parameters) -> Bool {
    guard covarianceFloor > 0 else { return false }
    let d = dimension, threshold = covarianceFloor * (1 + 1e-6)
    let matrices = covariance == .tied ? 1 : components
    for k in 0..<matrices {
      let sigma = Array(p.covariances[(k * d * d)..<((k + 1) * d * d)])
      if hasEigenvalue(sigma, dimension: d, atMost: threshold) { return true }
    }
    return false
  }

  // MARK: - Prior

  public func logPrior(_ p: Parameters) -> Double {
    guard let prior else { return 0 }
    let d = dimension, nu = prior.degreesOfFreedom
    var scale = prior.scale
    guard emz_cholesky(d, &scale) == 0 else { return -.infinity }
    let logDetScale = (0..<d).reduce(0.0) { $0 + 2 * log(scale[$1 * d + $1]) }
    var logMultiGamma = Double(d * (d - 1)) / 4 * log(Double.pi)
    for j in 1...d { logMultiGamma += emz_lngamma(nu / 2 + Double(1 - j) / 2) }
    let matrices = covariance == .tied ? 1 : components
    var total = 0.0
    for k in 0..<matrices {
      guard let chol = SymmetricMatrix.inverseCholesky(Array(p.covariances[(k * d * d)..<((k + 1) * d * d)]), dimension: d)
      else { return -.infinity }
      // chol is L⁻¹, so Σ⁻¹ = L⁻ᵀ L⁻¹ and log|Σ| = −2 Σ log (L⁻¹)ⱼⱼ.
      let logDet = (0..<d).reduce(0.0) { $0 - 2 * log(chol[$1 * d + $1]) }
      // tr(Ψ Σ⁻¹) = Σ_{a,b} Ψ_ab (Σ⁻¹)_ab
      let inverse = SymmetricMatrix.inverse(fromInverseCholesky: chol, dimension: d)
      var trace = 0.0
      for e in 0..<(d * d) { trace += prior.scale[e] * inverse[e] }
      total += nu / 2 * logDetScale - nu * Double(d) / 2 * log(2) - logMultiGamma
        - (nu + Double(d) + 1) / 2 * logDet - trace / 2
    }
    if let location = prior.location, prior.shrinkage > 0 {
      let kappa = prior.shrinkage
      for k in 0..<components {
        let m = covariance == .tied ? 0 : k
        guard let chol = SymmetricMatrix.inverseCholesky(Array(p.covariances[(m * d * d)..<((m + 1) * d * d)]), dimension: d)
        else { return -.infinity }
        let logDet = (0..<d).reduce(0.0) { $0 - 2 * log(chol[$1 * d + $1]) }
        var q = 0.0
        for j in 0..<d {
          var z = 0.0
          for l in 0...j { z += chol[j * d + l] * (p.means[k * d + l] - location[l]) }
          q += z * z
        }
        total += -Double(d) / 2 * log(2 * Double.pi) + Double(d) / 2 * log(kappa) - logDet / 2 - kappa * q / 2
      }
    }
    return total
  }

  /// A column with no observed value would get invented parameters (a mean of 0, a variance of 1).
  public func validateForFitting(_ data: DataSet) throws { try data.requireObservedColumns() }

  /// Squares of values beyond 10¹⁵⁰ overflow double precision in the scatter statistics.
  public func validate(_ data: DataSet) throws {
    let bound = 1e150
    try IndependentDimensions.validate(
      data, expected: "a value of magnitude below 1e150 (rescale the column: its squares overflow double precision)",
      scan: { emz_first_not_bounded($0, $1, bound) }
    ) { abs($0) < bound }
  }

  // MARK: - Repairs and sampling

  public func reseeded(_ p: Parameters, component k: Int, at row: UnsafePointer<Double>) -> Parameters {
    var q = p
    for j in 0..<dimension where !row[j].isNaN { q.means[k * dimension + j] = row[j] }
    return q
  }

  public func sample(component k: Int, prepared: Prepared, random: RandomSource,
                     into row: UnsafeMutablePointer<Double>) {
    let d = dimension
    if covariance.isDiagonal {
      for j in 0..<d { row[j] = prepared.means[k * d + j] + random.gaussian(sigma: prepared.deviations[k * d + j]) }
    } else {
      prepared.means.withUnsafeBufferPointer { m in
        prepared.cholesky.withUnsafeBufferPointer { c in
          random.multivariateGaussian(mean: m.baseAddress! + k * d, cholesky: c.baseAddress! + k * d * d,
                                      dimension: d, into: row)
        }
      }
    }
  }

  public func blocks(_ p: Parameters) -> [(name: String, perComponent: [[Double]])] {
    let d = dimension
    return [
      ("means", (0..<components).map { Array(p.means[($0 * d)..<(($0 + 1) * d)]) }),
      ("covariances", (0..<components).map { Array(p.covariances[($0 * d * d)..<(($0 + 1) * d * d)]) }),
    ]
  }

  public func permuted(_ p: Parameters, by order: [Int]) -> Parameters {
    let d = dimension
    return Parameters(
      means: order.flatMap { p.means[($0 * d)..<(($0 + 1) * d)] },
      covariances: order.flatMap { p.covariances[($0 * d * d)..<(($0 + 1) * d * d)] })
  }
}
