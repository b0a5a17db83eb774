internal import CKernels
public import EMZooCore
import Foundation

extension HiddenMarkovModel: HiddenStateDecoder {
  /// The family's checks, and some row with an observed entry (else the starts have nothing to
  /// start from). A distributed fit's window may be all missing while others are not: there the
  /// start itself finds out, over every process.
  public func validateForFitting(_ data: DataSet) throws {
    if data.held == nil, data.rows > 0 {
      let d = data.dimension
      let anyObserved = data.values.withUnsafeBufferPointer { all in
        (0..<data.rows).contains { !Self.isMissing(all.baseAddress! + $0 * d, dimension: d) }
      }
      guard anyObserved else { throw InputError("\(data.source): every row is missing; nothing to fit") }
    }
    try family.validateForFitting(data)
  }

  /// The family's checks (a partly missing row is marginalised by the family).
  public func validate(_ data: DataSet) throws { try family.validate(data) }

  // MARK: - Sampling

  /// `count` rows of state paths and emissions; with `sequenceLength` L, independent sequences
  /// of L rows (the last one shorter when L does not divide `count`), each starting from π.
  public func sample(_ p: Parameters, count: Int, random: RandomSource) throws -> DataSet {
    var whole: DataSet? = nil
    try sampleInBlocks(p, count: count, blockRows: max(count, 1), random: random) { whole = $0 }
    return whole ?? DataSet(source: "sample", columns: defaultColumns, values: [], latent: [])
  }

  /// The chain goes on from block to block (a sequence may span blocks), so one endless
  /// sequence streams too; the draws per row (state, then emission) are those of one call.
  public func sampleInBlocks(_ p: Parameters, count: Int, blockRows: Int, random: RandomSource,
                             _ body: (DataSet) throws -> Void) throws {
    let K = states, d = dimension
    let prepared = try family.prepare(p.emission)
    let first = CategoricalSampler(p.initial)
    let next = (0..<K).map { CategoricalSampler(Array(p.transition[($0 * K)..<(($0 + 1) * K)])) }
    let length = max(sequenceLength ?? count, 1)
    var state = 0, done = 0
    repeat {
      let rows = min(max(blockRows, 1), count - done)
      var values = [Double](repeating: 0, count: rows * d)
      var latent = [Int](repeating: 0, count: rows)
      var starts: [Int] = []
      values.withUnsafeMutableBufferPointer { out in
        for r in 0..<rows {
          let i = done + r
          if i % length == 0 {
            state = first.draw(using: random)
            starts.append(r)
          } else {
            state = next[state].draw(using: random)
          }
          latent[r] = state
          family.sample(component: state, prepared: prepared, random: random, into: out.baseAddress! + r * d)
        }
      }
      // The block's sequences, split where one starts (the first may continue the last block's).
      let bounds = [0] + starts.filter { $0 > 0 } + [rows]
      let sequences = zip(bounds, bounds.dropFirst()).map { $0..<$1 }.filter { !$0.isEmpty }
      try body(DataSet(source: "sample", columns: defaultColumns, values: values,
                       sequences: sequences.isEmpty ? [0..<0] : sequences, latent: latent))
      done += rows
    } while done < count
  }

  // MARK: - Labels

  /// The Viterbi path of every sequence.
  public func assignments(_ p: Parameters, data: DataSet) throws -> [Int] {
    viterbi(try prepare(p), data: data)
  }

  public func permuted(_ p: Parameters, by order: [Int]) -> Parameters {
    let K = states
    return Parameters(
      initial: order.map { p.initial[$0] },
      transition: order.flatMap { i in order.map { j in p.transition[i * K + j] } },
      emission: family.permuted(p.emission, by: order))
  }

  public func blocks(_ p: Parameters) -> [(name: String, values: [Double])] {
    [("initial", p.initial), ("transition", p.transition)]
      + family.blocks(p.emission).map { ($0.name, Array($0.perComponent.joined())) }
  }

  // MARK: - Decoding

  public func decodeStates(_ p: Parameters, data: DataSet) throws -> StateDecoding {
    try checkColumns(data)
    try validate(data)
    let prepared = try prepare(p)
    let (posteriors, logLikelihood) = posteriors(prepared, data: data)
    return StateDecoding(states: states, viterbi: viterbi(prepared, data: data), posteriors: posteriors,
                         logLikelihood: logLikelihood + constantLogLikelihood(of: data))
  }

  /// Calls `body` with each sequence and its log emission densities (T × K), in a buffer sized
  /// to the longest sequence.
  func forEachSequence(_ prepared: Prepared, data: DataSet,
                       _ body: (Range<Int>, UnsafeMutablePointer<Double>) -> Void) {
    let K = states, d = data.dimension
    let longest = data.sequences.map(\.count).max() ?? 0
    var logb = [Double](repeating: 0, count: max(longest * K, 1))
    data.values.withUnsafeBufferPointer { all in
      logb.withUnsafeMutableBufferPointer { buffer in
        for sequence in data.sequences where !sequence.isEmpty {
          _ = emissionLogDensities(all.baseAddress! + sequence.lowerBound * d, rows: sequence.count,
                                   prepared: prepared.emission, into: buffer.baseAddress!)
          body(sequence, buffer.baseAddress!)
        }
      }
    }
  }

  /// The most probable state path of every sequence (`emz_hmm_viterbi`, in log space).
  func viterbi(_ prepared: Prepared, data: DataSet) -> [Int] {
    let K = states
    let longest = data.sequences.map(\.count).max() ?? 0
    var path = [Int32](repeating: 0, count: max(longest, 1))
    var back = [Int32](repeating: 0, count: max(longest * K, 1))
    var delta = [Double](repeating: 0, count: 2 * K)
    var labels = [Int](repeating: 0, count: data.rows)
    let logInitial = prepared.logInitial, logTransition = prepared.logTransition
    forEachSequence(prepared, data: data) { sequence, logb in
      _ = emz_hmm_viterbi(sequence.count, K, logb, logInitial, logTransition, &delta, &back, &path)
      for t in 0..<sequence.count { labels[sequence.lowerBound + t] = Int(path[t]) }
    }
    return labels
  }

  /// p(sₜ = k | x) for every row (forward–backward) and Σ log p(sequence) without the
  /// family's parameter-free constant.
  func posteriors(_ prepared: Prepared, data: DataSet) -> ([Double], Double) {
    let K = states
    let longest = data.sequences.map(\.count).max() ?? 0
    var alpha = [Double](repeating: 0, count: max(longest * K, 1))
    var scale = [Double](repeating: 0, count: max(longest, 1))
    var work = [Double](repeating: 0, count: 3 * K)
    var initialCounts = [Double](repeating: 0, count: K)
    var transitionCounts = [Double](repeating: 0, count: K * K)
    var posteriors = [Double](repeating: .nan, count: data.rows * K)
    var logLikelihood = 0.0
    forEachSequence(prepared, data: data) { sequence, logb in
      let value = emz_hmm_forward_backward(
        sequence.count, K, logb, prepared.initial, prepared.transition, &alpha, &scale, &work,
        &initialCounts, &transitionCounts)
      logLikelihood += value
      // An impossible sequence has no posterior; its rows stay NaN.
      guard value.isFinite else { return }
      for e in 0..<(sequence.count * K) { posteriors[sequence.lowerBound * K + e] = logb[e] }
    }
    return (posteriors, logLikelihood)
  }
}
