import Foundation
import Testing
import EMZooCore
@testable import EMZooModels

/// The Bernoulli mixture E step on bit-packed rows (BernoulliFamily+BitPacked.swift) against the
/// dense kernels and against the formula summed here, row by row.
@Suite struct BernoulliBitPackedTests {
  /// n rows of d bits, each bit 1 with probability 0.1…0.9 by column, missing with `missing`.
  func binaryData(rows n: Int, dimension d: Int, missing: Double, seed: UInt64) -> DataSet {
    let random = RandomSource(seed: seed)
    let bias = (0..<d).map { _ in 0.1 + 0.8 * random.uniform() }
    let values = (0..<(n * d)).map { e -> Double in
      random.uniform() < missing ? .nan : (random.uniform() < bias[e % d] ? 1 : 0)
    }
    return DataSet(source: "bits", columns: (0..<d).map { "x\($0)" }, values: values)
  }

  func parameters(components K: Int, dimension d: Int, seed: UInt64) -> Mixture<BernoulliFamily>.Parameters {
    let random = RandomSource(seed: seed)
    let raw = (0..<K).map { _ in 0.2 + random.uniform() }
    let total = raw.reduce(0, +)
    // Probabilities across the whole range, the floor 1e-10 included.
    let p = (0..<(K * d)).map { e -> Double in e % 17 == 3 ? 1e-10 : 0.02 + 0.96 * random.uniform() }
    return .init(weights: raw.map { $0 / total }, emission: .init(probabilities: p))
  }

  /// (log-likelihood, statistics) of one E step over the model's chunks, in chunk order.
  func eStep(_ model: Mixture<BernoulliFamily>, _ data: DataSet, _ p: Mixture<BernoulliFamily>.Parameters) throws
    -> (Double, [Double])
  {
    let prepared = try model.prepare(p)
    var total = [Double](repeating: 0, count: model.statisticsCount), ll = 0.0
    for rows in model.chunks(of: data) {
      var statistics = [Double](repeating: 0, count: model.statisticsCount)
      var scratch = [Double](repeating: 0, count: model.scratchCount(rows: rows.count))
      ll += statistics.withUnsafeMutableBufferPointer { s in
        scratch.withUnsafeMutableBufferPointer { model.expectation(rows: rows, of: data, given: prepared, statistics: s, scratch: $0) }
      }
      for e in total.indices { total[e] += statistics[e] }
    }
    return (ll, total)
  }

  /// The same E step from the formula: log f_k(x) = Σ_{j observed} xⱼ log p_kj + (1 − xⱼ) log(1 − p_kj).
  func directEStep(_ data: DataSet, _ p: Mixture<BernoulliFamily>.Parameters, components K: Int) -> (Double, [Double]) {
    let d = data.dimension, stride = 1 + 2 * d
    var ll = 0.0, statistics = [Double](repeating: 0, count: K * stride)
    for i in 0..<data.rows {
      let a = (0..<K).map { k -> Double in
        var total = log(p.weights[k])
        for j in 0..<d where !data[i, j].isNaN {
          let q = p.emission.probabilities[k * d + j]
          total += data[i, j] == 1 ? log(q) : log1p(-q)
        }
        return total
      }
      let m = a.max()!, sum = a.reduce(0) { $0 + exp($1 - m) }
      ll += m + log(sum)
      for k in 0..<K {
        let r = exp(a[k] - m) / sum
        statistics[k * stride] += r
        for j in 0..<d where !data[i, j].isNaN {
          statistics[k * stride + 1 + j] += r
          statistics[k * stride + 1 + d + j] += r * data[i, j]
        }
      }
    }
    return (ll, statistics)
  }

  func expectClose(_ a: [Double], _ b: [Double], tolerance: Double, _ comment: Comment) {
    #expect(a.count == b.count)
    let worst = zip(a, b).map { abs($0 - $1) / max(abs($1), 1) }.max() ?? 0
    #expect(worst <= tolerance, "\(comment): worst relative difference \(worst)")
  }

