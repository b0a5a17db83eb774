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
    var row: [Double] = []
    try sampleOutputBlocks(spec: spec, count: count, seed: seed, latent: latent, bytesPerValue: 8) { block, done, sequence in
      let d = block.dimension
      let labels = block.latent
      let width = (sequence != nil ? 1 : 0) + d + (labels != nil ? 1 : 0)
      if done == 0 {
        try NpyWriter.header(rows: count, columns: width).withUnsafeBytes { try write($0) }
      }
      var out = [Double]()
      out.reserveCapacity(block.rows * width)
      for i in 0..<block.rows {
        row.removeAll(keepingCapacity: true)
        if let sequence { row.append(Double(sequence(done + i))) }
        for j in 0..<d { row.append(block.values[i * d + j]) }
        if let labels { row.append(Double(labels[i])) }
        out += row
      }
      for i in out.indices { out[i] = Double(bitPattern: out[i].bitPattern.littleEndian) }
      try out.withUnsafeBytes { try write($0) }
    }
  }
}
