import Foundation

/// Row windows: under MPI, a process of a fit on more than `windowRows` rows holds only the
/// rows of the fixed blocks it computes (`BlockGrid.blocks(forRank:of:)`), or for an HMM the
/// rows of the chunks of whole sequences that start in them (`windowChunks`), read from the
/// file by the spec layer. The rows keep their global numbers: `values` spans every row (untouched,
/// unbacked memory outside the window), so a model indexes rows exactly as in a plain run and
/// the E step, which only visits the process's own blocks, needs no change. What loops over
/// every row outside the E step goes through `rowBlockSums` (sums added in block order, the
/// same bits for any number of processes) or gathers what it needs (`gatheringSample`).
extension DataSet {
  /// Above this many rows a distributed fit holds row windows; at or below it every process
  /// gathers the whole data (it is small) and the fit runs exactly as a plain one. The same as
  /// `initializationRows`, so a windowed fit always initialises from the gathered subsample.
  public static let windowRows = DataSet.initializationRows

  /// The rows this process holds (every row unless `held` says otherwise).
  public var heldRows: Range<Int> { held ?? 0..<rows }

  /// The rows process `rank` of `size` holds in a windowed fit of `rows` rows: the rows of
  /// its blocks of the fixed grid, ⌊rank·m/size⌋·B ..< min(⌊(rank+1)·m/size⌋·B, rows) with
  /// B = `BlockGrid.rowsPerBlock` and m = ⌈rows / B⌉ (empty when size > m).
  public static func window(rows: Int, rank: Int, of size: Int) -> Range<Int> {
    let grid = BlockGrid(chunks: [], rows: rows)
    let blocks = grid.blocks(forRank: rank, of: size)
    let B = BlockGrid.rowsPerBlock
    return min(blocks.lowerBound * B, rows)..<min(blocks.upperBound * B, rows)
  }

  /// Rows an HMM's E-step chunk of whole sequences reaches before it closes
  /// (`chunks(ofSequences:minimumRows:)`); `BlockGrid.rowsPerBlock` is a multiple of it.
  public static let sequenceChunkRows = 2048

  /// Consecutive non-empty sequences grouped until a group holds at least `minimumRows` rows
  /// (a longer sequence is a group of its own): an HMM's chunks, which depend only on the
  /// sequence lengths, so every process computes the same ones. Empty sequences are skipped.
  public static func chunks(ofSequences sequences: [Range<Int>], minimumRows: Int = sequenceChunkRows) -> [Range<Int>] {
    var chunks: [Range<Int>] = []
    var start: Int? = nil
    var end = 0
    for sequence in sequences where !sequence.isEmpty {
      let from = start ?? sequence.lowerBound
      start = from
      end = sequence.upperBound
      if end - from >= minimumRows {
        chunks.append(from..<end)
        start = nil
      }
    }
    if let start { chunks.append(start..<end) }
    return chunks
  }

  /// The rows process `rank` of `size` holds when its rows follow `chunks` (consecutive, in
  /// row order, covering 0..<rows): those of the chunks that start in its blocks of the fixed
  /// grid (`BlockGrid.chunks(in:)`), from the first one's start to the last one's end. Not
  /// block-aligned: it may reach past its blocks (a long sequence) or be empty (no chunk starts
  /// in its blocks), then at the next chunk's start. The windows of ranks 0..<size partition
  /// 0..<rows in rank order.
  public static func window(chunks: [Range<Int>], rows: Int, rank: Int, of size: Int) -> Range<Int> {
    let grid = BlockGrid(chunks: chunks, rows: rows)
    let owned = grid.chunks(in: grid.blocks(forRank: rank, of: size))
    let start = owned.lowerBound < chunks.count ? chunks[owned.lowerBound].lowerBound : rows
    return start..<(owned.isEmpty ? start : chunks[owned.upperBound - 1].upperBound)
  }

  /// The rows each of `size` processes holds in a windowed fit of this data: the fixed
  /// blocks' rows (`window(rows:rank:of:)`) or, with `windowChunks`, those of its chunks.
  public func windows(of size: Int) -> [Range<Int>] {
    (0..<size).map { q in
      windowChunks.map { DataSet.window(chunks: $0, rows: rows, rank: q, of: size) }
        ?? DataSet.window(rows: rows, rank: q, of: size)
    }
  }

  /// Whether sums over rows go block by block (`rowBlockSums`) rather than in one running sum:
  /// for windowed data, and for every data set of more than `windowRows` rows so that a plain
  /// run adds in the same order as a distributed one. Smaller data keeps its plain sums.
  public var sumsByBlock: Bool { held != nil || rows > DataSet.windowRows }

  /// Σ over every row of per-row quantities (`width` of them), block by block: `body(rows,
  /// sums)` adds the quantities of `rows` (at most one block, in row order; with
  /// `windowChunks`, one chunk, and a block's chunks in order into the block's sums) into
  /// `sums`; each process does its held blocks, and the block sums are added in block order
  /// over `group` (`BlockGrid.total(ofLocalBlockSums:width:group:)`): the same bits for any
  /// process count. Collective: every process of `group` must call it.
  public func rowBlockSums(
    width: Int, group: any ProcessGroup = Processes.group,
    _ body: (Range<Int>, UnsafeMutablePointer<Double>) -> Void
  ) -> [Double] {
    let B = BlockGrid.rowsPerBlock
    let units = windowChunks ?? stride(from: 0, to: rows, by: B).map { $0..<min($0 + B, rows) }
    let grid = BlockGrid(chunks: units, rows: rows)
    let size = held == nil ? 1 : group.size
    let owned = grid.blocks(forRank: held == nil ? 0 : group.rank, of: size)
    var local = [Double](repeating: 0, count: owned.count * width)
    local.withUnsafeMutableBufferPointer { out in
      for c in grid.chunks(in: owned) {
        body(units[c], out.baseAddress! + (grid.blockOfChunk[c] - owned.lowerBound) * width)
      }
    }
    if held == nil { return grid.total(ofBlockSums: local, width: width) }
    return grid.total(ofLocalBlockSums: local, width: width, group: group)
  }

