import ArgumentParser
import EMZooCore
import EMZooModels
import EMZooSpec

struct Sample: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Draw synthetic observations from a spec's parameters.",
    discussion: """
      Example:
        emzoo sample models/gaussian-2d-full.json --n 1000 --seed 7 --output blobs.csv
      """)

  @Argument(help: "The model spec (JSON).")
  var spec: String
  @Option(parsing: .unconditional, help: "Number of observations (required).")
  var n: Int
  @Option(help: "Random seed.")
  var seed: UInt64 = 1
  @Option(help: "Output file (default: stdout): CSV, or NumPy .npy (float64) when the name ends in .npy.")
  var output: String?
  @Flag(help: "Add the hidden component/state as a column 'latent'.")
  var latent = false

  func run() throws {
    try checkOutputPath(output, reading: [spec])
    let (spec, model) = try loadModel(spec)
    let count = try checkedCount(n, dimension: model.dimension, streaming: model.streamsSamples)
    _ = try Limits.seed(seed, "--seed")
    try withOutput(output, inputs: [self.spec]) { writer in
      if let output, output.lowercased().hasSuffix(".npy") {
        try model.sampleNpy(spec: spec, count: count, seed: seed, latent: latent) { try writer.write($0) }
      } else {
        try model.sampleCSV(spec: spec, count: count, seed: seed, latent: latent) { try writer.write($0) }
      }
    }
  }
}
