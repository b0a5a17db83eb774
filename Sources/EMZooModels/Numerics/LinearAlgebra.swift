internal import CKernels
internal import EMZooCore

/// Small symmetric positive-definite algebra on row-major `[Double]` matrices (GSL's Cholesky).
enum SymmetricMatrix {
  /// A⁻¹ = L⁻ᵀ L⁻¹ from the inverse Cholesky factor L⁻¹ (n×n, lower) of A = L Lᵀ.
  static func inverse(fromInverseCholesky linv: [Double], dimension n: Int) -> [Double] {
    var inverse = [Double](repeating: 0, count: n * n)
    for a in 0..<n {
      for b in 0..<n {
        var s = 0.0
        for r in max(a, b)..<n { s += linv[r * n + a] * linv[r * n + b] }
        inverse[a * n + b] = s
      }
    }
    return inverse
  }

  /// L⁻¹ (lower) with A = L Lᵀ, or nil when A is not positive definite.
  static func inverseCholesky(_ a: [Double], dimension n: Int) -> [Double]? {
    var factor = a
    guard n == 0 || (emz_cholesky(n, &factor) == 0 && emz_lower_triangular_invert(n, &factor) == 0) else { return nil }
    return factor
  }

  /// A⁻¹, or nil when A is not positive definite.
  static func inverse(_ a: [Double], dimension n: Int) -> [Double]? {
    inverseCholesky(a, dimension: n).map { inverse(fromInverseCholesky: $0, dimension: n) }
  }
}
