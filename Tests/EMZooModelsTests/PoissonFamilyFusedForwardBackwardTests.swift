import Foundation
import Testing
@testable import EMZooCore
@testable import EMZooModels

/// The Poisson HMM's fused E step (PoissonFamily+FusedForwardBackward.swift,
/// `emz_hmm_estep_linear`) and the separate path against Baum–Welch summed here: log-densities
/// from the textbook pmf (Σⱼ xⱼ log λ − λ − lgamma(xⱼ + 1), no reference rates), Rabiner's
/// per-step normalised recursions, and the statistics added row by row.
@Suite struct PoissonFamilyFusedForwardBackwardTests {
  /// `rows` rows of d counts in sequences of the given lengths, from a sticky K-state chain with
  /// rates 0.5…40; every 53rd row is an outlier (counts near 3000, hundreds of nats below every
  /// state: the kernel's exact-maximum path), and with `missing` a share of entries is NaN and
  /// every 29th row entirely missing.
  func randomCase(seed: UInt64, lengths: [Int], d: Int, K: Int, missing: Double)
    -> (data: DataSet, parameters: HiddenMarkovModel<PoissonFamily>.Parameters)
  {
    let random = RandomSource(seed: seed)
    let rates = (0..<(K * d)).map { _ in 0.5 + 40 * random.uniform() * random.uniform() }
    var transition: [Double] = []
    for i in 0..<K {
      let row = random.dirichlet([Double](repeating: 1, count: K))
      transition += (0..<K).map { 0.2 * row[$0] + ($0 == i ? 0.8 : 0) }
    }
    let initial = random.dirichlet([Double](repeating: 1, count: K))
    var values: [Double] = [], sequences: [Range<Int>] = []
    var state = 0
    for length in lengths {
      sequences.append((values.count / d)..<(values.count / d + length))
      for _ in 0..<length {
        let t = values.count / d
        if random.uniform() < 0.1 { state = random.integer(below: K) }
        for j in 0..<d {
          var v = t % 53 == 17 ? random.poisson(3000) : random.poisson(rates[state * d + j])
          if missing > 0 && (t % 29 == 5 || random.uniform() < missing) { v = .nan }
          values.append(v)
        }
      }
    }
    let data = DataSet(source: "counts", columns: (0..<d).map { "x\($0)" }, values: values, sequences: sequences)
    return (data, .init(initial: initial, transition: transition, emission: .init(rates: rates)))
  }

  /// (log P(all sequences), statistics in `emz_hmm_layout` order) by the textbook recursions.
  func reference(_ data: DataSet, _ p: HiddenMarkovModel<PoissonFamily>.Parameters, K: Int)
    -> (Double, [Double])
  {
    let d = data.dimension, width = 1 + 2 * d, emission = K + K * K
    var stats = [Double](repeating: 0, count: emission + K * width), logLikelihood = 0.0
    let A = p.transition
    for sequence in data.sequences {
      let T = sequence.count
      var b = [[Double]](), alpha = [[Double]](), c = [Double]()
      for t in 0..<T {
        let i = sequence.lowerBound + t
        let logb = (0..<K).map { k -> Double in
          var total = 0.0
          for j in 0..<d where !data.values[i * d + j].isNaN {
            let x = data.values[i * d + j], rate = p.emission.rates[k * d + j]
            total += x * log(rate) - rate - lgamma(x + 1)
          }
          return total
        }
        let top = logb.max()!
        b.append(logb.map { exp($0 - top) })
        var predicted = p.initial
        if t > 0 {
          for k in 0..<K {
            var v = 0.0
            for from in 0..<K { v += alpha[t - 1][from] * A[from * K + k] }
            predicted[k] = v
          }
        }
        let unnormalised = (0..<K).map { predicted[$0] * b[t][$0] }
        let total = unnormalised.reduce(0, +)
        c.append(total)
        alpha.append(unnormalised.map { $0 / total })
        logLikelihood += top + log(total)
      }
      var beta = [Double](repeating: 1, count: K)
      for t in stride(from: T - 1, through: 0, by: -1) {
        let i = sequence.lowerBound + t
        let gamma = (0..<K).map { alpha[t][$0] * beta[$0] }
        let row = (0..<d).map { data.values[i * d + $0] }
        for k in 0..<K {
          if t == 0 { stats[k] += gamma[k] }
          let block = emission + k * width
          if row.contains(where: { !$0.isNaN }) { stats[block] += gamma[k] }
          for j in 0..<d where !row[j].isNaN {
            stats[block + 1 + j] += gamma[k]
            stats[block + 1 + d + j] += gamma[k] * row[j]
          }
        }
        guard t > 0 else { break }
        var u = [Double](repeating: 0, count: K)
        for k in 0..<K { u[k] = b[t][k] * beta[k] / c[t] }
        var next = [Double](repeating: 0, count: K)
        for from in 0..<K {
          for to in 0..<K {
            let v: Double = A[from * K + to] * u[to]
            stats[K + from * K + to] += alpha[t - 1][from] * v
            next[from] += v
          }
        }
        beta = next
      }
    }
    return (logLikelihood, stats)
  }

