extension EMEngine {
  /// SQUAREM's state between iterations: the largest step length allowed so far.
  ///
  /// One iteration of SqS3 (Varadhan & Roland 2008) in the model's unconstrained coordinates
  /// (`EMModel.coordinates(_:)`), from θ₀ with M the EM map:
  ///
  ///     θ₁ = M(θ₀),  θ₂ = M(θ₁),  r = θ₁ − θ₀,  v = θ₂ − 2θ₁ + θ₀,
  ///     α = −√(r·r / v·v), clamped to −stepMax ≤ α ≤ −1,
  ///     θ′ = θ₀ − 2αr + α²v,  then one stabilising EM step θ″ = M(θ′).
  ///
  /// θ″ is accepted when θ′ lies in the parameter space (its coordinates map back, `prepare`
  /// accepts it, its objective is finite) and the objective at θ″ is at least the objective at
  /// θ₁; otherwise the iteration falls back to the plain EM iterate θ₂. So the accepted
  /// objectives never decrease: ℓ(θ″) ≥ ℓ(θ₁) ≥ ℓ(θ₀), and on fall-back ℓ(θ₂) ≥ ℓ(θ₁) by EM's
  /// own guarantee, which the monotone guard checks for both plain steps.
  ///
  /// An accepted iteration costs three E steps (at θ₁, θ′, θ″; θ₂ needs only the M step), a
  /// fall-back four. stepMax starts at 1 and is multiplied by 4 whenever α reaches it (and
  /// divided by 4, not below 1, when such a step is rejected), as in the SQUAREM package.
  /// Comparing with θ₁ rather than θ₂ saves the E step at θ₂ on every accepted iteration;
  /// it is stricter than the package's default (which accepts any θ″ not worse than θ₀ by 1).
  /// A repair (a re-seeded component) ends the iteration with the repaired parameters and
  /// resets stepMax.
  ///
  /// [Varadhan & Roland 2008]: https://doi.org/10.1111/j.1467-9469.2007.00585.x
  struct Squarem {
    var stepMax = 1.0
    static let stepFactor = 4.0

    mutating func step<Model: EMModel>(
      from p0: Point<Model>, evaluate: Evaluator<Model>, restart: Int, iteration: Int
    ) throws -> (Point<Model>, repair: String?) {
      let model = evaluate.model
      let (p1, repair1) = try evaluate.emStep(from: p0, restart: restart, iteration: iteration)
      if repair1 != nil {
        stepMax = 1
        return (p1, repair1)
      }
      let (theta2, repair2) = evaluate.maximization(p1)
      // The plain EM iterate, evaluated only when it is the one accepted.
      func plain() throws -> (Point<Model>, repair: String?) {
        let p2 = try evaluate(theta2)
        try evaluate.check(p2, after: p1, repaired: repair2 != nil, restart: restart, iteration: iteration)
        if repair2 != nil { stepMax = 1 }
        return (p2, repair2)
      }
      guard repair2 == nil, let c0 = model.coordinates(p0.parameters), let c1 = model.coordinates(p1.parameters),
            let c2 = model.coordinates(theta2), c0.count == c1.count, c1.count == c2.count
      else { return try plain() }
      var rr = 0.0, vv = 0.0
      var r = [Double](repeating: 0, count: c0.count), v = r
      for i in c0.indices {
        r[i] = c1[i] - c0[i]
        v[i] = c2[i] - 2 * c1[i] + c0[i]
        rr += r[i] * r[i]
        vv += v[i] * v[i]
      }
      guard rr.isFinite, vv.isFinite, vv > 0 else { return try plain() }
      let alpha = -min(max((rr / vv).squareRoot(), 1), stepMax)
      let atMaximum = alpha == -stepMax
      let extrapolated = c0.indices.map { c0[$0] - 2 * alpha * r[$0] + alpha * alpha * v[$0] }
      if let theta = model.parameters(fromCoordinates: extrapolated, like: theta2),
         let p = try? evaluate(theta), p.objective.isFinite
      {
        let (stabilised, repair) = evaluate.maximization(p)
        if repair == nil, let accepted = try? evaluate(stabilised), accepted.objective.isFinite,
           accepted.objective >= p1.objective
        {
          if atMaximum { stepMax *= Self.stepFactor }
          return (accepted, nil)
        }
      }
      if atMaximum { stepMax = max(1, stepMax / Self.stepFactor) }
      return try plain()
    }
  }
}
