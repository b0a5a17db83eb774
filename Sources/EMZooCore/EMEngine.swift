import Foundation

/// The shared EM loop: every model kind is fitted by this one engine.
public enum EMEngine {
  /// How far the objective may fall between iterations and still count as rounding: sums of
  /// n floating-point terms carry a relative error of order 1e-12 for n = 10⁶.
  static func roundingSlack(_ objective: Double) -> Double { 1e-9 * max(1, abs(objective)) }

  /// Fits `model` to `data` by EM from `options.restarts` starts and keeps the best.
  ///
  /// Restart r starts from seed `options.seed + r`, so any restart can be rerun alone.
  /// `start` (with `InitMethod.spec`) fixes the starting parameters, and then one start is run.
  ///
  /// Work that a model does for the fit outside the E step (the k-means passes of a start) runs
  /// on `options.threads` too (`FitOptions.preparationThreads`), shared equally among the starts
  /// when they run at once (`concurrently`).
  public static func fit<Model: EMModel>(
    _ model: Model, to data: DataSet, options: FitOptions, start: Model.Parameters? = nil
  ) throws -> FitOutcome<Model.Parameters> {
    try FitOptions.$preparationThreads.withValue(options.threads) {
      try fitOnTheThreads(model, to: data, options: options, start: start)
    }
  }

  /// `fit`, with `FitOptions.preparationThreads` set.
  private static func fitOnTheThreads<Model: EMModel>(
    _ model: Model, to data: DataSet, options: FitOptions, start: Model.Parameters?
  ) throws -> FitOutcome<Model.Parameters> {
    let clock = ContinuousClock.now
    let model = model.adapted(to: data)
    let runner = ExpectationRunner(model: model, data: data, threads: options.threads)
    let constant = model.constantLogLikelihood(of: data)
    if options.initialization == .shortEM {
      return try fitShortEM(model, to: data, runner: runner, constant: constant, options: options, clock: clock)
    }
    let restarts = options.initialization == .spec ? 1 : options.restarts
    /// Restart r from its start on `runner`.
    func restart(_ r: Int, on runner: ExpectationRunner<Model>) throws -> StartRun<Model.Parameters> {
      let initial: Model.Parameters
      if options.initialization == .spec {
        guard let start else { throw FitFailure(description: "init \"spec\" needs the spec's parameters") }
        initial = start
      } else {
        // The generator only when a start is drawn (it allocates GSL's Mersenne Twister).
        initial = try model.initialParameters(
          for: data, method: options.initialization, random: RandomSource(seed: options.seed &+ UInt64(r)))
      }
      return try runStart(
        model, runner: runner, constant: constant, from: initial, options: options,
        restart: r, restarts: restarts, clock: clock)
    }
    // Every restart runs; they run at once when the E step cannot use the threads
    // (`concurrentStarts`), and are taken in order below either way. A single start asks for
    // no runners: the array of them is a generic type that an unspecialised generic function
    // instantiates at run time (2 % of a 107-row HMM's fit).
    var early: [Result<StartRun<Model.Parameters>, any Error>]? = nil
    if restarts > 1 {
      let runners = startRunners(model, data: data, runner: runner, options: options, starts: restarts)
      if runners.count > 1 {
        early = concurrently(restarts, workers: runners.count) { r, worker in Result { try restart(r, on: runners[worker]) } }
      }
    }
    var summaries: [RestartSummary] = []
    // The best run and its index apart: a (index, run) tuple is one more generic type to
    // instantiate at run time.
    var best: StartRun<Model.Parameters>? = nil
    var bestIndex = 0
    var bestIsDegenerate = false
    for r in 0..<restarts {
      let seed = options.seed &+ UInt64(r)
      do {
        let run = try early?[r].get() ?? restart(r, on: runner)
        let degenerate = model.isDegenerate(run.parameters)
        summaries.append(RestartSummary(
          seed: seed, initialization: options.initialization, logLikelihood: run.logLikelihood,
          logPosterior: model.hasPrior ? run.objective : nil, iterations: run.trace.count,
          evaluations: run.evaluations, converged: run.converged, failure: nil, repairs: run.repairs, trace: run.trace,
          degenerate: degenerate))
        if best.map({ prefers(run.objective, degenerate, over: $0.objective, bestIsDegenerate) }) ?? true {
          best = run
          bestIndex = summaries.count - 1
          bestIsDegenerate = degenerate
        }
      } catch let error as MonotonicityViolation {
        throw error
      } catch let error as InputError {
        throw error  // bad input is the user's to fix, not a failed start
      } catch {
        summaries.append(RestartSummary(
          seed: seed, initialization: options.initialization, logLikelihood: -.infinity, logPosterior: nil,
          iterations: 0, evaluations: 0, converged: false, failure: "\(error)", repairs: [], trace: []))
      }
    }
    return try outcome(model, best: best, index: bestIndex, restarts: summaries, clock: clock, shortRuns: 0)
  }

