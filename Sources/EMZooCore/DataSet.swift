/// Observations as one contiguous row-major matrix of `Double`, NaN for a missing entry,
/// with the row ranges of independent sequences (for hidden Markov models).
///
/// The entries are an array or a read-only memory map (`DataValues`); a fit never copies them.
public struct DataSet: Sendable {
  /// Where the rows came from, for error messages.
  public var source: String
  public var columns: [String]
  public var rows: Int
  public var values: DataValues
  /// Consecutive row ranges that form independent sequences; one range when there is no
  /// `sequence` column.
  public var sequences: [Range<Int>]
  /// The hidden component or state of each row, when known (sampled data).
  public var latent: [Int]?
  /// The file line of row 0 (rows follow one per line).
  public var firstLine = 2
  /// What a row is called in error messages: "line" for text files, "row" for `.npy` files
  /// (whose rows are numbered from 0 with `firstLine` 0).
  public var rowNoun = "line"
  /// The rows whose values this process holds, when it holds only some (a rank of a
  /// distributed fit reading only its own rows; see `DataSet+Window.swift`); nil when every row
  /// is held. `values` still spans every row, but entries outside these rows are meaningless.
  public var held: Range<Int>? = nil
  /// The rows of `initializationSample()` gathered from every process, when `held` is not nil
  /// and the data has more than `initializationRows` rows.
  public var gatheredSample: DataValues? = nil
  /// The chunks of whole sequences (an HMM's E-step chunks, `DataSet.chunks(ofSequences:)`)
  /// that row windows and block sums follow instead of the fixed blocks of rows; nil for
  /// fixed blocks (see `DataSet+Window.swift`).
  public var windowChunks: [Range<Int>]? = nil
  /// Representations of the rows derived once and reused (see `DataMemo`); shared by copies.
  public let memo = DataMemo()

  public var dimension: Int { columns.count }

  public init(source: String, columns: [String], values: [Double], sequences: [Range<Int>]? = nil,
              latent: [Int]? = nil) {
    self.init(source: source, columns: columns, storage: DataValues(values), sequences: sequences, latent: latent)
  }

  /// A data set over `storage` (an array or external memory, used as is).
  public init(source: String, columns: [String], storage values: DataValues, sequences: [Range<Int>]? = nil,
              latent: [Int]? = nil) {
    precondition(columns.isEmpty ? values.isEmpty : values.count % columns.count == 0)
    self.source = source
    self.columns = columns
    self.rows = columns.isEmpty ? 0 : values.count / columns.count
    self.values = values
    self.sequences = sequences ?? [0..<(columns.isEmpty ? 0 : values.count / columns.count)]
    self.latent = latent
  }

  public subscript(row: Int, column: Int) -> Double { values[row * columns.count + column] }

  /// "FILE: line L, column 'x'" (or "row R" for an `.npy` file) for the entry at (row, column).
  public func place(row: Int, column: Int) -> String {
    "\(source): \(rowNoun) \(row + firstLine), column '\(columns[column])'"
  }

  /// Whether any entry is missing.
  public var hasMissing: Bool { values.withUnsafeBufferPointer { $0.contains { $0.isNaN } } }
}

extension DataSet {
  /// An in-memory table: one array per row, every row of the same length (NaN for a missing
  /// entry); columns are named x1, x2, … unless `columns` names them.
  public init(rows: [[Double]], columns: [String]? = nil, source: String = "data") throws {
    let d = rows.first?.count ?? columns?.count ?? 0
    guard d > 0 else { throw InputError("\(source): expected at least one column") }
    if let i = rows.firstIndex(where: { $0.count != d }) {
      throw InputError("\(source): row \(i) has \(rows[i].count) values, expected \(d) like row 0")
    }
    if let columns, columns.count != d {
      throw InputError("\(source): \(columns.count) column names for \(d) columns")
    }
    let values = Array(rows.joined())
    if let i = values.firstIndex(where: { $0.isInfinite }) {
      throw InputError("\(source): row \(i / d), column \(i % d): expected a finite number or NaN (missing)")
    }
    self.init(source: source, columns: columns ?? (1...d).map { "x\($0)" }, values: values)
    firstLine = 0
  }

  /// The rows as arrays (for callers that work with `[[Double]]`).
  public var rowArrays: [[Double]] {
    (0..<rows).map { Array(values[($0 * dimension)..<(($0 + 1) * dimension)]) }
  }
}
