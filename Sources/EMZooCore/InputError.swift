/// Bad input: a spec, a data file or a flag that is not what emzoo expects.
///
/// The message names the file and the field or line, and what was expected; the CLI prints
/// it as one line and exits with status 2.
public struct InputError: Error, CustomStringConvertible, Sendable {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// A number as error messages and JSON write it: integers without a point, non-finite as null.
public func formatNumber(_ x: Double) -> String {
  guard x.isFinite else { return "null" }
  if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
  return "\(x)"
}
