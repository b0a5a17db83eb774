import EMZooSpec
import Foundation
import EMZooCore
import EMZooModels

/// Terminal tables of fit results; the library returns numbers, only the command line prints.
enum ResultTable {
  /// The coefficient table: term, estimate, standard error, z, two-sided normal p-value, and
  /// the complete-case estimate.
  static func regressionTable(_ result: JSONValue) -> String? {
    guard let parameters = result["parameters"], let estimates = numbers(parameters["coefficients"]),
          let noise = numbers(parameters["noiseVariance"])?.first else { return nil }
    let p = estimates.count - 1
    guard let response = string(result["options"]?["response"]) else { return nil }
    let names = strings(result["columns"])?.filter { $0 != response } ?? []
    let terms = ["(intercept)"] + (names.count == p ? names : (1...max(p, 1)).map { "x\($0)" })
    let errors = numbers(result["standardErrors"]?["coefficients"])
    let noiseError = numbers(result["standardErrors"]?["noiseVariance"])?.first
    let baseline = numbers(result["completeCase"]?["coefficients"])
    let baselineNoise = numbers(result["completeCase"]?["noiseVariance"])?.first
    let n = numbers(result["n"])?.first.map { Int($0) }
    let complete = numbers(result["completeCase"]?["n"])?.first.map { Int($0) }

    let width = max(14, terms.map(\.count).max() ?? 0)
    func pad(_ s: String, _ w: Int, left: Bool = false) -> String {
      let fill = String(repeating: " ", count: max(0, w - s.count))
      return left ? s + fill : fill + s
    }
    func number(_ x: Double?) -> String { x.map { String(format: "%.6g", $0) } ?? "-" }
    func error(_ x: Double?) -> String { x.map { String(format: "%.4g", $0) } ?? "-" }
    var lines = ["regression of \(response) on \(names.joined(separator: ", "))"
      + (n.map { ": n = \($0)" } ?? "") + (complete.map { ", \($0) complete rows" } ?? "")]
    lines.append("  " + pad("term", width, left: true) + pad("estimate", 13) + pad("SE", 13) + pad("z", 10)
      + pad("p-value", 11) + pad("complete-case", 15))
    for (j, term) in terms.enumerated() {
      let se = errors.flatMap { j < $0.count ? $0[j] : nil }
      var zText = "-", pText = "-"
      if let se, se > 0 {
        let z = estimates[j] / se
        zText = String(format: "%.2f", z)
        let pValue = erfc(abs(z) / 2.0.squareRoot())
        pText = pValue > 0 ? String(format: "%.3g", pValue) : "<1e-300"
      }
      let cc = baseline.flatMap { j < $0.count ? $0[j] : nil }
      lines.append("  " + pad(term, width, left: true) + pad(number(estimates[j]), 13) + pad(error(se), 13)
        + pad(zText, 10) + pad(pText, 11) + pad(number(cc), 15))
    }
    lines.append("  " + pad("noise variance", width, left: true) + pad(number(noise), 13) + pad(error(noiseError), 13)
      + pad("", 21) + pad(number(baselineNoise), 15))
    if let failure = string(result["standardErrors"]?["failure"]) {
      lines.append("  no standard errors: \(failure)")
    }
    if let failure = string(result["completeCase"]?["failure"]) {
      lines.append("  no complete-case estimate: \(failure)")
    }
    lines.append("  SE from the observed information at the MLE; z = estimate/SE; p-value two-sided normal.")
    lines.append("  complete-case: least squares on the rows with nothing missing (σ² = RSS/n).")
    return lines.joined(separator: "\n")
  }

  static func numbers(_ value: JSONValue?) -> [Double]? {
    switch value {
    case .number(let x)?: return [x]
    case .array(let items)?:
      let xs = items.compactMap { item -> Double? in if case .number(let x) = item { return x } else { return nil } }
      return xs.count == items.count ? xs : nil
    default: return nil
    }
  }

  static func strings(_ value: JSONValue?) -> [String]? {
    guard case .array(let items)? = value else { return nil }
    let names = items.compactMap { string($0) }
    return names.count == items.count ? names : nil
  }

  static func string(_ value: JSONValue?) -> String? {
    if case .string(let s)? = value { return s }
    return nil
  }
}
