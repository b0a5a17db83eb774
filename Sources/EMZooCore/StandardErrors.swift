import Foundation

/// Standard errors of maximum-likelihood estimates from the observed information, for any
/// model with parameter coordinates (`EMModel.coordinates(_:)`).
///
/// With c the unconstrained coordinates at the MLE and ℓ the observed-data log-likelihood,
///
///     I = −∇²ℓ(c),   Cov(c) ≈ I⁻¹,   Cov(θ) ≈ J I⁻¹ Jᵀ,   J = ∂θ/∂c,
///
/// where θ is the flat list of the model's parameter entries (in the spec's order) and J the
/// delta method's Jacobian. The Hessian is found by central differences of ℓ, each value one
/// E step through the engine's `ExpectationRunner` (2m² E steps for m free coordinates), with
/// steps hᵢ = 10⁻⁴·max(1, |cᵢ|); J by central differences of the coordinate map (no E step).
///
/// Coordinates of held (fixed) blocks and coordinates on the boundary of the parameter space
/// (`CoordinateBlock.isOnBoundary`) are left out: the likelihood is not quadratic there. Their
/// entries, and the entries `isOnBoundary` flags, get no standard error (nil). With a prior the
/// information is still that of the likelihood alone (the MAP estimate's usual approximation).
public enum StandardErrors {
  /// What could not be computed, in one sentence.
  public struct Failure: Error, CustomStringConvertible, Sendable {
    public var description: String
  }

  /// The standard errors of the flat entries of `flatten(parameters)` (nil where none), with
  /// notes on the entries left out.
  ///
  /// - Parameters:
  ///   - flatten: the parameter entries as named blocks, in the order the result lists them.
  ///   - held: names of blocks held fixed (coordinate blocks and entry blocks of that name).
  ///   - isOnBoundary: whether an entry (block name, value) is at the edge of its space.
  public static func compute<Model: EMModel>(
    _ model: Model, data: DataSet, at parameters: Model.Parameters,
    flatten: (Model.Parameters) -> [(name: String, values: [Double])],
    held: Set<String> = [], isOnBoundary: (String, Double) -> Bool = { _, _ in false }, threads: Int = 1
  ) -> Result<(errors: [Double?], notes: [String]), Failure> {
    let model = model.adapted(to: data)
    guard let c = model.coordinates(parameters) else {
      return .failure(Failure(description: "this model has no parameter coordinates, so no standard errors"))
    }
    let blocks = model.coordinateBlocks(parameters)
    var free: [Int] = []
    var notes: [String] = []
    for block in blocks {
      if held.contains(block.name) { continue }
      for i in block.range {
        if block.isOnBoundary(c[i]) {
          notes.append("\(block.name): coordinate \(i - block.range.lowerBound) is on the boundary of the parameter space; its entries get no standard error")
        } else {
          free.append(i)
        }
      }
    }
    let runner = ExpectationRunner(model: model, data: data, threads: threads)
    func logLikelihood(_ x: [Double]) -> Double {
      guard let p = model.parameters(fromCoordinates: x, like: parameters), let prepared = try? model.prepare(p) else {
        return .nan
      }
      return runner.run(prepared).logLikelihood
    }
    let m = free.count
    let h = free.map { 1e-4 * max(1, abs(c[$0])) }
    let center = logLikelihood(c)
    var information = [Double](repeating: 0, count: m * m)
    func at(_ steps: [(Int, Double)]) -> Double {
      var x = c
      for (a, s) in steps { x[free[a]] += s }
      return logLikelihood(x)
    }
    for a in 0..<m {
      let second = (at([(a, h[a])]) - 2 * center + at([(a, -h[a])])) / (h[a] * h[a])
      information[a * m + a] = -second
      for b in 0..<a {
        let mixed = (at([(a, h[a]), (b, h[b])]) - at([(a, h[a]), (b, -h[b])]) - at([(a, -h[a]), (b, h[b])])
          + at([(a, -h[a]), (b, -h[b])])) / (4 * h[a] * h[b])
        information[a * m + b] = -mixed
        information[b * m + a] = -mixed
      }
    }
    guard information.allSatisfy(\.isFinite) else {
      return .failure(Failure(description: "the log-likelihood is not finite near the estimate"))
    }
    guard let covariance = SymmetricMatrix.inverse(information, dimension: m) else {
      return .failure(Failure(description: "the observed information is not positive definite (a parameter is not identified, or the fit is not at a maximum)"))
    }
    // The delta method: J (entries × free coordinates) by central differences of the map.
    let base = flatten(parameters)
    let names = base.flatMap { block in block.values.map { _ in block.name } }
    let values = base.flatMap(\.values)
    var jacobian = [Double](repeating: 0, count: values.count * m)
    for a in 0..<m {
      var up = c, down = c
      up[free[a]] += h[a]
      down[free[a]] -= h[a]
      guard let pu = model.parameters(fromCoordinates: up, like: parameters),
            let pd = model.parameters(fromCoordinates: down, like: parameters) else {
        return .failure(Failure(description: "the parameters leave their space next to the estimate"))
      }
      let vu = flatten(pu).flatMap(\.values), vd = flatten(pd).flatMap(\.values)
      for e in values.indices { jacobian[e * m + a] = (vu[e] - vd[e]) / (2 * h[a]) }
    }
    var errors: [Double?] = []
    var flagged: [String: Int] = [:]
    for e in values.indices {
      if held.contains(names[e]) {
        errors.append(nil)
        continue
      }
      if isOnBoundary(names[e], values[e]) {
        flagged[names[e], default: 0] += 1
        errors.append(nil)
        continue
      }
      var variance = 0.0
      for a in 0..<m {
        let ja = jacobian[e * m + a]
        guard ja != 0 else { continue }
        for b in 0..<m { variance += ja * covariance[a * m + b] * jacobian[e * m + b] }
      }
      errors.append(max(variance, 0).squareRoot())
    }
    for (name, count) in flagged.sorted(by: { $0.key < $1.key }) {
      notes.append("\(name): \(count) entr\(count == 1 ? "y is" : "ies are") on the boundary of the parameter space; standard error null")
    }
    return .success((errors, notes))
  }
}

/// Inversion of a symmetric positive-definite matrix by its Cholesky factor.
public enum SymmetricMatrix {
  /// A⁻¹ (n×n, row-major), or nil when A is not positive definite.
  public static func inverse(_ a: [Double], dimension n: Int) -> [Double]? {
    var L = [Double](repeating: 0, count: n * n)
    for j in 0..<n {
      for l in 0...j {
        var s = a[j * n + l]
        for k in 0..<l { s -= L[j * n + k] * L[l * n + k] }
        if l == j {
          guard s > 0, s.isFinite else { return nil }
          L[j * n + j] = s.squareRoot()
        } else {
          L[j * n + l] = s / L[l * n + l]
        }
      }
    }
    // Columns of A⁻¹ by forward and back substitution.
    var inverse = [Double](repeating: 0, count: n * n)
    var y = [Double](repeating: 0, count: n)
    for column in 0..<n {
      for i in 0..<n {
        var s = i == column ? 1.0 : 0.0
        for k in 0..<i { s -= L[i * n + k] * y[k] }
        y[i] = s / L[i * n + i]
      }
      for i in stride(from: n - 1, through: 0, by: -1) {
        var s = y[i]
        for k in (i + 1)..<n { s -= L[k * n + i] * inverse[k * n + column] }
        inverse[i * n + column] = s / L[i * n + i]
      }
    }
    return inverse
  }
}