  /// Every statistic within 1e-12 of the scale of its group (Σγ₀: the sequence count; Σξ and the
  /// weights: the row count; Σγx: the column's total count), the log-likelihood relatively.
  func expectClose(_ value: (Double, [Double]), _ expected: (Double, [Double]), data: DataSet, K: Int,
                   _ label: String) {
    let d = data.dimension, width = 1 + 2 * d, emission = K + K * K
    let rows = Double(data.rows)
    #expect(abs(value.0 - expected.0) <= 1e-12 * abs(expected.0), "\(label): log-likelihood \(value.0) vs \(expected.0)")
    #expect(value.1.count == expected.1.count)
    guard value.1.count == expected.1.count else { return }
    for e in expected.1.indices {
      var scale = e < K ? Double(data.sequences.count) : rows
      if e >= emission, (e - emission) % width > d {
        let j = (e - emission) % width - 1 - d
        scale = (0..<data.rows).reduce(0.0) { $0 + (data.values[$1 * d + j].isNaN ? 0 : data.values[$1 * d + j]) }
      }
      #expect(abs(value.1[e] - expected.1[e]) <= 1e-12 * scale, "\(label): statistic \(e): \(value.1[e]) vs \(expected.1[e])")
    }
  }

  /// One E step through the model (the fused kernel for K ≤ 8, the separate one above), over
  /// its chunks, plus the family's constant: the full log-likelihood.
  func modelEStep(_ model: HiddenMarkovModel<PoissonFamily>, _ data: DataSet,
                  _ p: HiddenMarkovModel<PoissonFamily>.Parameters) throws -> (Double, [Double]) {
    let prepared = try model.prepare(p)
    var total = [Double](repeating: 0, count: model.statisticsCount), logLikelihood = 0.0
    let chunks = model.chunks(of: data)
    var scratch = [Double](repeating: .nan, count: model.scratchCount(rows: chunks.map(\.count).max()!))
    for chunk in chunks {
      var stats = [Double](repeating: 0, count: model.statisticsCount)
      logLikelihood += stats.withUnsafeMutableBufferPointer { s in
        scratch.withUnsafeMutableBufferPointer { model.expectation(rows: chunk, of: data, given: prepared, statistics: s, scratch: $0) }
      }
      for e in total.indices { total[e] += stats[e] }
    }
    return (logLikelihood + model.constantLogLikelihood(of: data), total)
  }

  /// The family's fused E step called directly over the whole data (nil when it declines).
  func fusedEStep(_ model: HiddenMarkovModel<PoissonFamily>, _ data: DataSet,
                  _ p: HiddenMarkovModel<PoissonFamily>.Parameters) throws -> (Double, [Double])? {
    let K = model.states, family = model.family
    let prepared = try family.prepare(p.emission)
    var stats = [Double](repeating: 0, count: model.statisticsCount)
    var scratch = [Double](repeating: .nan, count: model.scratchCount(rows: data.rows))
    let value = data.values.withUnsafeBufferPointer { x in
      stats.withUnsafeMutableBufferPointer { s in
        scratch.withUnsafeMutableBufferPointer { w in
          family.fusedForwardBackward(
            x.baseAddress!, rows: data.rows, sequences: data.sequences, prepared: prepared, initial: p.initial,
            transition: p.transition, scratch: w.baseAddress!, initialStatistics: s.baseAddress!,
            transitionStatistics: s.baseAddress! + K, emissionStatistics: s.baseAddress! + K + K * K)
        }
      }
    }
    return value.map { ($0 + model.constantLogLikelihood(of: data), stats) }
  }

  @Test(arguments: [1, 2, 3, 4, 5, 8, 9, 17])
  func matchesTheTextbookRecursions(states K: Int) throws {
    for d in [1, 4, 5] {
      for missing in [0.0, 0.15] {
        // A one-row sequence, short ones and a long one (the model's chunks group the short ones).
        let lengths = [1, 7, 2, 1500, 1, 40, 300]
        let (data, p) = randomCase(seed: UInt64(100 * K + 10 * d) + (missing > 0 ? 1 : 0), lengths: lengths,
                                   d: d, K: K, missing: missing)
        let model = HiddenMarkovModel(family: PoissonFamily(components: K, dimension: d)).adapted(to: data)
        let expected = reference(data, p, K: K)
        let label = "K \(K), d \(d), missing \(missing)"
        expectClose(try modelEStep(model, data, p), expected, data: data, K: K, label + " (model)")
        let fused = try fusedEStep(model, data, p)
        #expect((fused == nil) == (K > 8), "\(label): the fused kernel takes K ≤ 8 only")
        if let fused { expectClose(fused, expected, data: data, K: K, label + " (fused)") }
      }
    }
  }

