import Foundation
import Testing

import EMZoo

/// The code of the DocC article "Fitting a mixture in Swift" (Sources/EMZoo/EMZoo.docc),
/// run as written, so the article cannot drift from the API.
@Suite struct DocumentationExampleTests {
  @Test func fittingAMixtureInSwiftRecoversTwoBlobs() throws {
    // In-memory rows: 600 draws from a known two-component mixture, one entry missing.
    let truth = Mixture<GaussianFamily>.Parameters(
      weights: [0.3, 0.7],
      emission: GaussianFamily.Parameters(means: [0, 0, 4, 4], covariances: [1, 0, 0, 1, 1, 0.5, 0.5, 2]))
    let generator = Mixture(family: GaussianFamily(components: 2, dimension: 2, covariance: .full))
    let drawn = try generator.sample(truth, count: 600, random: RandomSource(seed: 7))
    var rows: [[Double]] = (0..<drawn.rows).map { i in [drawn[i, 0], drawn[i, 1]] }
    rows[5][0] = .nan

    // The article's steps.
    let data = DataSet(source: "rows", columns: ["x", "y"], values: rows.flatMap { $0 })
    let model = Mixture(family: GaussianFamily(components: 2, dimension: 2, covariance: .full))
    try model.validate(data)
    let outcome = try EMEngine.fit(model, to: data, options: FitOptions(restarts: 5, seed: 1))
    let fitted = outcome.parameters
    let labels = try model.assignments(fitted, data: data)
    let logLikelihood = try EMEngine.logLikelihood(model, of: data, at: fitted)

    #expect(outcome.converged)
    #expect(labels.count == rows.count)
    #expect(abs(logLikelihood - outcome.logLikelihood) <= 1e-9 * abs(logLikelihood))
    // Components come out in either order; the one with the larger first mean is (4, 4).
    let big = fitted.emission.means[0] > fitted.emission.means[2] ? 0 : 1
    #expect(abs(fitted.weights[big] - 0.7) < 0.06)
    #expect(abs(fitted.emission.means[2 * big] - 4) < 0.3 && abs(fitted.emission.means[2 * big + 1] - 4) < 0.3)
    // Most rows are labelled with the component they were drawn from.
    let latent = try #require(drawn.latent)
    let agree = zip(labels, latent).filter { ($0 == big) == ($1 == 1) }.count
    #expect(Double(agree) / Double(rows.count) > 0.9)
  }
}
