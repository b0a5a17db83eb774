import Foundation

/// log(Σᵢ exp(xᵢ)), computed without overflow.
///
///     logSumExp(x) = m + log Σᵢ exp(xᵢ − m),   m = maxᵢ xᵢ
///
/// Returns -infinity for an empty collection or one of -infinity only.
/// - Complexity: O(n).
public func logSumExp<Values: Collection<Double>>(_ x: Values) -> Double {
  let m = x.max() ?? -.infinity
  guard m > -.infinity else { return -.infinity }
  guard m < .infinity else { return .infinity }
  return m + log(x.reduce(0) { $0 + exp($1 - m) })
}
