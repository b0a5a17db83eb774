public import EMZooCore
internal import EMZooModels

extension SpecifiedModel {
  /// Whether an entry of the named block sits on the edge of its space: a probability
  /// (`weights`, `initial`, `transition`, `probabilities`) within 1e-8 of 0 or 1, or a `rates`
  /// entry below 1e-8 (the floors are 1e-10). Other blocks have no boundary here.
  static func isOnBoundary(_ name: String, _ value: Double) -> Bool {
    switch name {
    case "weights", "initial", "transition", "probabilities": return value <= 1e-8 || value >= 1 - 1e-8
    case "rates": return value <= 1e-8
    default: return false
    }
  }

  /// The result's `standardErrors` (shaped like `parameters`: each number replaced by its
  /// standard error, `null` where there is none) and notes, from `StandardErrors.compute`;
  /// or `{ "failure": … }` when they cannot be computed.
  public func standardErrorMembers(_ parameters: Parameters, data: DataSet, held: Set<String> = [], threads: Int = 1)
    -> (standardErrors: JSONValue, notes: [String])
  {
    let flat = blocks(parameters)
    switch StandardErrors.compute(self, data: data, at: parameters, flatten: { blocks($0) }, held: held,
                                  isOnBoundary: Self.isOnBoundary, threads: threads) {
    case .failure(let failure):
      return (.object([("failure", .string(failure.description))]), [])
    case .success(let (errors, notes)):
      guard case .object(let members) = encodeParameters(parameters) else {
        return (.object([("failure", .string("the parameters are not a JSON object"))]), notes)
      }
      var offsets: [String: Int] = [:]
      var start = 0
      for block in flat {
        offsets[block.name] = start
        start += block.values.count
      }
      var shaped: [(key: String, value: JSONValue)] = []
      for (key, value) in members {
        guard var next = offsets[key] else { continue }
        shaped.append((key, Self.replacingNumbers(value, with: errors, from: &next)))
      }
      return (.object(shaped), notes)
    }
  }

  /// `value` with its numbers, depth first, replaced by `errors[next…]` (`null` for nil).
  static func replacingNumbers(_ value: JSONValue, with errors: [Double?], from next: inout Int) -> JSONValue {
    switch value {
    case .number:
      defer { next += 1 }
      guard next < errors.count, let e = errors[next] else { return .null }
      return .number(e)
    case .array(let items):
      return .array(items.map { replacingNumbers($0, with: errors, from: &next) })
    case .object(let members):
      return .object(members.map { ($0.key, replacingNumbers($0.value, with: errors, from: &next)) })
    default:
      return value
    }
  }
}
