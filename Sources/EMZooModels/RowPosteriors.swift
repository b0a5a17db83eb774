/// What a fitted model says about each row of a data set under fixed parameters
/// (`emzoo predict`): the rows' hidden labels and their posterior probabilities, their
/// log-likelihoods, and predictions of a response.
///
/// Missing entries are treated as in the fit: marginalised out of every density.
public struct RowPosteriors: Sendable {
  /// K, the number of hidden labels (components or states); 0 when the model has none.
  public var labelCount: Int
  /// The most probable label of each row: a mixture's MAP component argmaxₖ p(k | xᵢ) (the
  /// first on a tie), an HMM's Viterbi state. Empty when `labelCount` is 0.
  public var labels: [Int]
  /// Whether `labels` is the jointly most probable state path of each sequence (an HMM's
  /// Viterbi path) rather than each row's own most probable label.
  public var labelsArePath: Bool
  /// p(label = k | data), rows × K, row-major. NaN for a row the model gives probability 0
  /// (then no label is more probable than another). Empty when `labelCount` is 0.
  public var probabilities: [Double]
  /// Log-likelihoods with every constant included, one entry per row: a mixture's
  /// log Σₖ πₖ f(xᵢ | θₖ) on every row; an HMM's log p(sequence) on the first row of each
  /// sequence and NaN on the others; the regression's log N(z_O | μ_O, Σ_OO) of the row's
  /// observed entries. Empty when the model reports none.
  public var logLikelihoods: [Double]
  /// E[response | the row's observed covariates], one per row; empty without a response.
  public var predictions: [Double]
  /// log p(labels | data) of the labels in `labels`: Σᵢ log maxₖ p(k | xᵢ) for a mixture,
  /// Σ over sequences of log p(Viterbi path | sequence) for an HMM; nil without labels.
  /// ICL is BIC − 2 times this.
  public var classificationLogLikelihood: Double?

  public init(labelCount: Int = 0, labels: [Int] = [], labelsArePath: Bool = false, probabilities: [Double] = [],
              logLikelihoods: [Double] = [], predictions: [Double] = [],
              classificationLogLikelihood: Double? = nil) {
    self.labelCount = labelCount
    self.labels = labels
    self.labelsArePath = labelsArePath
    self.probabilities = probabilities
    self.logLikelihoods = logLikelihoods
    self.predictions = predictions
    self.classificationLogLikelihood = classificationLogLikelihood
  }

  /// 1 − maxₖ p(k | xᵢ) of each row (mclust's uncertainty), summed from the other
  /// probabilities so that a confident row keeps its digits (1 − 0.999999997 would lose them);
  /// NaN where the probabilities are.
  public var uncertainties: [Double] {
    guard labelCount > 0 else { return [] }
    let K = labelCount
    return (0..<(probabilities.count / K)).map { i in
      let row = probabilities[(i * K)..<((i + 1) * K)]
      guard !row.contains(where: \.isNaN), let best = row.indices.max(by: { row[$0] < row[$1] }) else { return .nan }
      return row.indices.reduce(0) { $1 == best ? $0 : $0 + row[$1] }
    }
  }
}
