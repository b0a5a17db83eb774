internal import CKernels
public import EMZooCore

extension HiddenMarkovModel {
  /// The Viterbi state and the posterior state probabilities γₜ(k) = p(sₜ = k | x) of every
  /// row, and each sequence's log p(x) (every constant included) on its first row (NaN on the
  /// others), under fixed parameters. Rows with nothing observed have emission density 1, as
  /// in the fit.
  ///
  /// The classification term is Σ over sequences of log p(ŝ | x) = log p(ŝ, x) − log p(x), the
  /// Viterbi path's log joint probability minus the forward log-likelihood (the emission
  /// constants cancel). An impossible sequence (p(x) = 0) keeps NaN probabilities and adds
  /// nothing to it.
  public func rowPosteriors(_ p: Parameters, data: DataSet) throws -> RowPosteriors? {
    try checkColumns(data)
    try validate(data)
    let model = adapted(to: data)
    let prepared = try model.prepare(p)
    let constants = model.family.constantLogLikelihoods(of: data)
    let K = states
    let longest = data.sequences.map(\.count).max() ?? 0
    var alpha = [Double](repeating: 0, count: max(longest * K, 1))
    var scale = [Double](repeating: 0, count: max(longest, 1))
    var work = [Double](repeating: 0, count: 3 * K)
    var initialCounts = [Double](repeating: 0, count: K)
    var transitionCounts = [Double](repeating: 0, count: K * K)
    var path = [Int32](repeating: 0, count: max(longest, 1))
    var back = [Int32](repeating: 0, count: max(longest * K, 1))
    var delta = [Double](repeating: 0, count: 2 * K)
    var labels = [Int](repeating: 0, count: data.rows)
    var probabilities = [Double](repeating: .nan, count: data.rows * K)
    var logLikelihoods = [Double](repeating: .nan, count: data.rows)
    var classification = 0.0
    let logInitial = prepared.logInitial, logTransition = prepared.logTransition
    model.forEachSequence(prepared, data: data) { sequence, logb in
      let T = sequence.count
      // Viterbi first: forward–backward overwrites log b with γ.
      let best = emz_hmm_viterbi(T, K, logb, logInitial, logTransition, &delta, &back, &path)
      for t in 0..<T { labels[sequence.lowerBound + t] = Int(path[t]) }
      let value = emz_hmm_forward_backward(
        T, K, logb, prepared.initial, prepared.transition, &alpha, &scale, &work, &initialCounts, &transitionCounts)
      logLikelihoods[sequence.lowerBound] = value + sequence.reduce(0) { $0 + constants[$1] }
      guard value.isFinite else { return }
      classification += best - value
      for e in 0..<(T * K) { probabilities[sequence.lowerBound * K + e] = logb[e] }
    }
    return RowPosteriors(labelCount: K, labels: labels, labelsArePath: true, probabilities: probabilities,
                         logLikelihoods: logLikelihoods, predictions: [],
                         classificationLogLikelihood: classification)
  }
}
