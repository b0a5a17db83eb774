import Foundation
import Testing
import EMZooCore
import EMZooModels

/// The models layer on its own (no JSON, no files): a Poisson mixture built from its Swift
/// types, fitted by the engine, and checked against formulas evaluated here.
@Suite struct ModelsLayerTests {
  /// 4000 counts: weight 0.4 at rate 2, 0.6 at rate 9.
  let data: DataSet = {
    let random = RandomSource(seed: 5)
    let values = (0..<4000).map { _ in random.uniform() < 0.4 ? random.poisson(2) : random.poisson(9) }
    return DataSet(source: "counts", columns: ["x"], values: values)
  }()

  func logPoisson(_ x: Double, _ rate: Double) -> Double { x * log(rate) - rate - lgamma(x + 1) }

  @Test func aPoissonMixtureFitsToItsFixedPointWithoutTheSpecLayer() throws {
    let model = Mixture(family: PoissonFamily(components: 2, dimension: 1))
    let fit = try EMEngine.fit(model, to: data, options: FitOptions(tolerance: 1e-13, threads: 2))
    let w = fit.parameters.weights, rates = fit.parameters.emission.rates  // K×1
    // ℓ summed directly, every constant included (−log x!).
    var ll = 0.0, r = [Double](repeating: 0, count: 2), rx = [Double](repeating: 0, count: 2)
    for i in 0..<data.rows {
      let x = data[i, 0]
      let a = [log(w[0]) + logPoisson(x, rates[0]), log(w[1]) + logPoisson(x, rates[1])]
      let m = a.max()!, total = m + log(a.map { exp($0 - m) }.reduce(0, +))
      ll += total
      for k in 0..<2 { let p = exp(a[k] - total); r[k] += p; rx[k] += p * x }
    }
    #expect(abs(fit.logLikelihood - ll) < 1e-10 * abs(ll))
    // At an EM fixed point the rates are the responsibility-weighted means and the weights
    // the mean responsibilities.
    for k in 0..<2 {
      #expect(abs(rates[k] - rx[k] / r[k]) < 1e-5 * rates[k])
      #expect(abs(w[k] - r[k] / Double(data.rows)) < 1e-5)
    }
    let low = rates[0] < rates[1] ? 0 : 1
    #expect(abs(rates[low] - 2) < 0.3 && abs(rates[1 - low] - 9) < 0.3)
  }
}