  /// The runners for `starts` starts: `runner` alone, or one single-threaded runner per
  /// thread when starts run at once (`concurrentStarts`).
  static func startRunners<Model: EMModel>(
    _ model: Model, data: DataSet, runner: ExpectationRunner<Model>, options: FitOptions, starts: Int
  ) -> [ExpectationRunner<Model>] {
    let workers = min(starts, concurrentStarts(
      chunks: runner.ownedChunks.count, threads: options.threads, processes: runner.group.size))
    guard workers > 1 else { return [runner] }
    return (0..<workers).map { _ in ExpectationRunner(model: model, data: data, threads: 1, group: runner.group) }
  }

  /// The fit's outcome: the best start's run (the `index`-th of the summaries) with every
  /// start's summary, or a `FitFailure` naming the first failure when no start succeeded.
  static func outcome<Model: EMModel>(
    _ model: Model, best: StartRun<Model.Parameters>?, index: Int, restarts summaries: [RestartSummary],
    clock: ContinuousClock.Instant, shortRuns: Int
  ) throws -> FitOutcome<Model.Parameters> {
    guard let best else {
      let reasons = summaries.compactMap(\.failure)
      throw FitFailure(description: "every start failed: \(reasons.first ?? "unknown reason")")
    }
    // Degenerate restarts count only when every restart that ran is degenerate.
    let regular = summaries.filter { !$0.degenerate && $0.failure == nil }
    let counted = regular.isEmpty ? summaries : regular
    let atBest = restartsAtBest(counted.map { $0.logPosterior ?? $0.logLikelihood })
    return FitOutcome(
      parameters: best.parameters, logLikelihood: best.logLikelihood,
      logPosterior: model.hasPrior ? best.objective : nil, iterations: best.trace.count,
      evaluations: best.evaluations, converged: best.converged, trace: best.trace,
      evaluationTrace: best.evaluationTrace, restarts: summaries,
      bestRestart: index, seconds: (ContinuousClock.now - clock).seconds,
      restartsAtBest: atBest.count, atBestTolerance: atBest.tolerance, shortRuns: shortRuns)
  }

  /// Whether a run ending at `objective` (`degenerate` as `EMModel.isDegenerate` says) is
  /// preferred to the best so far: a non-degenerate run beats any degenerate one, and
  /// otherwise the higher objective wins (ties keep the earlier run).
  static func prefers(_ objective: Double, _ degenerate: Bool, over bestObjective: Double, _ bestDegenerate: Bool) -> Bool {
    degenerate == bestDegenerate ? objective > bestObjective : !degenerate
  }

  /// Evaluates the log-likelihood of `data` at `parameters` (one E step).
  public static func logLikelihood<Model: EMModel>(
    _ model: Model, of data: DataSet, at parameters: Model.Parameters, threads: Int = 1
  ) throws -> Double {
    let model = model.adapted(to: data)
    let runner = ExpectationRunner(model: model, data: data, threads: threads)
    return runner.run(try model.prepare(parameters)).logLikelihood + model.constantLogLikelihood(of: data)
  }

  struct StartRun<P> {
    var parameters: P
    var logLikelihood: Double
    var objective: Double
    var trace: [Double]
    /// E steps run up to and including each iteration (the start's own E step counted).
    var evaluationTrace: [Int]
    var evaluations: Int
    var converged: Bool
    var repairs: [String]
    /// SQUAREM's state where the run stopped (nil for plain EM), so a run continued later
    /// (short-EM) takes exactly the steps one uninterrupted run would.
    var squarem: Squarem? = nil
  }

  /// θ with the results of one E step there: its statistics, ℓ(θ) with every constant, and the
  /// objective ℓ(θ) + log p(θ).
  struct Point<Model: EMModel> {
    var parameters: Model.Parameters
    var prepared: Model.Prepared
    var statistics: [Double]
    var logLikelihood: Double
    var objective: Double
    /// The repair the M step that led here made (a re-seeded component), if any. A field rather
    /// than a (point, repair) pair: each tuple type of a generic point is instantiated at run
    /// time by the unspecialised engine, on every fit.
    var repair: String? = nil
  }

  /// Runs E steps for one start and counts them.
  final class Evaluator<Model: EMModel> {
    let model: Model
    let runner: ExpectationRunner<Model>
    let constant: Double
    private(set) var count = 0

