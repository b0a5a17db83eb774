import Foundation
import Numerics
import Testing

@testable import EMZoo

/// `emzoo impute` beyond the Gaussian mixture: mixtures of Poisson and Bernoulli columns
/// (responsibilities given the row's observed entries, times the component means) and hidden
/// Markov models (state probabilities over the whole sequence, times the states' conditional
/// means), each against the textbook formula written out here, and the refusal of categorical
/// emissions. The C plugin's `conditional_mean` is in CPluginTests.
@Suite struct ImputationTests {
  let nan = Double.nan

  /// Imputes `values` (rows of `columns.count`) under the spec's parameters.
  func impute(_ text: String, _ values: [Double], columns: [String], sequences: [Range<Int>]? = nil) throws -> DataSet {
    let s = try spec(text)
    let data = DataSet(source: "t", columns: columns, values: values, sequences: sequences)
    guard let filled = try model(s, dimension: columns.count).imputed(spec: s, data: data) else {
      Issue.record("not an imputer")
      return data
    }
    return filled
  }

  /// Observed entries come back with the same bits, missing ones are filled with `expected`
  /// (nil: still missing), to a relative 1e-12.
  func expectImputed(_ filled: DataSet, _ given: [Double], _ expected: [Double?], _ label: String) {
    #expect(filled.values.count == given.count)
    for e in given.indices {
      if !given[e].isNaN {
        #expect(filled.values[e].bitPattern == given[e].bitPattern, "\(label): observed entry \(e) changed")
      } else if let x = expected[e] {
        #expect(filled.values[e].isApproximatelyEqual(to: x, relativeTolerance: 1e-12),
                "\(label): entry \(e) is \(filled.values[e]), expected \(x)")
      }
    }
  }

  /// p(k | the row's observed entries) = πₖ Πⱼ∈O f(xⱼ | k) / Σₗ πₗ Πⱼ∈O f(xⱼ | l), with
  /// `density(k, j, xⱼ)` the textbook pmf of column j under component k.
  func responsibilities(_ row: [Double], weights w: [Double], density: (Int, Int, Double) -> Double) -> [Double] {
    var joint = w
    for k in w.indices {
      for j in row.indices where !row[j].isNaN { joint[k] *= density(k, j, row[j]) }
    }
    let total = joint.reduce(0, +)
    return joint.map { $0 / total }
  }

  // MARK: - Mixtures of independent columns

  static let poissonMixture = """
    { "model": "poisson-mixture", "options": { "components": 3 },
      "parameters": { "weights": [0.2, 0.5, 0.3], "rates": [[2, 9, 0.5], [12, 1, 3], [6, 6, 6]] } }
    """

  /// Σₖ rₖ λₖⱼ with rₖ ∝ πₖ Πⱼ∈O λₖⱼ^xⱼ e^{−λₖⱼ} / xⱼ! over the observed columns O of the row.
  @Test func poissonMixtureImputesTheResponsibilityWeightedRate() throws {
    let w: [Double] = [0.2, 0.5, 0.3], rates: [[Double]] = [[2, 9, 0.5], [12, 1, 3], [6, 6, 6]]
    let given: [Double] = [3, nan, 1,
                 nan, nan, 4,
                 7, 2, 0,            // complete: unchanged
                 nan, nan, nan,      // nothing observed: the marginal mean Σₖ πₖ λₖⱼ
                 0, 15, nan]
    let filled = try impute(Self.poissonMixture, given, columns: ["a", "b", "c"])
    var expected: [Double?] = Array(repeating: nil, count: given.count)
    for i in 0..<5 {
      let r = responsibilities(Array(given[(3 * i)..<(3 * i + 3)]), weights: w) { k, j, x in
        Foundation.pow(rates[k][j], x) * Foundation.exp(-rates[k][j]) / Foundation.tgamma(x + 1)
      }
      for j in 0..<3 where given[3 * i + j].isNaN {
        var sum = 0.0
        for k in 0..<3 { sum += r[k] * rates[k][j] }
        expected[3 * i + j] = sum
      }
    }
    expectImputed(filled, given, expected, "poisson")
    // The all-missing row: the weights themselves.
    for j in 0..<3 {
      let marginal: Double = w[0] * rates[0][j] + w[1] * rates[1][j] + w[2] * rates[2][j]
      #expect(filled[3, j].isApproximatelyEqual(to: marginal, relativeTolerance: 1e-13))
    }
    // The expected count, not rounded.
    #expect(filled[1, 0] != filled[1, 0].rounded())
    #expect(!filled.hasMissing)
  }

  /// Σₖ rₖ pₖⱼ, the probability of a 1, with rₖ ∝ πₖ Πⱼ∈O pₖⱼ^xⱼ (1 − pₖⱼ)^(1−xⱼ).
  @Test func bernoulliMixtureImputesTheProbabilityOfAOne() throws {
    let w: [Double] = [0.4, 0.6], p: [[Double]] = [[0.9, 0.8, 0.1, 0.2], [0.1, 0.3, 0.8, 0.9]]
    let given: [Double] = [1, nan, 0, nan,
                 0, 1, 1, 0,
                 nan, nan, nan, 1,
                 nan, nan, nan, nan]
    let filled = try impute("""
      { "model": "bernoulli-mixture", "options": { "components": 2 },
        "parameters": { "weights": [0.4, 0.6], "probabilities": [[0.9, 0.8, 0.1, 0.2], [0.1, 0.3, 0.8, 0.9]] } }
      """, given, columns: ["a", "b", "c", "d"])
    var expected: [Double?] = Array(repeating: nil, count: given.count)
    for i in 0..<4 {
      let r = responsibilities(Array(given[(4 * i)..<(4 * i + 4)]), weights: w) { k, j, x in
        x == 1 ? p[k][j] : 1 - p[k][j]
      }
      for j in 0..<4 where given[4 * i + j].isNaN { expected[4 * i + j] = r[0] * p[0][j] + r[1] * p[1][j] }
    }
    expectImputed(filled, given, expected, "bernoulli")
    #expect(filled[3, 2].isApproximatelyEqual(to: 0.4 * 0.1 + 0.6 * 0.8, relativeTolerance: 1e-13))
    #expect(filled.values.allSatisfy { $0 >= 0 && $0 <= 1 })
  }

  // MARK: - Hidden Markov models, against every state path

  /// γₜ(k) = Σ over the state paths s with sₜ = k of p(s, x) / Σ over all paths, by enumeration:
  /// p(s, x) = π_{s₀} f(x₀ | s₀) Πₜ A_{sₜ₋₁sₜ} f(xₜ | sₜ), with `emission(k, t)` the density of
  /// row t's observed entries under state k (1 when nothing is observed).
  func bruteForcePosteriors(length T: Int, initial: [Double], transition: [[Double]],
                            emission: (Int, Int) -> Double) -> [[Double]] {
    let K = initial.count
    var gamma = [[Double]](repeating: [Double](repeating: 0, count: K), count: T)
    var total = 0.0
    var path = [Int](repeating: 0, count: T)
    for code in 0..<Int(Foundation.pow(Double(K), Double(T))) {
      var c = code
      for t in 0..<T { path[t] = c % K; c /= K }
      var p = initial[path[0]] * emission(path[0], 0)
      for t in 1..<T { p *= transition[path[t - 1]][path[t]] * emission(path[t], t) }
      total += p
      for t in 0..<T { gamma[t][path[t]] += p }
    }
    return gamma.map { $0.map { $0 / total } }
  }

  /// A full-covariance Gaussian HMM: E[xₜⱼ | x] = Σₖ γₜ(k) (μₖⱼ + Σₖ,jo / Σₖ,oo (xₜₒ − μₖₒ)) when
  /// the other coordinate o is observed, Σₖ γₜ(k) μₖⱼ when the row is empty; γ by enumeration
  /// of the 2⁵ state paths.
  @Test func gaussianHMMImputesTheStateWeightedConditionalMean() throws {
    let initial = [0.6, 0.4], A = [[0.8, 0.2], [0.3, 0.7]]
    let mu = [[0.0, 1.0], [3.0, -1.0]]
    let cov = [[[1.0, 0.6], [0.6, 2.0]], [[0.5, -0.3], [-0.3, 1.0]]]
    let given: [Double] = [0.2, nan,
                 nan, nan,
                 2.5, -0.5,
                 nan, -1.5,
                 1.0, nan]
    let filled = try impute("""
      { "model": "hmm", "options": { "states": 2, "emission": "gaussian", "covariance": "full" },
        "parameters": { "initial": [0.6, 0.4], "transition": [[0.8, 0.2], [0.3, 0.7]],
                        "means": [[0, 1], [3, -1]],
                        "covariances": [[[1, 0.6], [0.6, 2]], [[0.5, -0.3], [-0.3, 1]]] } }
      """, given, columns: ["x1", "x2"])
    func normal(_ x: Double, _ m: Double, _ v: Double) -> Double {
      Foundation.exp(-(x - m) * (x - m) / (2 * v)) / (2 * Double.pi * v).squareRoot()
    }
    func density(_ k: Int, _ t: Int) -> Double {
      let x = [given[2 * t], given[2 * t + 1]]
      switch (x[0].isNaN, x[1].isNaN) {
      case (true, true): return 1
      case (false, true): return normal(x[0], mu[k][0], cov[k][0][0])
      case (true, false): return normal(x[1], mu[k][1], cov[k][1][1])
      case (false, false):
        let a = cov[k][0][0], b = cov[k][0][1], c = cov[k][1][1], det = a * c - b * b
        let u = x[0] - mu[k][0], v = x[1] - mu[k][1]
        return Foundation.exp(-(c * u * u - 2 * b * u * v + a * v * v) / (2 * det)) / (2 * Double.pi * det.squareRoot())
      }
    }
    let gamma = bruteForcePosteriors(length: 5, initial: initial, transition: A, emission: density)
    var expected: [Double?] = Array(repeating: nil, count: given.count)
    for t in 0..<5 {
      for j in 0..<2 where given[2 * t + j].isNaN {
        let o = 1 - j, xo = given[2 * t + o]
        var sum = 0.0
        for k in 0..<2 {
          let conditional: Double = xo.isNaN ? mu[k][j] : mu[k][j] + cov[k][j][o] / cov[k][o][o] * (xo - mu[k][o])
          sum += gamma[t][k] * conditional
        }
        expected[2 * t + j] = sum
      }
    }
    expectImputed(filled, given, expected, "gaussian hmm")
    #expect(!filled.hasMissing)
  }

  /// A Poisson HMM over two sequences (the second must not see the first): Σₖ γₜ(k) λₖⱼ with
  /// γ by enumeration within each sequence.
  @Test func poissonHMMImputesTheStateWeightedRatePerSequence() throws {
    let initial = [0.7, 0.3], A = [[0.9, 0.1], [0.2, 0.8]], rates = [[1.0, 4.0], [7.0, 0.5]]
    let given: [Double] = [0, nan,
                 nan, 3,
                 9, 1,
                 nan, nan,   // sequence 2 starts here
                 8, nan,
                 nan, 0]
    let sequences = [0..<3, 3..<6]
    let filled = try impute("""
      { "model": "hmm", "options": { "states": 2, "emission": "poisson" },
        "parameters": { "initial": [0.7, 0.3], "transition": [[0.9, 0.1], [0.2, 0.8]],
                        "rates": [[1, 4], [7, 0.5]] } }
      """, given, columns: ["a", "b"], sequences: sequences)
    var expected: [Double?] = Array(repeating: nil, count: given.count)
    for sequence in sequences {
      func density(_ k: Int, _ t: Int) -> Double {
        let i = sequence.lowerBound + t
        var f = 1.0
        for j in 0..<2 where !given[2 * i + j].isNaN {
          let x = given[2 * i + j]
          f *= Foundation.pow(rates[k][j], x) * Foundation.exp(-rates[k][j]) / Foundation.tgamma(x + 1)
        }
        return f
      }
      let gamma = bruteForcePosteriors(length: sequence.count, initial: initial, transition: A, emission: density)
      for t in 0..<sequence.count {
        let i = sequence.lowerBound + t
        for j in 0..<2 where given[2 * i + j].isNaN {
          expected[2 * i + j] = gamma[t][0] * rates[0][j] + gamma[t][1] * rates[1][j]
        }
      }
    }
    expectImputed(filled, given, expected, "poisson hmm")
    #expect(!filled.hasMissing)
  }

  /// A diagonal Gaussian HMM imputes the state means (no coordinate says anything about
  /// another within a state), weighted by γ.
  @Test func diagonalGaussianHMMImputesTheStateMean() throws {
    let initial = [0.5, 0.5], A = [[0.6, 0.4], [0.4, 0.6]], mu = [[-1.0, 2.0], [1.0, 5.0]], v = [[1.0, 4.0], [2.0, 1.0]]
    let given: [Double] = [-0.5, nan, nan, 4.0, 0.3, 5.5]
    let filled = try impute("""
      { "model": "hmm", "options": { "states": 2, "emission": "gaussian", "covariance": "diagonal" },
        "parameters": { "initial": [0.5, 0.5], "transition": [[0.6, 0.4], [0.4, 0.6]],
                        "means": [[-1, 2], [1, 5]], "covariances": [[[1, 0], [0, 4]], [[2, 0], [0, 1]]] } }
      """, given, columns: ["x1", "x2"])
    func density(_ k: Int, _ t: Int) -> Double {
      var f = 1.0
      for j in 0..<2 where !given[2 * t + j].isNaN {
        let z = given[2 * t + j] - mu[k][j]
        f *= Foundation.exp(-z * z / (2 * v[k][j])) / (2 * Double.pi * v[k][j]).squareRoot()
      }
      return f
    }
    let gamma = bruteForcePosteriors(length: 3, initial: initial, transition: A, emission: density)
    let x2: Double = gamma[0][0] * 2 + gamma[0][1] * 5, x1: Double = gamma[1][0] * -1 + gamma[1][1] * 1
    let expected: [Double?] = [nil, x2, x1, nil, nil, nil]
    expectImputed(filled, given, expected, "diagonal hmm")
  }

  // MARK: - Refusals

  @Test func aCategoricalHMMRefusesWithAReason() throws {
    let s = try spec("""
      { "model": "hmm", "options": { "states": 2, "emission": "categorical", "symbols": 3 },
        "parameters": { "initial": [0.5, 0.5], "transition": [[0.9, 0.1], [0.1, 0.9]],
                        "probabilities": [[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]] } }
      """)
    let data = DataSet(source: "t", columns: ["face"], values: [0, nan, 2])
    do {
      _ = try model(s, dimension: 1).imputed(spec: s, data: data)
      Issue.record("a categorical HMM imputed")
    } catch let refusal as ImputationUnavailable {
      #expect(refusal.reason.contains("category codes") && !refusal.reason.contains("\n"), "\(refusal.reason)")
    }
  }

  // MARK: - The command line

  /// `emzoo impute` on a Poisson mixture with every instruction-set level of the kernels
  /// (EMZOO_KERNELS; levels the CPU lacks fall back to the best it has): each missing entry
  /// against the formula, observed entries written as they were read, and the same bytes at
  /// every level for these small counts. A categorical HMM exits 2 with one line.
  @Test func theCommandImputesAtEveryKernelLevelAndRefusesCategoricalEmissions() throws {
    let dir = try temporaryDirectory()
    let specPath = dir.appendingPathComponent("p.json").path, csv = dir.appendingPathComponent("p.csv").path
    try Self.poissonMixture.write(toFile: specPath, atomically: true, encoding: .utf8)
    let text = "a,b,c\n3,,1\n,,4\n7,2,0\n,,\n0,15,\n"
    try text.write(toFile: csv, atomically: true, encoding: .utf8)
    let direct = try impute(Self.poissonMixture, [3, nan, 1, nan, nan, 4, 7, 2, 0, nan, nan, nan, 0, 15, nan],
                            columns: ["a", "b", "c"])
    var outputs: [String] = []
    for level in ["baseline", "x86-64-v3", ""] {
      let out = dir.appendingPathComponent("i-\(level).csv").path
      let r = try runProcess(emzooExecutable().path, ["impute", specPath, "--data", csv, "--output", out],
                             environment: level.isEmpty ? [:] : ["EMZOO_KERNELS": level])
      #expect(r.status == 0 && r.stderr.isEmpty, "\(level): \(r.stderr)")
      let written = try String(contentsOfFile: out, encoding: .utf8)
      outputs.append(written)
      let lines = written.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
      let given = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
      #expect(lines.count == given.count && lines.first == given.first)
      for (i, (row, original)) in zip(lines, given).enumerated().dropFirst() {
        for (j, (value, before)) in zip(row, original).enumerated() {
          if before.isEmpty {
            #expect(Double(value)?.isApproximatelyEqual(to: direct[i - 1, j], relativeTolerance: 1e-12) == true,
                    "\(level): line \(i + 1), column \(j): \(value)")
          } else {
            #expect(value == before, "\(level): observed entry rewritten")
          }
        }
      }
    }
    #expect(Set(outputs).count == 1)

    let casino = repositoryRoot.appendingPathComponent("models/hmm-casino.json").path
    let faces = dir.appendingPathComponent("faces.csv").path
    try "face\n0\nNA\n5\n".write(toFile: faces, atomically: true, encoding: .utf8)
    let refused = try runEMZoo(["impute", casino, "--data", faces])
    #expect(refused.status == 2 && refused.stdout.isEmpty, "\(refused.stderr)")
    #expect(refused.stderr.split(separator: "\n").count == 1)
    #expect(refused.stderr.contains("hmm-casino.json: model: \"hmm\" cannot impute missing values: a categorical emission's values are category codes"),
            "\(refused.stderr)")
  }
}
