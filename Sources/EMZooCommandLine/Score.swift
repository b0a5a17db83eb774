import ArgumentParser
import EMZooCore
import EMZooModels
import EMZooSpec

struct Score: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Log-likelihood, AIC and BIC of data under a fitted model, without fitting.",
    discussion: """
      Prints JSON on stdout: logLikelihood (every constant included), n, meanLogLikelihood \
      (scikit-learn's score), parameterCount (as in the fit result), aic = −2ℓ + 2p and \
      bic = −2ℓ + p log n, of the data at the result's parameters. On the data the result was \
      fitted to, logLikelihood equals the result's.

      Example:
        emzoo score result.json --data held-out.csv
      """)

  @Argument(help: "A fitted result (or any spec with parameters).")
  var result: String
  @Option(help: "Data CSV (default: the result's \"data\", relative to the result).")
  var data: String?

  func run() throws {
    let (spec, table, model) = try loadSpecAndData(result, data: data)
    try emit(model.score(spec: spec, data: table).json.formatted() + "\n", to: nil)
  }
}
