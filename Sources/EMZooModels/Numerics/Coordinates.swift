import Foundation

/// The unconstrained coordinate maps shared by every model: simplex log-ratios, logits, logs
/// and log-Cholesky factors, each with its inverse.
///
/// Values are clamped away from 0 (to 1e-300) before a logarithm, so a probability or weight
/// of exactly 0 gets a large negative (finite) coordinate. Inverses return nil when a value
/// would be non-finite.
public enum Coordinates {
  /// log(pₖ / p_{K−1}) for k < K − 1: K − 1 coordinates of a K-simplex.
  public static func logRatios(_ p: ArraySlice<Double>) -> [Double] {
    var c: [Double] = []
    c.reserveCapacity(max(p.count - 1, 0))
    appendLogRatios(p, to: &c)
    return c
  }

  /// `logRatios(p)` appended to `c`, with no array of its own: SQUAREM maps parameters to
  /// coordinates three times an iteration, and on a 107-row HMM the temporary arrays of a
  /// transition matrix's rows cost as much as an E step.
  public static func appendLogRatios(_ p: ArraySlice<Double>, to c: inout [Double]) {
    guard let last = p.last else { return }
    let reference = log(max(last, 1e-300))
    for value in p.dropLast() { c.append(log(max(value, 1e-300)) - reference) }
  }

  /// The simplex of `logRatios`: pₖ = exp(cₖ) / (1 + Σⱼ exp(cⱼ)), the last entry 1 / (1 + Σⱼ exp(cⱼ)).
  public static func simplex(_ c: ArraySlice<Double>) -> [Double]? {
    var p: [Double] = []
    p.reserveCapacity(c.count + 1)
    return appendSimplex(c, to: &p) ? p : nil
  }

  /// `simplex(c)` appended to `p` (true), or `p` unchanged when an entry would not be finite
  /// (false). The exps are scaled by the largest coordinate (or 1) and summed in order.
  public static func appendSimplex(_ c: ArraySlice<Double>, to p: inout [Double]) -> Bool {
    let top = max(c.max() ?? 0, 0)
    let start = p.count
    var total = 0.0
    for x in c {
      let scaled = exp(x - top)
      p.append(scaled)
      total += scaled
    }
    let last = exp(-top)
    p.append(last)
    total += last
    guard total.isFinite, total > 0 else {
      p.removeSubrange(start...)
      return false
    }
    var finite = true
    for i in start..<p.count {
      p[i] /= total
      finite = finite && p[i].isFinite
    }
    if !finite { p.removeSubrange(start...) }
    return finite
  }

  /// log(p / (1 − p)).
  public static func logit(_ p: Double) -> Double { log(max(p, 1e-300)) - log1p(-min(p, 1 - 1e-16)) }

  /// 1 / (1 + e^{−c}).
  public static func logistic(_ c: Double) -> Double { c >= 0 ? 1 / (1 + exp(-c)) : exp(c) / (1 + exp(c)) }

  /// The number of free entries of a d×d lower-triangular factor: d(d + 1)/2.
  public static func choleskyCount(_ d: Int) -> Int { d * (d + 1) / 2 }

  /// Σ = L Lᵀ as (log L₀₀, L₁₀, log L₁₁, L₂₀, L₂₁, log L₂₂, …) (row by row); nil when Σ (d×d,
  /// row-major) is not positive definite.
  public static func logCholesky(_ sigma: ArraySlice<Double>, dimension d: Int) -> [Double]? {
    let base = sigma.startIndex
    var L = [Double](repeating: 0, count: d * d)
    for j in 0..<d {
      for l in 0...j {
        var s = sigma[base + j * d + l]
        for m in 0..<l { s -= L[j * d + m] * L[l * d + m] }
        if l == j {
          guard s > 0, s.isFinite else { return nil }
          L[j * d + j] = s.squareRoot()
        } else {
          L[j * d + l] = s / L[l * d + l]
        }
      }
    }
    var c: [Double] = []
    c.reserveCapacity(choleskyCount(d))
    for j in 0..<d {
      for l in 0..<j { c.append(L[j * d + l]) }
      c.append(log(L[j * d + j]))
    }
    return c
  }

  /// The inverse of `logCholesky`: Σ = L Lᵀ (d×d, row-major), nil when not finite.
  public static func covariance(fromLogCholesky c: ArraySlice<Double>, dimension d: Int) -> [Double]? {
    var L = [Double](repeating: 0, count: d * d)
    var e = c.startIndex
    for j in 0..<d {
      for l in 0..<j {
        L[j * d + l] = c[e]
        e += 1
      }
      L[j * d + j] = exp(c[e])
      e += 1
    }
    var sigma = [Double](repeating: 0, count: d * d)
    for j in 0..<d {
      for l in 0...j {
        var s = 0.0
        for m in 0...l { s += L[j * d + m] * L[l * d + m] }
        sigma[j * d + l] = s
        sigma[l * d + j] = s
      }
    }
    guard sigma.allSatisfy(\.isFinite), (0..<d).allSatisfy({ sigma[$0 * d + $0] > 0 }) else { return nil }
    return sigma
  }
}
