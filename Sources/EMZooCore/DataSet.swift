/// Observations as one contiguous row-major matrix of `Double`, NaN for a missing entry,
/// with the row ranges of independent sequences (for hidden Markov models).
public struct DataSet: Sendable {
  /// Where the rows came from, for error messages.
  public var source: String
  public var columns: [String]
  public var rows: Int
  public var values: [Double]
  /// Consecutive row ranges that form independent sequences; one range when there is no
  /// `sequence` column.
  public var sequences: [Range<Int>]
  /// The hidden component or state of each row, when known (sampled data).
  public var latent: [Int]?
  /// The file line of row 0 (rows follow one per line).
  public var firstLine = 2

  public var dimension: Int { columns.count }

  public init(source: String, columns: [String], values: [Double], sequences: [Range<Int>]? = nil,
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

  /// "FILE: line L, column 'x'" for the entry at (row, column).
  public func place(row: Int, column: Int) -> String {
    "\(source): line \(row + firstLine), column '\(columns[column])'"
  }

  /// Whether any entry is missing.
  public var hasMissing: Bool { values.contains { $0.isNaN } }
}
