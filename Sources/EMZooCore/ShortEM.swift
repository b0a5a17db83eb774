import Foundation

extension EMEngine {
  /// The number of restarts whose final objective is within a tolerance of the best one.
  ///
  ///     tolerance = max(1e-3, 1e-5 · |best|),   count = #{ r : best − objectiveᵣ ≤ tolerance }
  ///
  /// Runs that climb the same maximum stop short of it by about change · ρ/(1 − ρ), with ρ the
  /// rate of EM's linear convergence: with the default relative tolerance 1e-8 and ρ = 0.99
  /// that is 1e-6 · |ℓ| (Hasselblad's deaths data, ℓ = −1989.95, stops 0.002 short). Distinct
  /// local maxima of real data sets differ by 5e-4 · |ℓ| or more (0.125 at ℓ = −206 for a
  /// 2-state Poisson HMM of `discoveries`). Failed restarts (−∞, NaN) never count; no finite
  /// objective gives (0, 0).
  public static func restartsAtBest(_ objectives: [Double]) -> (count: Int, tolerance: Double) {
    let finite = objectives.filter(\.isFinite)
    guard let best = finite.max() else { return (0, 0) }
    let tolerance = max(1e-3, 1e-5 * abs(best))
    return (finite.filter { best - $0 <= tolerance }.count, tolerance)
  }

  /// Short-EM initialisation (Biernacki, Celeux & Govaert 2003, CSDA 41:561–575).
  ///
  /// Draws J = max(`shortRuns`, `restarts`) starts, short run j from seed `seed + j` with the
  /// method `InitMethod.shortEMSchedule[j % 3]` (k-means++, random rows, random partition), and
  /// runs each for `shortIterations` iterations of plain EM (the same loop and monotone guard as
  /// a full run). The `restarts` short runs with the highest objective (ties: the lower j) then
  /// continue to convergence, the iteration limit counting the short iterations too.
  ///
  /// Continuing from the short run's end point is the same EM sequence as running from its
  /// start in one go, so restart j is reproduced bit for bit by `init` = its method,
  /// `seed` = `seed + j` and one restart. Every start depends only on its own seed, so the
  /// result never depends on the thread count. Short runs that fail (a non-finite likelihood
  /// at the start) are listed among the restarts with their failure.
  ///
  /// [Biernacki, Celeux & Govaert 2003]: https://doi.org/10.1016/S0167-9473(02)00163-9
  static func fitShortEM<Model: EMModel>(
    _ model: Model, to data: DataSet, runner: ExpectationRunner<Model>, constant: Double, options: FitOptions,
    clock: ContinuousClock.Instant
  ) throws -> FitOutcome<Model.Parameters> {
    let count = max(options.shortRuns, options.restarts)
    var shortOptions = options
    shortOptions.maxIterations = min(options.shortIterations, options.maxIterations)
    shortOptions.progress = nil

    var candidates: [ShortRun<Model.Parameters>] = []
    var failures: [RestartSummary] = []
    for j in 0..<count {
      let seed = options.seed &+ UInt64(j)
      let method = InitMethod.shortEMSchedule[j % InitMethod.shortEMSchedule.count]
      do {
        let initial = try model.initialParameters(for: data, method: method, random: RandomSource(seed: seed))
        let run = try runStart(
          model, runner: runner, constant: constant, from: initial, options: shortOptions,
          restart: j, restarts: count, clock: clock)
        candidates.append(ShortRun(index: j, seed: seed, method: method, run: run))
      } catch let error as MonotonicityViolation {
        throw error
      } catch let error as InputError {
        throw error
      } catch {
        failures.append(RestartSummary(
          seed: seed, initialization: method, logLikelihood: -.infinity, logPosterior: nil, iterations: 0,
          evaluations: 0, converged: false, failure: "\(error)", repairs: [], trace: []))
      }
    }

    // The best `restarts` short runs, reported in the order they were drawn.
    let kept = candidates.enumerated()
      .sorted { ($0.element.run.objective, -$0.offset) > ($1.element.run.objective, -$1.offset) }
      .prefix(options.restarts)
      .map(\.element)
      .sorted { $0.index < $1.index }

    var summaries: [RestartSummary] = []
    var best: (index: Int, run: StartRun<Model.Parameters>)? = nil
    for (rank, candidate) in kept.enumerated() {
      var run = candidate.run
      let remaining = options.maxIterations - run.trace.count
      do {
        if !run.converged, remaining > 0 {
          var longOptions = options
          longOptions.maxIterations = remaining
          let rest = try runStart(
            model, runner: runner, constant: constant, from: run.parameters, options: longOptions,
            restart: rank, restarts: kept.count, clock: clock, resuming: run.squarem)
          let offset = run.trace.count
          run = StartRun(
            parameters: rest.parameters, logLikelihood: rest.logLikelihood, objective: rest.objective,
            trace: run.trace + rest.trace,
            evaluationTrace: run.evaluationTrace + rest.evaluationTrace.map { $0 + run.evaluations }, evaluations: run.evaluations + rest.evaluations, converged: rest.converged,
            repairs: run.repairs + rest.repairs.map { shiftIteration($0, by: offset) }, squarem: rest.squarem)
        }
      } catch let error as MonotonicityViolation {
        throw error
      } catch let error as InputError {
        throw error
      } catch {
        summaries.append(RestartSummary(
          seed: candidate.seed, initialization: candidate.method, logLikelihood: -.infinity, logPosterior: nil,
          iterations: run.trace.count, evaluations: run.evaluations, converged: false, failure: "\(error)",
          repairs: run.repairs, trace: run.trace))
        continue
      }
      summaries.append(RestartSummary(
        seed: candidate.seed, initialization: candidate.method, logLikelihood: run.logLikelihood,
        logPosterior: model.hasPrior ? run.objective : nil, iterations: run.trace.count,
        evaluations: run.evaluations, converged: run.converged, failure: nil, repairs: run.repairs, trace: run.trace))
      if best.map({ run.objective > $0.run.objective }) ?? true { best = (summaries.count - 1, run) }
    }
    summaries += failures
    return try outcome(model, best: best, restarts: summaries, clock: clock, shortRuns: count)
  }

  /// One short run: its index j, seed, start method and where its iterations ended.
  struct ShortRun<P> {
    var index: Int
    var seed: UInt64
    var method: InitMethod
    var run: StartRun<P>
  }

  /// "iteration 3: …" → "iteration 13: …" for a repair made after `offset` short iterations.
  static func shiftIteration(_ repair: String, by offset: Int) -> String {
    let prefix = "iteration "
    guard repair.hasPrefix(prefix), let colon = repair.firstIndex(of: ":"),
          let iteration = Int(repair[repair.index(repair.startIndex, offsetBy: prefix.count)..<colon])
    else { return repair }
    return prefix + String(iteration + offset) + repair[colon...]
  }
}
