public import EMZooCore

/// A family of probability tables (categorical symbols, Bernoulli bits) whose random-partition
/// starts are drawn tables rather than the M step of random labels: random labels give every
/// component nearly the data's frequencies, and EM then needs many iterations to break the tie.
///
/// Mixtures and HMMs use it for `InitMethod.randomPartition`, one of the three starts of short-EM.
public protocol RandomTableFamily: EmissionFamily {
  /// Starting tables for one start: the data's frequencies blended with random draws
  /// (every observed value stays possible, so the starting likelihood is finite).
  func randomTables(for data: DataSet, random: RandomSource) -> Parameters
}

extension CategoricalFamily: RandomTableFamily {
  /// The HMM's random start: p_k = ½ f̂ + ½ u_k with u_k ~ Dirichlet(1, …, 1).
  public func randomTables(for data: DataSet, random: RandomSource) -> Parameters {
    randomStart(for: data, random: random)
  }
}

extension BernoulliFamily: RandomTableFamily {
  /// pₖⱼ = ½ f̂ⱼ + ½ uₖⱼ with uₖⱼ ~ Uniform(0, 1) = Beta(1, 1), where f̂ⱼ is column j's observed
  /// share of ones (½ for a column with nothing observed); kept in [ε, 1 − ε] as the M step does.
  public func randomTables(for data: DataSet, random: RandomSource) -> Parameters {
    let K = components, d = dimension
    var ones = [Double](repeating: 0, count: d), observed = [Double](repeating: 0, count: d)
    for (e, x) in data.values.enumerated() where !x.isNaN {
      ones[e % d] += x
      observed[e % d] += 1
    }
    let floor = Self.probabilityFloor
    var p = [Double](repeating: 0, count: K * d)
    for k in 0..<K {
      for j in 0..<d {
        let frequency = observed[j] > 0 ? ones[j] / observed[j] : 0.5
        p[k * d + j] = min(max(0.5 * frequency + 0.5 * random.uniform(), floor), 1 - floor)
      }
    }
    return Parameters(probabilities: p)
  }
}
