internal import CKernels
import Foundation

/// The symmetric Dirichlet distribution, the prior of weights, initial probabilities,
/// transition rows and symbol tables.
public enum Dirichlet {
  /// log Dir(p | α,…,α) = log Γ(Kα) − K log Γ(α) + (α − 1) Σ log pₖ.
  public static func logDensity(_ p: [Double], concentration alpha: Double) -> Double {
    let K = Double(p.count)
    var total = emz_lngamma(K * alpha) - K * emz_lngamma(alpha)
    if alpha != 1 { total += (alpha - 1) * p.reduce(0) { $0 + log($1) } }
    return total
  }

  /// The M step of a probability vector from expected counts c: the mode of the posterior
  /// Dirichlet(c + α),
  ///
  ///     pₖ = max(cₖ + α − 1, 0) / (Σⱼ cⱼ + K(α − 1)),
  ///
  /// which is the maximum-likelihood cₖ / Σ c without a prior (α = 1, the default). Nil when
  /// the denominator is not positive (no counts and no prior): the caller keeps its value.
  public static func mode<Counts: Collection<Double>>(_ counts: Counts, concentration: Double? = nil) -> [Double]? {
    let alpha = concentration ?? 1
    let denominator = counts.reduce(0, +) + Double(counts.count) * (alpha - 1)
    guard denominator > 0 else { return nil }
    return counts.map { max($0 + alpha - 1, 0) / denominator }
  }
}
