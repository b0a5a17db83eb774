import Foundation

extension EMEngine {
  /// SQUAREM's state between iterations: whether it is extrapolating, the largest step length
  /// allowed so far and plain EM's last objective change and rate.
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
  /// **Extrapolating only where it pays.** Where plain EM already converges fast, a cycle's
  /// three E steps buy little more than three plain steps, and a fall-back costs a fourth. So
  /// an iteration is a plain EM step (θ₁, one E step) unless plain EM's observed rate is slow:
  ///
  ///     q = (ℓ(θ₁) − ℓ(θ₀)) / (ℓ(θ₀) − ℓ(θ₋₁))   over two successive plain steps,
  ///
  /// an estimate of ρ², ρ the linear rate of EM (the largest eigenvalue of the EM map's
  /// Jacobian at the optimum; ℓ* − ℓₖ shrinks like ρ²ᵏ). Plain steps continue while
  /// q < `slowRate`; the first plain step with q ≥ `slowRate` goes on into a cycle (its θ₁ is
  /// the cycle's). Cycles continue while they pay: a fall-back, or an accepted θ″ that gained
  /// less than the three plain steps it replaces would have at that rate,
  ///
  ///     ℓ(θ″) − ℓ(θ₀) < (ℓ(θ₁) − ℓ(θ₀)) (1 + q + q²),
  ///
  /// returns to plain steps, which measure q afresh (against the cycle's last step θ′ → θ″,
  /// itself a plain step): only a q below `slowRate` makes the iteration end at a plain step,
  /// so a slow fit never meets the tolerance on a lone plain step far from the optimum. (Ending a cycle at θ₁ once that plain step
  /// meets the tolerance would save up to two E steps, but a slow fit would then stop where
  /// plain EM stops, far short of the optimum: 2e-4 in the standard errors of Hasselblad's
  /// deaths.) (A ratio of
  /// coordinate steps |θ₂ − θ₁|² / |θ₁ − θ₀|² would not do: a probability heading for 0 moves
  /// its log-odds by a constant step, so that ratio stays near 1 however fast ℓ converges.)
  /// Every choice depends only on the iterates, so fits stay deterministic.
  ///
  /// [Varadhan & Roland 2008]: https://doi.org/10.1111/j.1467-9469.2007.00585.x
  struct Squarem {
    var stepMax = 1.0
    /// Whether the next iteration extrapolates without first measuring q.
    var extrapolating = false
    /// The objective change of the last plain step (nil before the first, or after a repair).
    var lastChange: Double? = nil
    /// The plain-step ratio q that opened extrapolation.
    var plainRate = 0.0
    static let stepFactor = 4.0
    /// The plain-step ratio q ≈ ρ² from which extrapolation pays (ρ ≈ 0.55): chosen on bench/tts.py's
    /// cases, where 0.2 let fast fits lose up to 4 E steps and 0.5 gave up half the gain on
    /// Hasselblad's deaths (bench/SQUAREM.md).
    static let slowRate = 0.3

    mutating func step<Model: EMModel>(
      from p0: Point<Model>, evaluate: Evaluator<Model>, restart: Int, iteration: Int
    ) throws -> Point<Model> {
      let model = evaluate.model
      let p1 = try evaluate.emStep(from: p0, restart: restart, iteration: iteration)
      if p1.repair != nil {
        stepMax = 1
        extrapolating = false
        lastChange = nil
        return p1
      }
      let change = p1.objective - p0.objective
      // A plain step while plain EM converges fast.
      func plainStep() -> Point<Model> {
        extrapolating = false
        lastChange = change
        return p1
      }
      if !extrapolating {
        guard let last = lastChange, last > 0, change / last >= Self.slowRate else { return plainStep() }
        plainRate = change / last
      }
      let (theta2, repair2) = evaluate.maximization(p1)
      // The plain EM iterate, evaluated only when it is the one accepted.
      func plain() throws -> Point<Model> {
        var p2 = try evaluate(theta2)
        try evaluate.check(p2, after: p1, repaired: repair2 != nil, restart: restart, iteration: iteration)
        extrapolating = false
        if repair2 != nil {
          stepMax = 1
          lastChange = nil
        } else {
          lastChange = p2.objective - p1.objective
        }
        p2.repair = repair2
        return p2
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
      extrapolating = true
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
          // Three plain steps at the last observed rate would have gained Δ₁(1 + q + q²). The
          // stabilising step θ′ → θ″ is a plain step, so the next q can be measured against it.
          if accepted.objective - p0.objective < change * (1 + plainRate + plainRate * plainRate) {
            extrapolating = false
            lastChange = accepted.objective - p.objective
          }
          return accepted
        }
      }
      if atMaximum { stepMax = max(1, stepMax / Self.stepFactor) }
      return try plain()
    }
  }
}
