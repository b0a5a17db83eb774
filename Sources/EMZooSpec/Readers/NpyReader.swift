internal import CKernels
public import EMZooCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

// MARK: - Reading NumPy .npy files
//
// API (also used by the MPI reader, which reads one rank's rows):
//
//   NpyReader.isNpy(path:)                      -> Bool     `.npy` extension or `\x93NUMPY` magic
//   NpyReader.header(path:)                     -> NpyHeader   shape, dtype, data offset
//   NpyReader.read(path:columns:sequence:rows:) -> DataSet  rows [start, end) (default all),
//                                                           mapping only their pages
//   NpyReader.parse(bytes:source:columns:sequence:) -> DataSet   an in-memory file (a pipe)
//   NpyWriter.header(rows:columns:)             -> [UInt8]  a version 1.0 '<f8' header, 64-aligned
//
// Column j is named `c<j>` (c0, c1, …). Errors are `InputError`s of one line naming the file.

/// The element type of an `.npy` array that emzoo reads.
public enum NpyElement: Sendable, Equatable {
  case float64, float32
  case signed(bytes: Int)
  case unsigned(bytes: Int)
  case bool

  /// Bytes per element.
  public var size: Int {
    switch self {
    case .float64: return 8
    case .float32: return 4
    case .signed(let b), .unsigned(let b): return b
    case .bool: return 1
    }
  }

  /// The element type of a little-endian (or byte-sized) `descr`, nil for any other.
  static func parse(_ descr: String) -> NpyElement? {
    let order = descr.first
    let code = String(descr.dropFirst())
    let single = ["b1", "i1", "u1"].contains(code)
    guard order == "<" || (order == "|" && single) || (order == "=" && isLittleEndianHost) else { return nil }
    switch code {
    case "f8": return .float64
    case "f4": return .float32
    case "b1": return .bool
    case "i1", "i2", "i4", "i8": return .signed(bytes: Int(code.dropFirst()) ?? 0)
    case "u1", "u2", "u4", "u8": return .unsigned(bytes: Int(code.dropFirst()) ?? 0)
    default: return nil
    }
  }

  static var isLittleEndianHost: Bool { 1.littleEndian == 1 }
}

/// The header of an `.npy` file: a 2-D C-order array of `rows` × `columns` elements starting
/// at byte `dataOffset`.
public struct NpyHeader: Sendable, Equatable {
  public var rows: Int
  public var columns: Int
  public var element: NpyElement
  public var dataOffset: Int

  /// The column names `c0`, `c1`, … of this file.
  public var columnNames: [String] { (0..<columns).map { "c\($0)" } }
  /// Bytes per row.
  public var rowBytes: Int { columns * element.size }
}

/// A reader of NumPy `.npy` files (format versions 1.0, 2.0 and 3.0) as `DataSet`s, through a
/// read-only memory map.
///
/// Accepted: a 2-D array in C order of little-endian float64 (`<f8`), float32 (`<f4`), signed
/// or unsigned integers (`<i1`…`<i8`, `<u1`…`<u8`) or booleans (`|b1`). NaN is a missing
/// entry; ±inf is an error, as in CSV. Integers and booleans have no missing value.
///
/// Zero copy: float64 with every column kept (no `columns` naming a subset or reordering, no
/// `sequence` column) is used in place — the `DataSet`'s values are the mapped file, so a fit
/// holds no copy of the data and the page cache decides what stays in memory. Every other case
/// (float32, integers, a column subset, a `sequence` column, a misaligned data offset, a pipe)
/// converts the kept columns into a `[Double]` once and unmaps the file.
///
/// The file must not be truncated while it is mapped (the mapping would fault); emzoo never
/// writes the files it reads.
public enum NpyReader {
  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

