internal import EMZooCore
public import EMZooModels

/// Spec I/O shared by the per-dimension families: one K×d matrix under `parameterKey`.
extension PerDimensionFamily {
  public var parameterKeys: [String] { [Self.parameterKey] }

}

/// A `{ "shape"/"a": …, "rate"/"b": … }` prior object: the first value ≥ 1 (so the
/// posterior mode is interior) and the second positive and ≥ `minimumSecond`.
func priorHyperparameters(_ field: Field, names: (String, String), minimumSecond: Double) throws -> (Double, Double)? {
  guard field.isPresent else { return nil }
  try field.object(allowing: [names.0, names.1])
  let a = try field[names.0].number(), b = try field[names.1].number()
  guard a >= 1 else { throw field[names.0].error("expected a number ≥ 1 (the MAP estimate needs it), found \(JSONValue.format(a))") }
  guard b > 0, b >= minimumSecond else {
    throw field[names.1].error("expected a number ≥ \(JSONValue.format(max(minimumSecond, 0))) and > 0, found \(JSONValue.format(b))")
  }
  return (a, b)
}

/// `poisson`: d independent counts per component; prior `rates {shape, rate}` (Gamma).
let poissonFamilyKind = FamilyKind(
  name: "poisson", summary: "mixture of K products of d independent Poisson counts", priorKeys: ["rates"]
) { context in
  PoissonFamily(
    components: context.components, dimension: try context.dimension(fromMatrix: "rates"),
    prior: try PoissonFamily.decodePrior(context.spec.prior))
}

/// `bernoulli`: d independent bits per component; prior `probabilities {a, b}` (Beta).
let bernoulliFamilyKind = FamilyKind(
  name: "bernoulli", summary: "mixture of K products of d independent Bernoulli bits (latent class analysis)",
  priorKeys: ["probabilities"]
) { context in
  BernoulliFamily(
    components: context.components, dimension: try context.dimension(fromMatrix: "probabilities"),
    prior: try BernoulliFamily.decodePrior(context.spec.prior))
}

extension PoissonFamily: SpecifiedFamily {
  public func decode(_ field: Field) throws -> Parameters {
    let rates = try field["rates"].matrix(rows: components, columns: dimension)
    if let e = rates.firstIndex(where: { !($0 > 0) }) {
      throw field["rates"].error("expected positive rates; entry [\(e / dimension)][\(e % dimension)] is \(JSONValue.format(rates[e]))")
    }
    return Parameters(rates: rates)
  }

  static func decodePrior(_ field: Field) throws -> (shape: Double, rate: Double)? {
    try priorHyperparameters(field["rates"], names: ("shape", "rate"), minimumSecond: 0)
      .map { (shape: $0.0, rate: $0.1) }
  }
}

extension BernoulliFamily: SpecifiedFamily {
  public func decode(_ field: Field) throws -> Parameters {
    let p = try field["probabilities"].matrix(rows: components, columns: dimension)
    if let e = p.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
      throw field["probabilities"].error("expected probabilities in [0, 1]; entry [\(e / dimension)][\(e % dimension)] is \(JSONValue.format(p[e]))")
    }
    return Parameters(probabilities: p)
  }

  static func decodePrior(_ field: Field) throws -> (a: Double, b: Double)? {
    try priorHyperparameters(field["probabilities"], names: ("a", "b"), minimumSecond: 1)
      .map { (a: $0.0, b: $0.1) }
  }
}
