import ArgumentParser
import EMZooCore
import EMZooModels
import EMZooSpec

struct Impute: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fill in missing entries with their conditional expectations under a fitted model.",
    discussion: """
      Writes the data's selected columns with each missing entry replaced by E[missing | observed] \
      under the result's parameters (missing-data-regression, gaussian-mixture); observed entries are unchanged.

      Example:
        emzoo impute result.json --data incomplete.csv --output completed.csv
      """)

  @OptionGroup var io: ResultDataOutput

  func run() throws {
    let (spec, table, model) = try io.load()
    guard let imputed = try model.imputed(spec: spec, data: table) else {
      throw InputError("\(spec.file): model: \"\(spec.model)\" cannot impute missing values; impute works on \"missing-data-regression\" and \"gaussian-mixture\" models")
    }
    try emit(imputed.csv(), to: io.output, reading: [io.result, table.source])
  }
}