  /// K ≤ 4 runs the recursions over 4 state lanes instead of 8 (`fused_forward_step`), which
  /// must not change a bit: a 3-state chain gives the statistics and log-likelihood, bit for bit,
  /// of the same chain with two more states (8 lanes) that it can never enter (π and A give them
  /// probability 0) and whose rates copy the first state's (so each row's shift, which depends
  /// on the largest rate, is the same).
  @Test(arguments: [1, 3])
  func fourStateLanesGiveTheBitsOfEight(d: Int) throws {
    let (data, p) = randomCase(seed: 41 + UInt64(d), lengths: [1, 60, 300, 2], d: d, K: 3, missing: 0)
    let three = HiddenMarkovModel(family: PoissonFamily(components: 3, dimension: d)).adapted(to: data)
    let five = HiddenMarkovModel(family: PoissonFamily(components: 5, dimension: d)).adapted(to: data)
    var transition = [Double](repeating: 0, count: 25)
    for i in 0..<3 { for j in 0..<3 { transition[i * 5 + j] = p.transition[i * 3 + j] } }
    for i in 3..<5 { transition[i * 5 + i] = 1 }
    let rates = p.emission.rates + Array(p.emission.rates[0..<d]) + Array(p.emission.rates[0..<d])
    let q = HiddenMarkovModel<PoissonFamily>.Parameters(
      initial: p.initial + [0, 0], transition: transition, emission: .init(rates: rates))
    let small = try #require(try fusedEStep(three, data, p))
    let large = try #require(try fusedEStep(five, data, q))
    #expect(small.0.bitPattern == large.0.bitPattern, "log-likelihood \(small.0) vs \(large.0)")
    let width = 1 + 2 * d
    var pairs: [(Double, Double)] = (0..<3).map { (small.1[$0], large.1[$0]) }
    for i in 0..<3 { for j in 0..<3 { pairs.append((small.1[3 + i * 3 + j], large.1[5 + i * 5 + j])) } }
    for e in 0..<(3 * width) { pairs.append((small.1[12 + e], large.1[30 + e])) }
    for (a, b) in pairs { #expect(a.bitPattern == b.bitPattern, "\(a) vs \(b)") }
    // The two unreachable states gather nothing.
    for k in 3..<5 { #expect(large.1[30 + k * width] == 0) }
    expectClose(small, reference(data, p, K: 3), data: data, K: 3, "K 3, d \(d)")
  }

  /// Wide rows take the kernel's loop over a run-time d; an impossible sequence gives −∞ and
  /// leaves the statistics alone.
  @Test func wideRowsAndImpossibleSequences() throws {
    let (data, p) = randomCase(seed: 7, lengths: [200, 1, 90], d: 11, K: 5, missing: 0)
    let model = HiddenMarkovModel(family: PoissonFamily(components: 5, dimension: 11)).adapted(to: data)
    let fused = try #require(try fusedEStep(model, data, p))
    expectClose(fused, reference(data, p, K: 5), data: data, K: 5, "d 11")
    // No state may start: every sequence is impossible.
    var q = p
    q.initial = [Double](repeating: 0, count: 5)
    let impossible = try #require(try fusedEStep(model, data, q))
    #expect(impossible.0 == -.infinity)
    #expect(impossible.1.allSatisfy { $0 == 0 })
  }

  /// Sequences of very unequal lengths (one chunk each, taken from the runner's queue in
  /// whatever order the threads get to them) give the same bits for 1, 2 and 3 threads.
  @Test func unequalSequencesSameBitsAcrossThreadCounts() throws {
    let (data, p) = randomCase(seed: 11, lengths: [2100, 9000, 2500, 4100, 2048, 6000, 3000], d: 4, K: 8,
                               missing: 0)
    let model = HiddenMarkovModel(family: PoissonFamily(components: 8, dimension: 4)).adapted(to: data)
    #expect(model.chunks(of: data).count == 7)
    let prepared = try model.prepare(p)
    let runs = [1, 2, 3].map { ExpectationRunner(model: model, data: data, threads: $0).run(prepared) }
    for run in runs.dropFirst() {
      #expect(run.logLikelihood.bitPattern == runs[0].logLikelihood.bitPattern)
      #expect(run.statistics.map(\.bitPattern) == runs[0].statistics.map(\.bitPattern))
    }
    // The sums are the fused kernel's, in block order: the textbook values to 1e-12.
    let constant = model.constantLogLikelihood(of: data)
    expectClose((runs[0].logLikelihood + constant, runs[0].statistics), reference(data, p, K: 8), data: data, K: 8,
                "unequal sequences")
  }
}
