internal import EMZooModels
internal import EMZooCore
/// `sample` in bounded memory: rows are drawn in blocks from one random source and written
/// as CSV block by block, giving the same bytes as drawing them all at once.
extension SpecifiedModel {
  /// Calls `write` with the CSV text of `count` rows sampled from the spec's parameters: the
  /// header and rows exactly as `sampleData(…).csv()` prints them, in pieces of about a
  /// megabyte when the kind allows it (`sampleBlockRows`), else in one piece.
  public func sampleCSV(spec: ModelSpec, count: Int, seed: UInt64, latent: Bool,
                        write: (String) throws -> Void) throws {
    try sampleOutputBlocks(spec: spec, count: count, seed: seed, latent: latent, bytesPerValue: 10) { data, done, sequence in
      let rows = data.rows
      var out = ""
      if done == 0 {
        var header = (sequence != nil ? ["sequence"] : []) + data.columns
        if data.latent != nil { header.append("latent") }
        out += header.joined(separator: ",") + "\n"
      }
      out.reserveCapacity(rows * (data.dimension + 1) * 10)
      let d = data.dimension
      for i in 0..<rows {
        if let sequence { out += String(sequence(done + i)) + "," }
        for j in 0..<d {
          if j > 0 { out += "," }
          let x = data.values[i * d + j]
          if x.isNaN { continue }
          out += (x == x.rounded() && abs(x) < 1e15) ? String(Int64(x)) : "\(x)"
        }
        if let labels = data.latent { out += "," + String(labels[i]) }
        out += "\n"
      }
      try write(out)
    }
  }

  /// Draws `count` rows from the spec's parameters in blocks of about a megabyte of output
  /// (`bytesPerValue` per value; whole `sampleBlockRows` blocks when the kind has them), names
  /// their columns by the spec's `columns`, drops `latent` unless asked, and hands each block to
  /// `body` with the number of rows before it and, when the kind samples sequences and there
  /// is more than one, the sequence id of a row. The one sampling loop behind every output
  /// format, so CSV and `.npy` hold the same rows.
  func sampleOutputBlocks(
    spec: ModelSpec, count: Int, seed: UInt64, latent: Bool, bytesPerValue: Int,
    body: (_ block: DataSet, _ done: Int, _ sequence: ((Int) -> Int)?) throws -> Void
  ) throws {
    guard let truth = try specParameters(spec) else {
      throw spec.parameters.error("expected the model's parameters to sample from")
    }
    let random = RandomSource(seed: seed)
    let granularity = max(sampleBlockRows ?? 1, 1)
    let target = max(1, (1 << 20) / (bytesPerValue * (max(dimension, 1) + 1)))
    let sequence: ((Int) -> Int)? = (sampleBlockRows.map { $0 > 1 && count > $0 } ?? false) ? { $0 / granularity } : nil
    var done = 0
    try sampleInBlocks(truth, count: count, blockRows: target, random: random) { block in
      var data = block
      if let columns = spec.columns {
        guard columns.count == data.columns.count else {
          throw InputError("\(spec.file): columns: expected \(data.columns.count) names for this model, found \(columns.count)")
        }
        data.columns = columns
      }
      if !latent { data.latent = nil }
      try body(data, done, sequence)
      done += data.rows
    }
  }
}
