import Foundation
import Numerics
import Testing

import EMZoo

/// The short Swift API: fit in-memory rows, then predict, responsibilities, score and sample.
struct FittedModelTests {
  /// Two well-separated blobs drawn from the bundled two-blob truth.
  func blobs() throws -> (x: [[Double]], labels: [Int]) {
    let s = try spec(twoBlobSpec)
    let data = try model(s).sampleData(spec: s, count: 2000, seed: 3)
    return (data.rowArrays, data.latent ?? [])
  }

  let twoBlobSpec = """
    {"model": "gaussian-mixture", "options": {"components": 2},
     "parameters": {"weights": [0.4, 0.6], "means": [[0, 0], [6, 6]],
                    "covariances": [[[1, 0], [0, 1]], [[1, 0.5], [0.5, 2]]]}}
    """

  @Test func aGaussianMixtureInFiveLines() throws {
    let (x, truth) = try blobs()
    let gmm = try GaussianMixture(components: 2).fit(x)
    let labels = try gmm.predict(x)
    // Labels are defined up to a permutation; the blobs are 6 standard deviations apart.
    let agree = zip(labels, truth).filter { $0 == $1 }.count
    #expect(max(agree, x.count - agree) >= x.count - 2)
    #expect(gmm.outcome.converged)
  }

  @Test func responsibilitiesScoreAndSampleAgreeWithTheEngine() throws {
    let (x, _) = try blobs()
    let gmm = try GaussianMixture(components: 2, covariance: .full).fit(x)
    let p = try gmm.responsibilities(x)
    #expect(p.count == x.count && p.allSatisfy { $0.count == 2 })
    #expect(p.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-12 })
    // The MAP label is the larger responsibility.
    let labels = try gmm.predict(x)
    #expect(zip(labels, p).allSatisfy { label, row in row[label] >= row[1 - label] })
    // Scoring the training rows reproduces the fit's log-likelihood (one more E step at θ̂).
    #expect(try gmm.logLikelihood(of: x).isApproximatelyEqual(to: gmm.outcome.logLikelihood, relativeTolerance: 1e-12))
    let drawn = try gmm.sample(count: 10, seed: 4)
    #expect(drawn.count == 10 && drawn.allSatisfy { $0.count == 2 })
    #expect(try gmm.sample(count: 10, seed: 4) == drawn)
  }

  @Test func raggedRowsAndWrongWidthsAreBadInput() throws {
    #expect(throws: InputError.self) { try GaussianMixture(components: 1).fit([[1, 2], [3]]) }
    let (x, _) = try blobs()
    let gmm = try GaussianMixture(components: 2).fit(x)
    #expect(throws: InputError.self) { try gmm.predict([[1, 2, 3]]) }
  }
}