  /// Packed against dense (the fused kernel for d ≤ 64, the separate kernels above) and against
  /// the formula: d not a multiple of 8 or 64, K = 1…12, with and without missing entries, and a
  /// last chunk shorter than the others. The bounds leave room: `bench/bern_packed_kernel.c`
  /// measures ≤ 3e-16 relative for the log-likelihood and ≤ 2e-14 for the statistics (the
  /// column sums add the responsibilities in another order). K up to 64 covers every split of the
  /// byte tables (8-lane vectors and a tail of 0, 2 or 4) and of the statistics' register tiles.
  @Test(arguments: [
    (1, 1, 0.0), (5, 2, 0.1), (13, 3, 0.0), (64, 10, 0.0), (64, 12, 0.02), (61, 7, 0.0),
    (70, 4, 0.05), (130, 9, 0.0), (8, 11, 0.3), (3, 12, 0.5), (128, 1, 0.01), (200, 5, 0.0),
    (64, 17, 0.01), (20, 36, 0.0), (9, 64, 0.05),
  ])
  func packedEStepMatchesTheDenseKernelsAndTheFormula(d: Int, K: Int, missing: Double) throws {
    let data = binaryData(rows: 2048 + 1000, dimension: d, missing: missing, seed: UInt64(d * 100 + K))
    let plain = Mixture(family: BernoulliFamily(components: K, dimension: d))
    let packed = plain.adapted(to: data)
    #expect(packed.family.packed != nil)
    #expect((packed.family.packed?.observed != nil) == data.hasMissing)
    let p = parameters(components: K, dimension: d, seed: UInt64(K))
    let (llPacked, statisticsPacked) = try eStep(packed, data, p)
    let (llDense, statisticsDense) = try eStep(plain, data, p)
    let (llDirect, statisticsDirect) = directEStep(data, p, components: K)
    #expect(llPacked.isFinite)
    #expect(abs(llPacked - llDense) <= 1e-13 * abs(llDense), "\(llPacked) vs \(llDense)")
    #expect(abs(llPacked - llDirect) <= 1e-12 * abs(llDirect), "\(llPacked) vs \(llDirect)")
    expectClose(statisticsPacked, statisticsDense, tolerance: 1e-12, "packed vs dense")
    expectClose(statisticsPacked, statisticsDirect, tolerance: 1e-12, "packed vs formula")
  }

  /// Every instruction-set copy of the packed kernel the CPU runs (the baseline always; AVX2 and
  /// AVX-512 ones tile the statistics differently) against the dense kernels and the formula.
  @Test(arguments: [(64, 10, 0.0), (61, 12, 0.02), (130, 17, 0.05), (9, 3, 0.3)])
  func everyInstructionSetMatchesTheDenseKernels(d: Int, K: Int, missing: Double) throws {
    let data = binaryData(rows: 2048 + 700, dimension: d, missing: missing, seed: UInt64(d * 7 + K))
    let plain = Mixture(family: BernoulliFamily(components: K, dimension: d))
    let packed = plain.adapted(to: data)
    let p = parameters(components: K, dimension: d, seed: UInt64(K + 1))
    let prepared = try packed.prepare(p)
    let (llDense, statisticsDense) = try eStep(plain, data, p)
    let (llDirect, statisticsDirect) = directEStep(data, p, components: K)
    var levelsRun = 0
    for level in ["baseline", "x86-64-v3", "x86-64-v4"] {
      var total = [Double](repeating: 0, count: packed.statisticsCount), ll = 0.0, ran = true
      for rows in packed.chunks(of: data) {
        var statistics = [Double](repeating: 0, count: packed.statisticsCount)
        guard let chunk = packed.family.packedMixtureExpectation(
          rows: rows, of: data, prepared: prepared.emission, logWeights: prepared.logWeights, into: &statistics,
          kernels: level)
        else {
          ran = false
          break
        }
        ll += chunk
        for e in total.indices { total[e] += statistics[e] }
      }
      guard ran else { continue }
      levelsRun += 1
      #expect(abs(ll - llDense) <= 1e-13 * abs(llDense), "\(level): \(ll) vs \(llDense)")
      #expect(abs(ll - llDirect) <= 1e-12 * abs(llDirect), "\(level): \(ll) vs \(llDirect)")
      expectClose(total, statisticsDense, tolerance: 1e-12, "\(level): packed vs dense")
      expectClose(total, statisticsDirect, tolerance: 1e-12, "\(level): packed vs formula")
    }
    #expect(levelsRun >= 1)
  }

