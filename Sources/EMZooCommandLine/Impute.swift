import ArgumentParser
import EMZooCore
import EMZooModels
import EMZooSpec

struct Impute: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fill in missing entries with their conditional expectations under a fitted model.",
    discussion: """
      Writes the data's selected columns with each missing entry replaced by its conditional \
      expectation under the result's parameters; observed entries and complete rows are unchanged. \
      missing-data-regression and mixtures: E[missing | the row's observed entries] (gaussian: the \
      components' conditional means; poisson: the expected count, not rounded; bernoulli: the \
      probability of a 1). hmm: E[missing | the whole sequence], the states' conditional means \
      weighted by their forward-backward probabilities (gaussian, poisson, bernoulli emissions). \
      Plugin families impute when they give the optional conditional_mean. Categorical emissions \
      cannot: a category code has no expected value (exit status 2).

      Example:
        emzoo impute result.json --data incomplete.csv --output completed.csv
      """)

  @OptionGroup var io: ResultDataOutput

  func run() throws {
    let (spec, table, model) = try io.load()
    let cannot = "\(spec.file): model: \"\(spec.model)\" cannot impute missing values"
    let found: DataSet?
    do {
      found = try model.imputed(spec: spec, data: table)
    } catch let refusal as ImputationUnavailable {
      throw InputError("\(cannot): \(refusal.reason)")
    }
    guard let imputed = found else {
      throw InputError("\(cannot); impute works on \"missing-data-regression\", mixtures and hidden Markov models whose family gives conditional means (gaussian, poisson, bernoulli, plugins with conditional_mean)")
    }
    try emit(imputed.csv(), to: io.output, reading: [io.result, table.source])
  }
}