  /// Whether `path` names an `.npy` file: its extension is `.npy` (any case) or a regular file
  /// that starts with the `\x93NUMPY` magic.
  public static func isNpy(path: String) -> Bool {
    if (path as NSString).pathExtension.lowercased() == "npy" { return true }
    guard (try? InputFile.kind(path, what: "data file")) == .regular else { return false }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var first = [UInt8](repeating: 0, count: 6)
    let n = first.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 6) }
    return n == 6 && first == magic
  }

  /// Whether `bytes` start with the `.npy` magic.
  public static func hasMagic(_ bytes: [UInt8]) -> Bool { bytes.starts(with: magic) }

  /// The header of the `.npy` file at `path`, checked against its size.
  public static func header(path: String) throws -> NpyHeader {
    let fd = try openRegular(path)
    defer { close(fd) }
    return try header(descriptor: fd, source: path).header
  }

  /// Reads rows `rows` (default: all) of the `.npy` file at `path`, keeping `columns` (names
  /// `c<j>`; default: every column but `sequence`), with the sequence ids of consecutive rows in
  /// column `sequence` (a name `c<j>`, or nil for one sequence).
  ///
  /// Only the pages holding the rows are mapped (from the page boundary at or before the first
  /// row's first byte), so ranks of a distributed fit each map their own part. A pipe is read
  /// whole into memory and parsed with `parse(bytes:…)`.
  public static func read(path: String, columns wanted: [String]? = nil, sequence: String? = nil,
                          rows range: Range<Int>? = nil) throws -> DataSet {
    if try InputFile.kind(path, what: "data file") == .stream {
      let bytes = try InputFile.contents(path, what: "data file", limit: Int(min(Limits.physicalMemory / 2, 1e15)))
      return try parse(bytes: bytes, source: path, columns: wanted, sequence: sequence, rows: range)
    }
    let fd = try openRegular(path)
    defer { close(fd) }
    let (header, fileSize) = try header(descriptor: fd, source: path)
    let rows = try checkedRange(range, header: header, source: path)
    let plan = try Plan(header: header, wanted: wanted, sequence: sequence, source: path)
    let start = header.dataOffset + rows.lowerBound * header.rowBytes
    let length = rows.count * header.rowBytes
    precondition(start + length <= fileSize)
    guard length > 0 else { return DataSet(source: path, columns: plan.names, values: []) }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let alignedStart = start / page * page
    let (mapping, unmap) = try map(fd, length: length + (start - alignedStart), offset: alignedStart, path: path)
    let base = mapping + (start - alignedStart)
    if plan.isIdentity, header.element == .float64, Int(bitPattern: base) % MemoryLayout<Double>.alignment == 0 {
      let values = base.assumingMemoryBound(to: Double.self)
      if let bad = firstInfinite(values, count: rows.count * header.columns) {
        unmap()
        throw plan.infiniteError(row: rows.lowerBound + bad / header.columns, column: bad % header.columns)
      }
      let buffer = ExternalBuffer(base: values, count: rows.count * header.columns, release: unmap)
      var data = DataSet(source: path, columns: plan.names, storage: DataValues(buffer))
      data.firstLine = rows.lowerBound
      data.rowNoun = "row"
      return data
    }
    defer { unmap() }
    var data = try plan.dataSet(from: base, rows: rows.count, firstRow: rows.lowerBound)
    data.firstLine = rows.lowerBound
    data.rowNoun = "row"
    return data
  }

  /// Parses a whole `.npy` file held in memory (read from a pipe); always converts.
  public static func parse(bytes: [UInt8], source: String, columns wanted: [String]? = nil, sequence: String? = nil,
                           rows range: Range<Int>? = nil) throws -> DataSet {
    let header = try bytes.withUnsafeBytes { try parseHeader($0, source: source) }
    try checkSize(header, fileSize: bytes.count, source: source)
    let rows = try checkedRange(range, header: header, source: source)
    let plan = try Plan(header: header, wanted: wanted, sequence: sequence, source: source)
    guard !rows.isEmpty else { return DataSet(source: source, columns: plan.names, values: []) }
    var data = try bytes.withUnsafeBytes { raw in
      try plan.dataSet(from: raw.baseAddress! + header.dataOffset + rows.lowerBound * header.rowBytes,
                       rows: rows.count, firstRow: rows.lowerBound)
    }
    data.firstLine = rows.lowerBound
    data.rowNoun = "row"
    return data
  }

  /// `length` bytes of the file from `offset` (a multiple of the page size) mapped read-only,
  /// and the call that unmaps them. The mapping is guarded (`emz_mapped_guard_add`): a file
  /// truncated while mapped would raise SIGBUS at the first read past its new end, in the
  /// middle of a fit; instead the process exits with status 2 and one line naming the file
  /// (an `--output` file, written whole or not at all, is then not written).
  static func map(_ fd: Int32, length: Int, offset: Int = 0, path: String) throws
    -> (base: UnsafeRawPointer, unmap: @Sendable () -> Void)
  {
    let length = max(length, 1)
    guard let mapping = mmap(nil, length, PROT_READ, MAP_SHARED, fd, off_t(offset)), mapping != MAP_FAILED else {
      throw InputError("\(path): cannot map the data file into memory (\(String(cString: strerror(errno))))")
    }
    let slot = emz_mapped_guard_add(
      mapping, length, "\(Quote.text(path)): the file was truncated (or became unreadable) while it was read")
    let address = UInt(bitPattern: mapping)
    let unmap: @Sendable () -> Void = {
      emz_mapped_guard_remove(slot)
      if let p = UnsafeMutableRawPointer(bitPattern: address) { munmap(p, length) }
    }
    return (UnsafeRawPointer(mapping), unmap)
  }

  // MARK: Header

  static func openRegular(_ path: String) throws -> Int32 {
    _ = try InputFile.kind(path, what: "data file")
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw InputError("\(Quote.text(path)): cannot read the data file (\(String(cString: strerror(errno))))")
    }
    return fd
  }

  static func header(descriptor fd: Int32, source: String) throws -> (header: NpyHeader, fileSize: Int) {
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw InputError("\(source): cannot read the data file (\(String(cString: strerror(errno))))")
    }
    let fileSize = Int(info.st_size)
    // The header is at most a few KB (numpy caps it); read up to 1 MB of it.
    var bytes = [UInt8](repeating: 0, count: min(fileSize, 1 << 20))
    var got = 0
    while got < bytes.count {
      let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, $0.count - got, off_t(got)) }
      if n < 0, errno == EINTR { continue }
      guard n > 0 else { break }
      got += n
    }
    let header = try bytes[..<got].withUnsafeBytes { try parseHeader($0, source: source) }
    try checkSize(header, fileSize: fileSize, source: source)
    return (header, fileSize)
  }

  /// Parses the magic, version, header length and the header dictionary
  /// `{'descr': '<f8', 'fortran_order': False, 'shape': (n, d), }`.
  static func parseHeader(_ raw: UnsafeRawBufferPointer, source: String) throws -> NpyHeader {
    let expected = "expected a NumPy .npy file (np.save of a 2-D array)"
    guard raw.count >= 10, raw.starts(with: magic) else {
      throw InputError("\(source): not an .npy file (no \\x93NUMPY magic); \(expected)")
    }
    let major = raw[6], minor = raw[7]
    let lengthBytes: Int
    switch major {
    case 1: lengthBytes = 2
    case 2, 3: lengthBytes = 4
    default: throw InputError("\(source): .npy format version \(major).\(minor); expected version 1.0, 2.0 or 3.0")
    }
    guard raw.count >= 8 + lengthBytes else { throw InputError("\(source): truncated .npy header; \(expected)") }
    var headerLength = 0
    for b in 0..<lengthBytes { headerLength |= Int(raw[8 + b]) << (8 * b) }
    let dataOffset = 8 + lengthBytes + headerLength
    guard raw.count >= dataOffset else {
      throw InputError("\(source): truncated .npy header (\(headerLength) bytes announced, \(raw.count - 8 - lengthBytes) present); \(expected)")
    }
    let text = String(decoding: UnsafeRawBufferPointer(rebasing: raw[(8 + lengthBytes)..<dataOffset]), as: UTF8.self)
    let dictionary = try HeaderDictionary(text: text, source: source)
    let descr = try dictionary.string("descr")
    let fortran = try dictionary.boolean("fortran_order")
    let shape = try dictionary.tuple("shape")
    guard !fortran else {
      throw InputError("\(source): the array is in Fortran order; expected C order (write it with np.save(path, np.ascontiguousarray(x)))")
    }
    guard let element = NpyElement.parse(descr) else {
      let reason = descr.first == ">" ? "big-endian " : ""
      throw InputError("\(source): \(reason)dtype \(Quote.value(descr)); expected little-endian float64, float32, integer or bool ('<f8', '<f4', '<i1'…'<i8', '<u1'…'<u8', '|b1')")
    }
    guard shape.count == 2 else {
      let shown = "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
      throw InputError("\(source): array of shape \(shown); expected a 2-D array (rows, columns)")
    }
    guard shape[1] > 0 else { throw InputError("\(source): array of shape (\(shape[0]), 0); expected at least one column") }
    guard shape[0] > 0 else { throw InputError("\(source): array of shape (0, \(shape[1])); expected at least one data row") }
    return NpyHeader(rows: shape[0], columns: shape[1], element: element, dataOffset: dataOffset)
  }

  /// A truncated file is an error, not a fault when its missing pages are touched.
  static func checkSize(_ header: NpyHeader, fileSize: Int, source: String) throws {
    let (bytes, o1) = header.rows.multipliedReportingOverflow(by: header.rowBytes)
    let (total, o2) = bytes.addingReportingOverflow(header.dataOffset)
    guard !o1, !o2, total <= fileSize else {
      throw InputError("\(source): truncated .npy file: \(fileSize) bytes, expected \(o1 || o2 ? "more" : String(total)) for \(header.rows) rows of \(header.columns) columns")
    }
  }

  static func checkedRange(_ range: Range<Int>?, header: NpyHeader, source: String) throws -> Range<Int> {
    guard let range else { return 0..<header.rows }
    guard range.lowerBound >= 0, range.upperBound <= header.rows else {
      throw InputError("\(source): rows \(range.lowerBound)..<\(range.upperBound) requested; the file has \(header.rows) rows")
    }
    return range
  }

  /// The index of the first ±inf, if any.
  static func firstInfinite(_ values: UnsafePointer<Double>, count: Int) -> Int? {
    // A fast sweep first (no branch per entry), then the exact position only when needed.
    var bad = false
    var i = 0
    while i < count {
      let end = min(i + 65_536, count)
      var block = false
      for e in i..<end { block = block || values[e].isInfinite }
      if block { bad = true; break }
      i = end
    }
    guard bad else { return nil }
    return (i..<count).first { values[$0].isInfinite }
  }

  // MARK: Columns and conversion

  /// Which columns of the file become which columns of the data set.
  struct Plan {
    var header: NpyHeader
    var kept: [Int]
    var names: [String]
    var sequenceColumn: Int?
    var source: String

    init(header: NpyHeader, wanted: [String]?, sequence: String?, source: String) throws {
      self.header = header
      self.source = source
      let all = header.columnNames
      func index(_ name: String) throws -> Int {
        guard name.first == "c", let j = Int(name.dropFirst()), j >= 0, j < header.columns, "c\(j)" == name else {
          throw InputError("\(source): no column named \(Quote.value(name)); an .npy file's columns are c0…c\(header.columns - 1)")
        }
        return j
      }
      let sequenceIndex = try sequence.map(index)
      sequenceColumn = sequenceIndex
      if let wanted {
        kept = try wanted.map(index)
      } else {
        kept = (0..<header.columns).filter { $0 != sequenceIndex }
        guard !kept.isEmpty else { throw InputError("\(source): no data columns besides the sequence column") }
      }
      names = kept.map { all[$0] }
    }

    /// Every column in file order, no sequence column: the file's bytes are the matrix.
    var isIdentity: Bool { sequenceColumn == nil && kept == Array(0..<header.columns) }

    func infiniteError(row: Int, column: Int) -> InputError {
      InputError("\(source): row \(row), column \(Quote.value("c\(column)")): expected a finite number, found inf (write NaN for a missing value)")
    }

    /// Converts `rows` rows starting at `base` (file row `firstRow`) into an array data set.
    func dataSet(from base: UnsafeRawPointer, rows: Int, firstRow: Int = 0) throws -> DataSet {
      let d = kept.count, stride = header.columns, element = header.element
      var failure: InputError? = nil
      var sequenceStarts: [Int] = []
      var previousID = 0.0
      let values = [Double](unsafeUninitializedCapacity: rows * d) { out, initialized in
        var row = [Double](repeating: 0, count: stride)
        for i in 0..<rows {
          let rowBase = base + i * header.rowBytes
          for j in 0..<stride { row[j] = Self.load(element, rowBase, j) }
          for (slot, j) in kept.enumerated() {
            let x = row[j]
            if x.isInfinite, failure == nil { failure = infiniteError(row: firstRow + i, column: j) }
            out[i * d + slot] = x
          }
          if let s = sequenceColumn {
            let id = row[s]
            if i == 0 || !(id == previousID) { sequenceStarts.append(i) }
            previousID = id
          }
        }
        initialized = rows * d
      }
      if let failure { throw failure }
      var sequences: [Range<Int>]? = nil
      if sequenceColumn != nil {
        sequences = sequenceStarts.indices.map { k in
          sequenceStarts[k]..<(k + 1 < sequenceStarts.count ? sequenceStarts[k + 1] : rows)
        }
      }
      return DataSet(source: source, columns: names, values: values, sequences: sequences)
    }

    /// Element `j` of the row at `p` as a Double (unaligned loads: any header length works).
    @inline(__always)
    static func load(_ element: NpyElement, _ p: UnsafeRawPointer, _ j: Int) -> Double {
      switch element {
      case .float64: return Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * j, as: UInt64.self)))
      case .float32: return Double(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * j, as: UInt32.self))))
      case .bool: return p.load(fromByteOffset: j, as: UInt8.self) != 0 ? 1 : 0
      case .signed(1): return Double(p.load(fromByteOffset: j, as: Int8.self))
      case .signed(2): return Double(Int16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * j, as: Int16.self)))
      case .signed(4): return Double(Int32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * j, as: Int32.self)))
      case .signed: return Double(Int64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * j, as: Int64.self)))
      case .unsigned(1): return Double(p.load(fromByteOffset: j, as: UInt8.self))
      case .unsigned(2): return Double(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self)))
      case .unsigned(4): return Double(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * j, as: UInt32.self)))
      case .unsigned: return Double(UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * j, as: UInt64.self)))
      }
    }
  }
}

