internal import EMZooModels
internal import EMZooCore

extension SpecifiedModel {
  /// Calls `write` with the bytes of an `.npy` file of `count` rows sampled from the spec's
  /// parameters: the same rows, in the same column order, as `sampleCSV` (a `sequence` id
  /// column first when the kind samples sequences, the data columns, then `latent` when asked),
  /// as a little-endian float64 C-order matrix (NaN where the CSV has an empty field) after a
  /// version 1.0 header padded to 64 bytes. Written block by block, in bounded memory.
  public func sampleNpy(spec: ModelSpec, count: Int, seed: UInt64, latent: Bool,
                        write: (UnsafeRawBufferPointer) throws -> Void) throws {
    guard let truth = try specParameters(spec) else {
      throw spec.parameters.error("expected the model's parameters to sample from")
    }
    let random = RandomSource(seed: seed)
    let granularity = max(sampleBlockRows ?? 1, 1)
    let target = max(1, (1 << 20) / (8 * max(dimension, 1) + 16))
    let sequenceIDs = sampleBlockRows.map { $0 > 1 && count > $0 } ?? false
    var done = 0
    var row: [Double] = []
    try sampleInBlocks(truth, count: count, blockRows: target, random: random) { block in
      let d = block.dimension
      if let columns = spec.columns, columns.count != d {
        throw InputError("\(spec.file): columns: expected \(d) names for this model, found \(columns.count)")
      }
      let labels = latent ? block.latent : nil
      let width = (sequenceIDs ? 1 : 0) + d + (labels != nil ? 1 : 0)
      if done == 0 {
        try NpyWriter.header(rows: count, columns: width).withUnsafeBytes { try write($0) }
      }
      var out = [Double]()
      out.reserveCapacity(block.rows * width)
      for i in 0..<block.rows {
        row.removeAll(keepingCapacity: true)
        if sequenceIDs { row.append(Double((done + i) / granularity)) }
        for j in 0..<d { row.append(block.values[i * d + j]) }
        if let labels { row.append(Double(labels[i])) }
        out += row
      }
      for i in out.indices { out[i] = Double(bitPattern: out[i].bitPattern.littleEndian) }
      try out.withUnsafeBytes { try write($0) }
      done += block.rows
    }
  }
}
