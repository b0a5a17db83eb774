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
  @Option(help: "Output CSV file (default: stdout).")
  var output: String?
  @Flag(help: "Add the hidden component/state as a column 'latent'.")
  var latent = false

  func run() throws {
    try checkOutputPath(output)
    let (spec, model) = try loadModel(spec)
    let count = try checkedCount(n, dimension: model.dimension)
    var data = try model.sampleData(spec: spec, count: count, seed: seed)
    if !latent { data.latent = nil }
    try emit(data.csv(), to: output)
  }
}
