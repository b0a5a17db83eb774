/// The entries of a `DataSet`: a row-major matrix of `Double` held either in an array or in
/// memory owned by someone else (a read-only memory map of an `.npy` file).
///
/// It reads like `[Double]` — `values[i]`, `.count`, slicing, `withUnsafeBufferPointer` —
/// so the E step sees one contiguous buffer whichever way the data arrived. Writing an entry
/// of external storage first copies it into an array (copy on write); nothing in a fit writes.
public struct DataValues: RandomAccessCollection, MutableCollection, Sendable, ExpressibleByArrayLiteral,
  Equatable
{
  enum Storage: Sendable {
    case array([Double])
    case external(ExternalBuffer)
  }
  var storage: Storage

  /// Entries held in an array.
  public init(_ array: [Double]) { storage = .array(array) }
  /// Entries held in `buffer` (not copied; `buffer` stays alive as long as these values).
  public init(_ buffer: ExternalBuffer) { storage = .external(buffer) }
  public init(arrayLiteral elements: Double...) { storage = .array(elements) }

  public var startIndex: Int { 0 }
  public var endIndex: Int {
    switch storage {
    case .array(let a): return a.count
    case .external(let b): return b.count
    }
  }

  public subscript(position: Int) -> Double {
    get {
      switch storage {
      case .array(let a): return a[position]
      case .external(let b):
        precondition(position >= 0 && position < b.count, "DataValues index out of range")
        return b.base[position]
      }
    }
    set {
      var a = array
      storage = .array([])
      a[position] = newValue
      storage = .array(a)
    }
  }

  /// Whether the entries live in external (memory-mapped) storage rather than an array.
  public var isExternal: Bool {
    if case .external = storage { return true }
    return false
  }

  /// The entries as an array (a copy for external storage).
  public var array: [Double] {
    switch storage {
    case .array(let a): return a
    case .external(let b): return Array(UnsafeBufferPointer(start: b.base, count: b.count))
    }
  }

  /// Calls `body` with the entries as one contiguous buffer, like `Array.withUnsafeBufferPointer`.
  public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
    switch storage {
    case .array(let a): return try a.withUnsafeBufferPointer(body)
    case .external(let b): return try body(UnsafeBufferPointer(start: b.base, count: b.count))
    }
  }

  public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R? {
    try withUnsafeBufferPointer(body)
  }

  public static func == (a: DataValues, b: DataValues) -> Bool {
    a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.elementsEqual(y) } }
  }
}

/// Read-only memory owned elsewhere (typically a memory-mapped file), kept alive by this
/// object and released by `release` when the last `DataValues` using it goes away.
///
/// The memory must not change while the object lives; `base` must be aligned for `Double`.
public final class ExternalBuffer: @unchecked Sendable {
  public let base: UnsafePointer<Double>
  public let count: Int
  private let release: @Sendable () -> Void

  public init(base: UnsafePointer<Double>, count: Int, release: @escaping @Sendable () -> Void) {
    self.base = base
    self.count = count
    self.release = release
  }

  deinit { release() }
}
