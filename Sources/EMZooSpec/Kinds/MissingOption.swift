/// `options.missing` of a kind whose `sample` removes entries: `{ "rate": r, "mechanism": m }`
/// with 0 ≤ r < 1 and m one of the kind's mechanisms (default: the first). Fitting ignores it.
///
/// Both samplers' `MCAR` remove each entry independently with probability r but keep a row from
/// losing every entry (such a row is rejected as input) in different ways:
/// - a mixture (`MissingValues.remove`) always keeps one entry per row, chosen uniformly, and
///   removes each of the others with probability r: a realised rate of r(d − 1)/d for d columns;
/// - `missing-data-regression` redraws the whole mask of a row that would lose every entry: a
///   realised rate of r(1 − r^(d−1))/(1 − r^d), and the mask stays independent of the values.
///
/// `MAR` (regression only) is described at `MissingDataRegression.sample`.
struct MissingOption {
  var rate: Double
  var mechanism: String

  /// The option, or nil when `field` is absent.
  /// - Parameter mechanisms: the names allowed in `mechanism`, the default first.
  static func parse(_ field: Field, mechanisms: [String]) throws -> MissingOption? {
    guard field.isPresent else { return nil }
    try field.object(allowing: ["rate", "mechanism"])
    let rate = try field["rate"].number()
    guard rate >= 0, rate < 1 else { throw field["rate"].error("expected a rate in [0, 1), found \(JSONValue.format(rate))") }
    let mechanism = field["mechanism"].isPresent ? try field["mechanism"].choice(mechanisms) : mechanisms[0]
    return MissingOption(rate: rate, mechanism: mechanism)
  }
}