  /// A copy whose `gatheredSample` holds the rows of `initializationSample()`, in row order,
  /// gathered from the processes of `group` (each contributes the sample rows it holds; the
  /// holders' windows are contiguous and in rank order, so the gathered rows are in row order
  /// and identical on every process). Unchanged when every row is held or the data is small.
  /// Collective.
  public func gatheringSample(group: any ProcessGroup = Processes.group) -> DataSet {
    guard let held, rows > DataSet.initializationRows else { return self }
    let order = DataSet.sampleRows(rows: rows)
    let d = dimension
    let counts = windows(of: group.size).map { w in DataSet.countInSorted(order, w) * d }
    var local: [Double] = []
    local.reserveCapacity(counts[group.rank])
    values.withUnsafeBufferPointer { all in
      for i in order where held.contains(i) {
        local.append(contentsOf: all[(i * d)..<((i + 1) * d)])
      }
    }
    var copy = self
    copy.gatheredSample = DataValues(group.allGather(local, counts: counts))
    return copy
  }

  /// How many of the increasing `sorted` lie in `range`.
  public static func countInSorted(_ sorted: [Int], _ range: Range<Int>) -> Int {
    func firstIndex(notBelow x: Int) -> Int {
      var lo = 0, hi = sorted.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if sorted[mid] < x { lo = mid + 1 } else { hi = mid }
      }
      return lo
    }
    return firstIndex(notBelow: range.upperBound) - firstIndex(notBelow: range.lowerBound)
  }

  /// Every row, gathered from the windows of the processes of `group` into one array (for
  /// small data and for models that need every row). Unchanged when every row is held.
  /// Collective.
  public func gatheringRows(group: any ProcessGroup = Processes.group) -> DataSet {
    guard let held else { return self }
    let d = dimension
    let counts = windows(of: group.size).map { $0.count * d }
    let local = values.withUnsafeBufferPointer { Array($0[(held.lowerBound * d)..<(held.upperBound * d)]) }
    var copy = self
    copy.values = DataValues(group.allGather(local, counts: counts))
    copy.held = nil
    copy.gatheredSample = nil
    copy.windowChunks = nil
    return copy
  }
}

extension DataValues {
  /// `count` entries of zero-filled memory reserved but not backed until written (an anonymous
  /// private mapping, MAP_NORESERVE): a row window writes only its rows, so the process's
  /// memory holds only them. The buffer unmaps the memory when it goes away; nil when the
  /// mapping fails.
  public static func reserved(count: Int) -> ExternalBuffer? {
    let length = Swift.max(1, count) * MemoryLayout<Double>.stride
    guard let mapping = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
          mapping != MAP_FAILED
    else { return nil }
    let memory = mapping.bindMemory(to: Double.self, capacity: Swift.max(1, count))
    let address = UInt(bitPattern: mapping)
    return ExternalBuffer(base: UnsafePointer(memory), count: count) {
      if let p = UnsafeMutableRawPointer(bitPattern: address) { munmap(p, length) }
    }
  }
}

extension DataSet {
  /// One record per block of `BlockGrid.rowsPerBlock` rows, in block order, on every process:
  /// `body(rows)` describes the rows of one block (any length); each process describes its held
  /// blocks and the records are gathered (collective when rows are windowed; with every row
  /// held, all blocks are described here). For per-block summaries that are merged in block
  /// order (groups by missingness pattern), which `rowBlockSums`' fixed width cannot hold.
  public func blockRecords(group: any ProcessGroup = Processes.group, _ body: (Range<Int>) -> [Double]) -> [[Double]] {
    precondition(windowChunks == nil, "block records follow the fixed blocks of rows")
    let B = BlockGrid.rowsPerBlock
    let blocks = stride(from: 0, to: rows, by: B).map { $0..<min($0 + B, rows) }
    guard held != nil, group.size > 1 else { return blocks.map(body) }
    let grid = BlockGrid(chunks: blocks, rows: rows)
    let owned = grid.blocks(forRank: group.rank, of: group.size).filter { $0 < blocks.count }
    let local = owned.map { body(blocks[$0]) }
    let ownedCounts = (0..<group.size).map { q in grid.blocks(forRank: q, of: group.size).filter { $0 < blocks.count }.count }
    let sizes = group.allGather(local.map { Double($0.count) }, counts: ownedCounts).map { Int($0) }
    var perRank: [Int] = []
    var next = 0
    for q in 0..<group.size {
      perRank.append(sizes[next..<(next + ownedCounts[q])].reduce(0, +))
      next += ownedCounts[q]
    }
    let payload = group.allGather(Array(local.joined()), counts: perRank)
    var records: [[Double]] = []
    var offset = 0
    for size in sizes {
      records.append(Array(payload[offset..<(offset + size)]))
      offset += size
    }
    return records
  }
}
