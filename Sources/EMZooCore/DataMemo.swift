import Foundation

/// What a model derives from a data set's rows once and reads again later in the same process:
/// a Bernoulli mixture packs the rows into bits while it checks them (`GenerativeModel.validate`),
/// and the fit, the report's ICL, `predict` and `score` then use that copy instead of reading the
/// `Double` matrix again.
///
/// One memo per data set, shared by its copies. A copy may have changed its rows (another
/// matrix, a window of rows), so whatever is stored here must be able to tell whether it
/// describes the data set it is read from, and the reader must ask it (`BitPackedRows.describes`
/// compares the matrix's address, and keeps that matrix alive so that the address cannot be
/// reused). Entries are keyed by their type; the core stores them without knowing what they are.
public final class DataMemo: @unchecked Sendable {
  private let lock = NSLock()
  private var entries: [ObjectIdentifier: AnyObject] = [:]

  public init() {}

  /// The stored value of type `T`, if any.
  public func value<T: AnyObject & Sendable>(_ type: T.Type) -> T? {
    lock.withLock { entries[ObjectIdentifier(type)] as? T }
  }

  /// Stores `value`, replacing the value of its type.
  public func store<T: AnyObject & Sendable>(_ value: T) {
    lock.withLock { entries[ObjectIdentifier(T.self)] = value }
  }

  /// The stored value of type `T` if `fits` says it describes the caller's rows, else the one
  /// `make` returns (stored when not nil). Callers asking for the same type at once (starts
  /// running on several threads) wait for one `make` instead of each making their own; other
  /// types are not held up.
  public func value<T: AnyObject & Sendable>(
    _ type: T.Type, where fits: (T) -> Bool, orMake make: () throws -> T?
  ) rethrows -> T? {
    let maker = lock.withLock {
      if let existing = makers[ObjectIdentifier(type)] { return existing }
      let created = NSLock()
      makers[ObjectIdentifier(type)] = created
      return created
    }
    return try maker.withLock {
      if let kept = value(type), fits(kept) { return kept }
      guard let made = try make() else { return nil }
      store(made)
      return made
    }
  }

  /// One lock per type for `value(_:where:orMake:)`.
  private var makers: [ObjectIdentifier: NSLock] = [:]
}
