import ArgumentParser
import EMZooCore
import EMZooModels
import EMZooSpec
import Foundation

struct Init: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a first spec for a data file.",
    discussion: """
      The spec lists the data's numeric columns explicitly, points "data" at the file \
      (relative to the spec's folder; to the current folder when the spec goes to stdout) and \
      has the default fit block (maxIterations 1000, tolerance 1e-8, restarts 3, seed 1, init \
      kmeans++). Text columns and columns of strictly increasing integers (row identifiers) are \
      left out, with a note on stderr. Without --components or --states, K = 2. The spec then \
      fits as written. An existing --output file is never overwritten.

      Example:
        emzoo init faithful.csv --model gaussian-mixture --components 3 --output faithful.json
        emzoo fit faithful.json --output result.json
      """)

  @Argument(help: "Data CSV with a header row.")
  var data: String
  @Option(help: "The model kind (see 'emzoo list').")
  var model: String
  @Option(help: "K, the number of mixture components (default: 2).")
  var components: Int?
  @Option(help: "K, the number of hmm states (default: 2).")
  var states: Int?
  @Option(help: "Covariance type: full, diagonal, spherical or tied (default: the kind's, full).")
  var covariance: String?
  @Option(help: "hmm emission family (default: gaussian).")
  var emission: String?
  @Option(help: "The response column (missing-data-regression).")
  var response: String?
  @Option(help: "Spec file to write (default: stdout); an existing file is refused.")
  var output: String?

  func run() throws {
    if let output {
      guard !FileManager.default.fileExists(atPath: output) else {
        throw InputError("\(output): already exists; init never overwrites a file (remove it or choose another --output)")
      }
      try checkOutputPath(output)
    }
    let registry = EMZooCommandLine.registry
    guard registry.kinds.contains(where: { $0.name == model }) else {
      throw InputError("--model: unknown model kind \"\(model)\"; expected one of \(registry.kinds.map(\.name).joined(separator: ", "))")
    }
    var options: [(key: String, value: JSONValue)] = []
    if let components {
      guard components >= 1 else { throw InputError("--components: expected an integer ≥ 1, found \(components)") }
      options.append(("components", .number(Double(components))))
    }
    if let states {
      guard states >= 1 else { throw InputError("--states: expected an integer ≥ 1, found \(states)") }
      options.append(("states", .number(Double(states))))
    }
    if let emission { options.append(("emission", .string(emission))) }
    if let covariance { options.append(("covariance", .string(covariance))) }
    if let response { options.append(("response", .string(response))) }
    let draft = try SpecDraft(dataPath: data, kind: model, options: options, specPath: output, registry: registry)
    for note in draft.notes { printError("emzoo: init: \(note)") }
    try emit(draft.spec.formatted() + "\n", to: output)
  }
}
