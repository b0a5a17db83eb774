import Foundation

/// The covariance floor as a constraint: the symmetric matrix Σ (d×d, row-major) replaced by
/// V·max(Λ, ε)·Vᵀ, its eigenvalues raised to at least ε.
///
/// This is the exact maximiser of the Gaussian M step's objective −½N(log|Σ| + tr(Σ⁻¹S))
/// over {Σ ⪰ εI} (the unconstrained maximiser S with its small eigenvalues clipped), so EM with
/// a floor still never decreases the likelihood. Adding ε to the diagonal instead
/// (scikit-learn's `reg_covar`) maximises nothing fixed, and near a collapsing component EM
/// can then go down. A matrix whose eigenvalues are all ≥ ε is returned unchanged.
///
/// Cyclic Jacobi rotations (Golub & Van Loan, *Matrix Computations*, §8.5): O(d³) per sweep,
/// a few sweeps; the M step calls it once per component and iteration.
func raiseEigenvalues(_ m: inout [Double], dimension d: Int, atLeast floor: Double) {
  guard d > 0 else { return }
  if d == 1 {
    m[0] = max(m[0], floor)
    return
  }
  // Cheap exit: a Cholesky of Σ − εI succeeds exactly when every eigenvalue is ≥ ε.
  var shifted = m
  for j in 0..<d { shifted[j * d + j] -= floor }
  if choleskySucceeds(&shifted, d) { return }
  var a = m
  var v = [Double](repeating: 0, count: d * d)
  for j in 0..<d { v[j * d + j] = 1 }
  for _ in 0..<50 {
    var off = 0.0
    for p in 0..<d { for q in (p + 1)..<d { off += a[p * d + q] * a[p * d + q] } }
    if off <= 1e-30 * max(1, (0..<d).reduce(0.0) { $0 + a[$1 * d + $1] * a[$1 * d + $1] }) { break }
    for p in 0..<(d - 1) {
      for q in (p + 1)..<d where a[p * d + q] != 0 {
        let theta = (a[q * d + q] - a[p * d + p]) / (2 * a[p * d + q])
        let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
        let c = 1 / (t * t + 1).squareRoot(), s = t * c
        for k in 0..<d {  // A ← A J (columns p, q)
          let akp = a[k * d + p], akq = a[k * d + q]
          a[k * d + p] = c * akp - s * akq
          a[k * d + q] = s * akp + c * akq
        }
        for k in 0..<d {  // A ← Jᵀ A (rows p, q)
          let apk = a[p * d + k], aqk = a[q * d + k]
          a[p * d + k] = c * apk - s * aqk
          a[q * d + k] = s * apk + c * aqk
        }
        for k in 0..<d {  // V ← V J
          let vkp = v[k * d + p], vkq = v[k * d + q]
          v[k * d + p] = c * vkp - s * vkq
          v[k * d + q] = s * vkp + c * vkq
        }
      }
    }
  }
  let lambda = (0..<d).map { max(a[$0 * d + $0], floor) }
  for i in 0..<d {
    for j in 0...i {
      var x = 0.0
      for k in 0..<d { x += v[i * d + k] * lambda[k] * v[j * d + k] }
      m[i * d + j] = x
      m[j * d + i] = x
    }
  }
}

/// Whether the symmetric matrix Σ (d×d, row-major) has an eigenvalue ≤ t: exactly when Σ − tI
/// has no Cholesky factor (is not positive definite).
func hasEigenvalue(_ m: [Double], dimension d: Int, atMost t: Double) -> Bool {
  var shifted = m
  for j in 0..<d { shifted[j * d + j] -= t }
  return !choleskySucceeds(&shifted, d)
}

/// Whether the symmetric matrix (overwritten) has a Cholesky factor (is positive definite).
private func choleskySucceeds(_ a: inout [Double], _ d: Int) -> Bool {
  for j in 0..<d {
    var s = a[j * d + j]
    for k in 0..<j { s -= a[j * d + k] * a[j * d + k] }
    guard s > 0 else { return false }
    let l = s.squareRoot()
    a[j * d + j] = l
    for i in (j + 1)..<d {
      var t = a[i * d + j]
      for k in 0..<j { t -= a[i * d + k] * a[j * d + k] }
      a[i * d + j] = t / l
    }
  }
  return true
}
