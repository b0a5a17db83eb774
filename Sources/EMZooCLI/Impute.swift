import ArgumentParser
import EMZoo

struct Impute: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fill in missing entries with their conditional expectations under a fitted model.",
    discussion: """
      Writes the data's selected columns with each missing entry replaced by E[missing | observed] \
      under the result's parameters (missing-data-regression); observed entries are unchanged.
      """)

  @Argument(help: "A fitted result (or any spec with parameters).")
  var result: String

  @Option(help: "Data CSV (default: the spec's \"data\").")
  var data: String?

  @Option(help: "Output CSV file (default: stdout).")
  var output: String?

  func run() throws {
    let spec = try ModelSpec.load(path: result)
    guard let path = data ?? spec.dataPath else {
      throw InputError("\(spec.file): no data: give --data FILE.csv or a \"data\" field in the spec")
    }
    let table = try CSVReader.read(path: path, columns: spec.columns)
    let model = try ModelKind.named(spec.model, in: spec).make(spec, table.dimension)
    guard let imputer = model as? any MissingValueImputer else {
      throw InputError("\(spec.file): model: \"\(spec.model)\" cannot impute missing values; impute works on \"missing-data-regression\" models")
    }
    try emit(imputer.imputed(spec: spec, data: table).csv(), to: output)
  }
}
