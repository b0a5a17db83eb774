internal import CKernels
import Foundation
internal import EMZooCore

/// The Dirichlet density, for priors on weights and transition rows.
enum Dirichlet {
  /// log Dir(p | α,…,α) = log Γ(Kα) − K log Γ(α) + (α − 1) Σ log pₖ.
  static func logDensity(_ p: [Double], concentration alpha: Double) -> Double {
    let K = Double(p.count)
    var total = emz_lngamma(K * alpha) - K * emz_lngamma(alpha)
    if alpha != 1 { total += (alpha - 1) * p.reduce(0) { $0 + log($1) } }
    return total
  }
}
