public import EMZooCore
internal import EMZooModels

/// A JSON value with the place it came from, so every validation error can name the field.
public struct Field: Sendable {
  public var value: JSONValue?
  /// The dotted path, e.g. `parameters.means[1]`.
  public var path: String
  /// The file the value was read from.
  public var file: String

  public init(_ value: JSONValue?, path: String, file: String) {
    self.value = value
    self.path = path
    self.file = file
  }

  public func error(_ expected: String) -> InputError {
    InputError("\(file): \(path): \(expected)")
  }

  public var isPresent: Bool {
    if case .some(.null) = value { return false }
    return value != nil
  }

  public subscript(key: String) -> Field {
    Field(value?[key], path: path.isEmpty ? key : "\(path).\(key)", file: file)
  }

  private func found() -> String {
    guard let value else { return "it is missing" }
    if case .number(let x) = value { return "found \(JSONValue.format(x))" }
    if case .array(let a) = value { return "found an array of \(a.count)" }
    return "found \(value.typeName)"
  }

  public func number() throws -> Double {
    guard case .number(let x)? = value else { throw error("expected a number, \(found())") }
    return x
  }

  public func number(in range: ClosedRange<Double>, _ what: String) throws -> Double {
    let x = try number()
    guard range.contains(x) else { throw error("expected \(what), found \(JSONValue.format(x))") }
    return x
  }

  public func positiveNumber() throws -> Double {
    let x = try number()
    guard x > 0 else { throw error("expected a positive number, found \(JSONValue.format(x))") }
    return x
  }

  public func integer(atLeast minimum: Int) throws -> Int {
    guard case .number(let x)? = value, x == x.rounded(), abs(x) < 1e15 else {
      throw error("expected an integer ≥ \(minimum), \(found())")
    }
    guard Int(x) >= minimum else { throw error("expected an integer ≥ \(minimum), found \(Int(x))") }
    return Int(x)
  }

  public func string() throws -> String {
    guard case .string(let s)? = value else { throw error("expected a string, \(found())") }
    return s
  }

  public func bool() throws -> Bool {
    guard case .bool(let b)? = value else { throw error("expected true or false, \(found())") }
    return b
  }

  public func choice(_ allowed: [String]) throws -> String {
    let s = try string()
    guard allowed.contains(s) else {
      throw error("expected one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", ")), found \"\(s)\"")
    }
    return s
  }

  public func elements() throws -> [Field] {
    guard case .array(let items)? = value else { throw error("expected an array, \(found())") }
    return items.enumerated().map { Field($1, path: "\(path)[\($0)]", file: file) }
  }

  /// An array of exactly `count` numbers.
  public func vector(count: Int) throws -> [Double] {
    guard case .array(let items)? = value, items.count == count else {
      throw error("expected an array of \(count) numbers, \(found())")
    }
    return try elements().map { try $0.number() }
  }

  /// An array of numbers of any length.
  public func vector() throws -> [Double] {
    try elements().map { try $0.number() }
  }

  /// `rows` arrays of `columns` numbers, flattened row-major.
  public func matrix(rows: Int, columns: Int) throws -> [Double] {
    guard case .array(let items)? = value, items.count == rows else {
      throw error("expected \(rows) rows of \(columns) numbers, \(found())")
    }
    return try elements().flatMap { try $0.vector(count: columns) }
  }

  /// The number of columns of a non-empty matrix (the length of its first row).
  public func matrixColumns() throws -> Int {
    let rows = try elements()
    guard let first = rows.first else { throw error("expected a non-empty array of rows") }
    let count = try first.vector().count
    guard count > 0 else { throw first.error("expected a non-empty array of numbers") }
    return count
  }

  /// The members of an object.
  @discardableResult
  public func members() throws -> [(key: String, value: JSONValue)] {
    guard case .object(let members)? = value else { throw error("expected an object, \(found())") }
    return members
  }

  /// An object whose keys must all be among `allowed` (an unknown key is an error naming it).
  @discardableResult
  public func object(allowing allowed: [String]) throws -> [(key: String, value: JSONValue)] {
    let members = try members()
    for member in members where !allowed.contains(member.key) {
      throw self[member.key].error(
        "unknown key; expected one of \(allowed.joined(separator: ", "))")
    }
    return members
  }
}