/// The header dictionary of an `.npy` file: a Python literal with string keys and values that
/// are strings, `True`/`False` or tuples of integers.
struct HeaderDictionary {
  var entries: [String: String] = [:]
  let source: String

  init(text: String, source: String) throws {
    self.source = source
    var s = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
    let malformed = InputError("\(source): malformed .npy header \(Quote.value(String(text.prefix(120)))); expected {'descr': …, 'fortran_order': …, 'shape': (…)}")
    guard s.first == "{", s.last == "}" else { throw malformed }
    s = s.dropFirst().dropLast()
    while true {
      s = s.drop { $0 == " " || $0 == "," }
      if s.isEmpty { break }
      guard let quote = s.first, quote == "'" || quote == "\"" else { throw malformed }
      s = s.dropFirst()
      guard let close = s.firstIndex(of: quote) else { throw malformed }
      let key = String(s[..<close])
      s = s[s.index(after: close)...].drop { $0 == " " }
      guard s.first == ":" else { throw malformed }
      s = s.dropFirst().drop { $0 == " " }
      let value: Substring
      if let open = s.first, open == "'" || open == "\"" || open == "(" {
        let closer: Character = open == "(" ? ")" : open
        guard let end = s.dropFirst().firstIndex(of: closer) else { throw malformed }
        value = s[...end]
        s = s[s.index(after: end)...]
      } else {
        let end = s.firstIndex(of: ",") ?? s.endIndex
        value = s[..<end]
        s = s[end...]
      }
      entries[key] = String(value).trimmingCharacters(in: .whitespaces)
    }
  }

