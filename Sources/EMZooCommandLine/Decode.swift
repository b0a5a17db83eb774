import ArgumentParser
import EMZooCore
import EMZooModels
import EMZooSpec

struct Decode: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Decode the hidden states of data under a fitted model (hmm).",
    discussion: """
      Writes the data with, per row, the Viterbi state (column 'viterbi') and the posterior \
      state probabilities p(state = k | data) (columns p0 … pK-1). 'emzoo predict' adds each \
      sequence's log-likelihood.

      Example:
        emzoo decode result.json --data rolls.csv --output states.csv
      """)

  @OptionGroup var io: ResultDataOutput

  func run() throws {
    let (spec, table, model) = try io.load()
    guard let decoded = try model.decodedStates(spec: spec, data: table) else {
      throw InputError("\(spec.file): model: \"\(spec.model)\" has no hidden state sequence to decode; decode works on \"hmm\" models")
    }
    let K = decoded.states
    let columns = [("viterbi", decoded.viterbi.map(String.init))] + (0..<K).map { k in
      ("p\(k)", (0..<table.rows).map { i in
        let p = decoded.posteriors[i * K + k]
        return p.isNaN ? "" : "\(p)"
      })
    }
    try emit(table.csv(extraColumns: columns), to: io.output, reading: [io.result, table.source])
  }
}
