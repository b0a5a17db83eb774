public import EMZooCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

extension NpyReader {
  /// The `.npy` file at `path` with every row at its place but only the rows of `window`
  /// checked and touched: a distributed fit's process holds `window` (the caller sets
  /// `DataSet.held`). Float64 with every column kept maps the whole file (only the window's
  /// pages are ever read, so only they take memory); any other layout converts the window's
  /// rows into reserved memory (`DataValues.reserved`), the other rows untouched.
  /// A `sequence` column (an HMM's ids) is not kept; the caller sets the sequences.
  public static func readWindow(path: String, columns wanted: [String]? = nil, sequence: String? = nil,
                                window: Range<Int>) throws -> DataSet {
    let fd = try openRegular(path)
    defer { close(fd) }
    let (header, fileSize) = try header(descriptor: fd, source: path)
    let rows = try checkedRange(window, header: header, source: path)
    let plan = try Plan(header: header, wanted: wanted, sequence: sequence, source: path)
    let length = header.dataOffset + header.rows * header.rowBytes
    precondition(length <= fileSize)
    let (mapping, unmap) = try map(fd, length: length, path: path)
    let base = mapping + header.dataOffset
    let d = plan.kept.count
    if plan.isIdentity, header.element == .float64, Int(bitPattern: base) % MemoryLayout<Double>.alignment == 0 {
      let values = base.assumingMemoryBound(to: Double.self)
      if let bad = firstInfinite(values + rows.lowerBound * d, count: rows.count * d) {
        unmap()
        throw plan.infiniteError(row: rows.lowerBound + bad / d, column: bad % d)
      }
      var data = DataSet(source: path, columns: plan.names,
                         storage: DataValues(ExternalBuffer(base: values, count: header.rows * d, release: unmap)))
      data.firstLine = 0
      data.rowNoun = "row"
      return data
    }
    defer { unmap() }
    guard let buffer = DataValues.reserved(count: header.rows * d) else {
      throw InputError("\(path): cannot reserve memory for \(header.rows) rows")
    }
    // Converted a block at a time into the window's place.
    let memory = UnsafeMutablePointer(mutating: buffer.base)
    let block = 16384
    for start in stride(from: rows.lowerBound, to: rows.upperBound, by: block) {
      let count = min(block, rows.upperBound - start)
      let part = try plan.dataSet(from: base + start * header.rowBytes, rows: count, firstRow: start)
      part.values.withUnsafeBufferPointer { memory.advanced(by: start * d).update(from: $0.baseAddress!, count: count * d) }
    }
    var data = DataSet(source: path, columns: plan.names, storage: DataValues(buffer))
    data.firstLine = 0
    data.rowNoun = "row"
    return data
  }

  /// The rows of `range` that start a sequence: row 0, and every row whose id in column
  /// `sequence` (a name `c<j>`) is not equal to the previous row's (so a NaN id starts one), as
  /// `read(path:columns:sequence:)` splits them; only those rows (and the one before them) are
  /// read. `columns` are checked as `read` checks them.
  public static func sequenceStarts(path: String, columns wanted: [String]? = nil, sequence: String,
                                    rows range: Range<Int>) throws -> [Int] {
    let fd = try openRegular(path)
    defer { close(fd) }
    let (header, fileSize) = try header(descriptor: fd, source: path)
    let rows = try checkedRange(range, header: header, source: path)
    let plan = try Plan(header: header, wanted: wanted, sequence: sequence, source: path)
    guard let column = plan.sequenceColumn, !rows.isEmpty else { return [] }
    let length = header.dataOffset + header.rows * header.rowBytes
    precondition(length <= fileSize)
    let (mapping, unmap) = try map(fd, length: length, path: path)
    defer { unmap() }
    let base = mapping + header.dataOffset
    func id(_ i: Int) -> Double { Plan.load(header.element, base + i * header.rowBytes, column) }
    var previous = rows.lowerBound > 0 ? id(rows.lowerBound - 1) : 0
    var starts: [Int] = []
    for i in rows {
      let value = id(i)
      if i == 0 || !(value == previous) { starts.append(i) }
      previous = value
    }
    return starts
  }
}
