import ArgumentParser
import EMZooCore
import EMZooModels
import EMZooSpec

struct Predict: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Per-row labels, probabilities, log-likelihoods or predictions under a fitted model.",
    discussion: """
      Writes the data's selected columns followed by, under the result's fixed parameters:
        mixtures: label (MAP component), p0 … pK-1 (responsibilities), uncertainty (1 − max p), \
      logLikelihood (log Σₖ πₖ f(x|θₖ), every constant included);
        hmm: viterbi, p0 … pK-1 (as 'emzoo decode') and logLikelihood of each sequence on its \
      first row (empty on the others);
        missing-data-regression: prediction = E[response | the row's observed covariates].
      Missing entries are marginalised exactly as in the fit; empty cells are rows the model \
      gives probability 0.

      Example:
        emzoo fit models/gaussian-2d-full.json --data blobs.csv --output result.json
        emzoo predict result.json --data blobs.csv --output labels.csv
      """)

  @OptionGroup var io: ResultDataOutput

  func run() throws {
    let (spec, table, model) = try io.load()
    guard let rows = try model.rowPosteriors(spec: spec, data: table) else {
      throw InputError("\(spec.file): model: \"\(spec.model)\" reports nothing per row; predict works on mixtures, \"hmm\" and \"missing-data-regression\"")
    }
    try emit(table.csv(extraColumns: Self.columns(rows)), to: io.output)
  }

  /// The output columns: a label, probabilities and log-likelihoods (mixtures; an HMM's label
  /// is its Viterbi state and it has no per-row uncertainty), or predictions.
  static func columns(_ rows: RowPosteriors) -> [(name: String, values: [String])] {
    func text(_ x: Double) -> String { x.isNaN ? "" : "\(x)" }
    var columns: [(name: String, values: [String])] = []
    let K = rows.labelCount, hiddenStates = rows.labelsArePath
    if K > 0 {
      let n = rows.labels.count
      columns.append((hiddenStates ? "viterbi" : "label", rows.labels.enumerated().map { i, label in
        rows.probabilities[i * K].isNaN ? "" : String(label)
      }))
      for k in 0..<K {
        columns.append(("p\(k)", (0..<n).map { text(rows.probabilities[$0 * K + k]) }))
      }
      if !hiddenStates { columns.append(("uncertainty", rows.uncertainties.map(text))) }
      columns.append(("logLikelihood", rows.logLikelihoods.map(text)))
    }
    if !rows.predictions.isEmpty { columns.append(("prediction", rows.predictions.map(text))) }
    return columns
  }
}
