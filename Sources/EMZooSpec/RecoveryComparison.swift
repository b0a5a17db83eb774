internal import EMZooCore
internal import EMZooModels

extension RecoveryReport {
  /// The recovery error of each parameter in `estimate` against `truth`, measured like the
  /// fit's entries (max |estimate − truth| / max(1, |truth|) over the entries).
  ///
  /// Both are parameter objects shaped as in a spec; members of `estimate` that are not among
  /// `truth`'s (a row count, say) are ignored. It puts a baseline estimate written into a fit
  /// result, such as `missing-data-regression`'s `completeCase`, beside the EM recovery.
  public static func errors(of estimate: JSONValue, against truth: JSONValue) -> [Entry] {
    guard case .object(let members) = truth else { return [] }
    return members.compactMap { member in
      guard let value = estimate[member.key] else { return nil }
      let t = flattened(member.value), e = flattened(value)
      guard t.count == e.count, !t.isEmpty else { return nil }
      return Entry(name: member.key, error: zip(t, e).map { abs($1 - $0) / max(1, abs($0)) }.max() ?? 0)
    }
  }

  /// Every number in a JSON value, depth first.
  static func flattened(_ value: JSONValue) -> [Double] {
    switch value {
    case .number(let x): return [x]
    case .array(let items): return items.flatMap(flattened)
    default: return []
    }
  }
}