  func value(_ key: String) throws -> String {
    guard let v = entries[key] else {
      throw InputError("\(source): .npy header has no '\(key)'; expected 'descr', 'fortran_order' and 'shape'")
    }
    return v
  }

  func string(_ key: String) throws -> String {
    let v = try value(key)
    guard v.count >= 2, let q = v.first, q == "'" || q == "\"", v.last == q else {
      throw InputError("\(source): .npy header '\(key)' is \(v); expected a dtype string such as '<f8' (structured dtypes are not read)")
    }
    return String(v.dropFirst().dropLast())
  }

  func boolean(_ key: String) throws -> Bool {
    switch try value(key) {
    case "True": return true
    case "False": return false
    case let v: throw InputError("\(source): .npy header '\(key)' is \(v); expected True or False")
    }
  }

  func tuple(_ key: String) throws -> [Int] {
    let v = try value(key)
    guard v.first == "(", v.last == ")" else { throw InputError("\(source): .npy header '\(key)' is \(v); expected a tuple of integers") }
    let parts = v.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }
    return try parts.map { part in
      guard let n = Int(part.hasSuffix("L") ? String(part.dropLast()) : part), n >= 0 else {
        throw InputError("\(source): .npy header '\(key)' is \(v); expected a tuple of non-negative integers")
      }
      return n
    }
  }
}

/// Writing `.npy` files: a version 1.0 header for a little-endian float64 C-order matrix,
/// padded with spaces (and a final newline) so the data starts at a multiple of 64 bytes.
public enum NpyWriter {
  /// The header bytes of a `rows` × `columns` float64 array.
  public static func header(rows: Int, columns: Int) -> [UInt8] {
    let dictionary = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
    var total = 10 + dictionary.utf8.count + 1
    total = (total + 63) / 64 * 64
    let length = total - 10
    var bytes = NpyReader.magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)]
    bytes += Array(dictionary.utf8)
    bytes += [UInt8](repeating: 0x20, count: total - bytes.count - 1)
    bytes.append(0x0A)
    return bytes
  }
}