  /// The byte tables start at the 64-byte boundary their buffer's first entry records, so a copy
  /// of the buffer at another address modulo 64 (Swift arrays are aligned to 16 bytes only) still
  /// gives the same bits, and the original the formula's values.
  @Test func tablesCopiedToAnotherAlignmentGiveTheSameBits() throws {
    let (d, K) = (9, 3)  // small tables: heap blocks, whose addresses modulo 64 vary
    let data = binaryData(rows: 2048, dimension: d, missing: 0.1, seed: 11)
    let packed = Mixture(family: BernoulliFamily(components: K, dimension: d)).adapted(to: data)
    let p = parameters(components: K, dimension: d, seed: 12)
    let prepared = try packed.prepare(p)
    let tables = try #require(prepared.emission.byteTables)
    func offset(_ a: [Double]) -> Int { a.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) % 64 } }
    var copies: [[Double]] = []  // kept alive, so that each copy takes a new block
    while copies.count < 64, copies.last.map({ offset($0) == offset(tables) }) ?? true {
      copies.append(tables.map { $0 })
    }
    let copy = try #require(copies.last)
    #expect(offset(copy) != offset(tables) && copy == tables)
    func eStep(_ byteTables: [Double]) -> (Double?, [Double]) {
      var emission = prepared.emission
      emission.byteTables = byteTables
      var statistics = [Double](repeating: 0, count: packed.statisticsCount)
      let ll = packed.family.packedMixtureExpectation(rows: 0..<data.rows, of: data, prepared: emission,
                                                      logWeights: prepared.logWeights, into: &statistics)
      return (ll, statistics)
    }
    let (ll, statistics) = eStep(tables), (llCopy, statisticsCopy) = eStep(copy)
    let (llDirect, statisticsDirect) = directEStep(data, p, components: K)
    #expect(ll == llCopy && statistics == statisticsCopy)
    #expect(abs(try #require(ll) - llDirect) <= 1e-12 * abs(llDirect))
    expectClose(statistics, statisticsDirect, tolerance: 1e-12, "packed vs formula")
  }

  /// Data long enough to be packed in slices on several threads: the same bits as one slice,
  /// missing entries and a bad value found in the last slice only.
  @Test func slicedPackingGivesTheSameBits() throws {
    let n = 2 * BitPackedRows.rowsPerSlice + 5, d = 3
    let data = binaryData(rows: n, dimension: d, missing: 0, seed: 21)
    let rows = try #require(BitPackedRows(data))
    #expect(rows.observed == nil)
    for i in [0, 1, BitPackedRows.rowsPerSlice, n / 2, n - 1] {
      let expected = (0..<d).reduce(UInt64(0)) { $0 | (data[i, $1] == 1 ? UInt64(1) << UInt64($1) : 0) }
      #expect(rows.values[i] == expected)
    }
    var values = data.values.array
    values[(n - 1) * d + 1] = .nan
    let missingLast = try #require(BitPackedRows(DataSet(source: "bits", columns: data.columns, values: values)))
    #expect(missingLast.observed?[n - 1] == 0b101 && missingLast.observed?[0] == 0b111)
    #expect(missingLast.values == rows.values.enumerated().map { $0.offset == n - 1 ? $0.element & 0b101 : $0.element })
    values[(n - 1) * d + 1] = 0.5
    #expect(BitPackedRows(DataSet(source: "bits", columns: data.columns, values: values)) == nil)
  }

  /// The data check before a fit packs on the fit's threads (`FitOptions.preparationThreads`):
  /// one slice a thread, every core when 0; the same bits whatever the count.
  @Test func packingUsesThePreparationThreads() throws {
    let n = 4 * BitPackedRows.rowsPerSlice, cores = ProcessInfo.processInfo.activeProcessorCount
    #expect(FitOptions.$preparationThreads.withValue(1) { BitPackedRows.slices(rows: n) } == 1)
    #expect(FitOptions.$preparationThreads.withValue(3) { BitPackedRows.slices(rows: n) } == 3)
    #expect(FitOptions.$preparationThreads.withValue(9) { BitPackedRows.slices(rows: n) } == 4)
    #expect(BitPackedRows.slices(rows: n) == min(cores, 4))
    #expect(BitPackedRows.slices(rows: BitPackedRows.rowsPerSlice - 1) == 1)
    let data = binaryData(rows: n + 3, dimension: 5, missing: 0.01, seed: 4)
    let one = try #require(FitOptions.$preparationThreads.withValue(1) { BitPackedRows(data) })
    let every = try #require(BitPackedRows(data))
    let three = try #require(FitOptions.$preparationThreads.withValue(3) { BitPackedRows(data) })
    #expect(three.values == every.values && three.observed == every.observed)
    #expect(one.values == every.values && one.observed == every.observed && one.observed != nil)
  }

  @Test func theBitsAreTheEntries() throws {
    let data = binaryData(rows: 1500, dimension: 70, missing: 0.1, seed: 3)
    let rows = try #require(BitPackedRows(data))
    #expect(rows.wordsPerRow == 2)
    let observed = try #require(rows.observed)
    for i in 0..<data.rows {
      for j in 0..<70 {
        let word = i * 2 + j / 64, bit = UInt64(1) << UInt64(j % 64)
        #expect((rows.values[word] & bit != 0) == (data[i, j] == 1))
        #expect((observed[word] & bit != 0) == !data[i, j].isNaN)
      }
      // Bits past d stay 0.
      #expect(rows.values[i * 2 + 1] >> 6 == 0 && observed[i * 2 + 1] >> 6 == 0)
    }
  }

  @Test func dataThatIsNotBinaryOrSmallIsNotPacked() throws {
    var values = binaryData(rows: 2000, dimension: 4, missing: 0, seed: 1).values
    values[4 * 1999 + 3] = 2
    let counts = DataSet(source: "counts", columns: ["a", "b", "c", "d"], values: Array(values))
    #expect(BitPackedRows(counts) == nil)
    let family = BernoulliFamily(components: 2, dimension: 4)
    #expect(Mixture(family: family).adapted(to: counts).family.packed == nil)
    let small = binaryData(rows: BernoulliFamily.packingMinimumRows - 1, dimension: 4, missing: 0, seed: 2)
    #expect(Mixture(family: family).adapted(to: small).family.packed == nil)
  }

  /// The data check packs the rows into the data set's memo, and the fit uses that copy; a copy
  /// of the data set with other entries shares the memo but is checked (and packed) on its own,
  /// so a bad entry in it is still named, and its fit reads its own bits.
  @Test func theDataCheckPacksOnceAndCopiesAreCheckedOnTheirOwn() throws {
    let data = binaryData(rows: 3000, dimension: 9, missing: 0.02, seed: 21)
    let model = Mixture(family: BernoulliFamily(components: 3, dimension: 9))
    #expect(data.memo.value(BitPackedRows.self) == nil)
    try model.validate(data)
    let stored = try #require(data.memo.value(BitPackedRows.self))
    #expect(stored.describes(data))
    #expect(model.adapted(to: data).family.packed === stored)

    var bad = data
    bad.values[5 * 9 + 4] = 0.5
    #expect(bad.memo === data.memo && !stored.describes(bad))
    #expect(message { try model.validate(bad) } == "bits: line 7, column 'x4': expected 0 or 1, found 0.5")

    // A copy with other valid entries: packed anew from its own entries, and its E step equals
    // the formula's on those entries.
    var other = data
    for j in 0..<9 { other.values[j] = other.values[j] == 1 ? 0 : 1 }
    try model.validate(other)
    let packedOther = try #require(other.memo.value(BitPackedRows.self))
    #expect(packedOther.describes(other) && !packedOther.describes(data))
    let p = parameters(components: 3, dimension: 9, seed: 22)
    let (ll, statistics) = try eStep(model.adapted(to: other), other, p)
    let (directLL, directStatistics) = directEStep(other, p, components: 3)
    #expect(abs(ll - directLL) <= 1e-12 * abs(directLL))
    #expect(zip(statistics, directStatistics).allSatisfy { abs($0 - $1) <= 1e-11 * max(1, abs($1)) })
  }

  /// The message of the `InputError` that `body` throws, or nil.
  func message(_ body: () throws -> Void) -> String? {
    do { try body() } catch let error as InputError { return error.message } catch { return "\(error)" }
    return nil
  }

  /// Rows a mixture does not pack (too few, or a distributed fit's window) are checked entry by
  /// entry as before, and nothing is stored.
  @Test func unpackedDataIsCheckedEntryByEntry() throws {
    let model = Mixture(family: BernoulliFamily(components: 2, dimension: 4))
    var small = binaryData(rows: BernoulliFamily.packingMinimumRows - 1, dimension: 4, missing: 0, seed: 23)
    try model.validate(small)
    #expect(small.memo.value(BitPackedRows.self) == nil)
    small.values[4 * 10 + 2] = -1
    #expect(message { try model.validate(small) } == "bits: line 12, column 'x2': expected 0 or 1, found -1")
  }

  /// A model adapted to one data set computes another data set's E step from that data set's
  /// own entries (the dense path), never from the packed bits it holds.
  @Test func packedRowsServeOnlyTheirOwnData() throws {
    let a = binaryData(rows: 3000, dimension: 9, missing: 0, seed: 7)
    let b = binaryData(rows: 3000, dimension: 9, missing: 0, seed: 8)
    let plain = Mixture(family: BernoulliFamily(components: 3, dimension: 9))
    let adaptedToA = plain.adapted(to: a)
    let p = parameters(components: 3, dimension: 9, seed: 4)
    let prepared = try adaptedToA.prepare(p)
    var statistics = [Double](repeating: 0, count: adaptedToA.statisticsCount)
    #expect(adaptedToA.family.packedMixtureExpectation(
      rows: 0..<100, of: b, prepared: prepared.emission, logWeights: prepared.logWeights, into: &statistics) == nil)
    #expect(adaptedToA.family.packedMixtureExpectation(
      rows: 0..<100, of: a, prepared: prepared.emission, logWeights: prepared.logWeights, into: &statistics) != nil)
    let (llOnB, _) = try eStep(adaptedToA, b, p)
    let (llDense, _) = try eStep(plain, b, p)
    #expect(llOnB == llDense)
  }

  /// The fit on packed rows: the same bits with 1 and 3 threads (chunks summed in order), and the
  /// same optimum as the dense path within the engine's tolerance.
  @Test func packedFitsAreThreadIndependentAndReachTheDenseOptimum() throws {
    let data = binaryData(rows: 6000, dimension: 20, missing: 0.05, seed: 11)
    let model = Mixture(family: BernoulliFamily(components: 3, dimension: 20))
    let start = parameters(components: 3, dimension: 20, seed: 12)
    let one = try EMEngine.fit(model, to: data, options: FitOptions(maxIterations: 40, tolerance: 0, initialization: .spec, threads: 1, acceleration: .none), start: start)
    let three = try EMEngine.fit(model, to: data, options: FitOptions(maxIterations: 40, tolerance: 0, initialization: .spec, threads: 3, acceleration: .none), start: start)
    #expect(one.trace == three.trace)
    #expect(one.parameters.emission.probabilities == three.parameters.emission.probabilities)
    // Forty plain EM steps by hand on the dense path (unadapted model, the same start).
    var p = start
    for _ in 0..<40 {
      let (_, statistics) = try eStep(model, data, p)
      p = model.maximization(statistics, previous: p, prepared: try model.prepare(p), data: data).0
    }
    let worst = zip(one.parameters.emission.probabilities, p.emission.probabilities).map { abs($0 - $1) }.max() ?? 0
    #expect(worst < 1e-11, "packed vs dense after 40 steps: \(worst)")
  }
}