    init(model: Model, runner: ExpectationRunner<Model>, constant: Double) {
      self.model = model
      self.runner = runner
      self.constant = constant
    }

    /// One E step at θ; throws when `prepare` rejects θ.
    func callAsFunction(_ parameters: Model.Parameters) throws -> Point<Model> {
      let prepared = try model.prepare(parameters)
      count += 1
      let (statistics, logLikelihood) = runner.run(prepared)
      return Point(parameters: parameters, prepared: prepared, statistics: statistics,
                   logLikelihood: logLikelihood + constant,
                   objective: logLikelihood + constant + model.logPrior(parameters))
    }

    /// The M step from `point`'s statistics.
    func maximization(_ point: Point<Model>) -> (Model.Parameters, repair: String?) {
      model.maximization(point.statistics, previous: point.parameters, prepared: point.prepared, data: runner.data)
    }

    /// One plain EM step from `point` (M step, then the E step at the new θ, with the M step's
    /// repair). Throws when the objective becomes non-finite, or decreases without a repair (a
    /// bug: EM is monotone).
    func emStep(from point: Point<Model>, restart: Int, iteration: Int) throws -> Point<Model> {
      let (next, repair) = maximization(point)
      var evaluated = try self(next)
      try check(evaluated, after: point, repaired: repair != nil, restart: restart, iteration: iteration)
      evaluated.repair = repair
      return evaluated
    }

    /// The monotone guard between two EM iterates.
    func check(_ next: Point<Model>, after previous: Point<Model>, repaired: Bool, restart: Int, iteration: Int) throws {
      guard next.objective.isFinite else {
        throw FitFailure(description: "the log-likelihood became non-finite at iteration \(iteration)")
      }
      if !repaired, next.objective < previous.objective - roundingSlack(previous.objective) {
        throw MonotonicityViolation(restart: restart, iteration: iteration, before: previous.objective,
                                    after: next.objective)
      }
    }
  }

  static func runStart<Model: EMModel>(
    _ model: Model, runner: ExpectationRunner<Model>, constant: Double, from initial: Model.Parameters,
    options: FitOptions, restart: Int, restarts: Int, clock: ContinuousClock.Instant, resuming: Squarem? = nil,
    evaluationLimit: Int = .max
  ) throws -> StartRun<Model.Parameters> {
    let evaluate = Evaluator(model: model, runner: runner, constant: constant)
    var current = try evaluate(initial)
    guard current.objective.isFinite else {
      throw FitFailure(description: "the log-likelihood at the starting parameters is not finite (\(current.objective))")
    }
    // SQUAREM needs coordinates; a model without them runs plain EM.
    var squarem: Squarem? = options.acceleration == .squarem && model.coordinates(initial) != nil ? resuming ?? Squarem() : nil
    var trace: [Double] = []
    var evaluationTrace: [Int] = []
    var repairs: [String] = []
    var converged = false
    // `evaluationLimit` (short-EM's short runs) ends the run after the iteration that reaches
    // that many E steps, the one at the start included: always at an iteration's end, so the
    // run continues later exactly as if it had never stopped.
    while trace.count < options.maxIterations, evaluate.count < evaluationLimit {
      let iteration = trace.count + 1
      let next: Point<Model>
      if var accelerator = squarem {
        next = try accelerator.step(from: current, evaluate: evaluate, restart: restart, iteration: iteration)
        squarem = accelerator
      } else {
        next = try evaluate.emStep(from: current, restart: restart, iteration: iteration)
      }
      let repair = next.repair
      if let repair { repairs.append("iteration \(iteration): \(repair)") }
      let change = next.objective - current.objective
      current = next
      trace.append(current.objective)
      evaluationTrace.append(evaluate.count)
      if repair == nil, abs(change) <= options.tolerance * abs(current.objective) { converged = true }
      options.progress?(FitProgress(
        restart: restart, restarts: restarts, iteration: iteration, objective: current.objective, change: change,
        seconds: (ContinuousClock.now - clock).seconds, finished: converged || trace.count == options.maxIterations,
        converged: converged))
      if converged { break }
    }
    return StartRun(parameters: current.parameters, logLikelihood: current.logLikelihood, objective: current.objective,
                    trace: trace, evaluationTrace: evaluationTrace, evaluations: evaluate.count, converged: converged, repairs: repairs,
                    squarem: squarem)
  }
}

extension Duration {
  /// The duration in seconds as a Double.
  var seconds: Double {
    let (s, attoseconds) = components
    return Double(s) + Double(attoseconds) * 1e-18
  }
}
