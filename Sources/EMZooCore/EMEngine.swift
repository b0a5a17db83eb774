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
  public static func fit<Model: EMModel>(
    _ model: Model, to data: DataSet, options: FitOptions, start: Model.Parameters? = nil
  ) throws -> FitOutcome<Model.Parameters> {
    let clock = ContinuousClock.now
    let model = model.adapted(to: data)
    let runner = ExpectationRunner(model: model, data: data, threads: options.threads)
    let constant = model.constantLogLikelihood(of: data)
    if options.initialization == .shortEM {
      return try fitShortEM(model, to: data, runner: runner, constant: constant, options: options, clock: clock)
    }
    let restarts = options.initialization == .spec ? 1 : options.restarts
    var summaries: [RestartSummary] = []
    var best: (index: Int, run: StartRun<Model.Parameters>)? = nil
    for r in 0..<restarts {
      let seed = options.seed &+ UInt64(r)
      let random = RandomSource(seed: seed)
      do {
        let initial: Model.Parameters
        if options.initialization == .spec {
          guard let start else { throw FitFailure(description: "init \"spec\" needs the spec's parameters") }
          initial = start
        } else {
          initial = try model.initialParameters(for: data, method: options.initialization, random: random)
        }
        let run = try runStart(
          model, runner: runner, constant: constant, from: initial, options: options,
          restart: r, restarts: restarts, clock: clock)
        summaries.append(RestartSummary(
          seed: seed, initialization: options.initialization, logLikelihood: run.logLikelihood,
          logPosterior: model.hasPrior ? run.objective : nil, iterations: run.trace.count,
          converged: run.converged, failure: nil, repairs: run.repairs, trace: run.trace))
        if best == nil || run.objective > best!.run.objective { best = (r, run) }
      } catch let error as MonotonicityViolation {
        throw error
      } catch let error as InputError {
        throw error  // bad input is the user's to fix, not a failed start
      } catch {
        summaries.append(RestartSummary(
          seed: seed, initialization: options.initialization, logLikelihood: -.infinity, logPosterior: nil,
          iterations: 0, converged: false, failure: "\(error)", repairs: [], trace: []))
      }
    }
    guard let best else {
      let reasons = summaries.compactMap(\.failure)
      throw FitFailure(description: "every start failed: \(reasons.first ?? "unknown reason")")
    }
    let atBest = restartsAtBest(summaries.map { $0.logPosterior ?? $0.logLikelihood })
    return FitOutcome(
      parameters: best.run.parameters, logLikelihood: best.run.logLikelihood,
      logPosterior: model.hasPrior ? best.run.objective : nil, iterations: best.run.trace.count,
      converged: best.run.converged, trace: best.run.trace, restarts: summaries,
      bestRestart: best.index, seconds: (ContinuousClock.now - clock).seconds,
      restartsAtBest: atBest.count, atBestTolerance: atBest.tolerance, shortRuns: 0)
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
    var converged: Bool
    var repairs: [String]
  }

  static func runStart<Model: EMModel>(
    _ model: Model, runner: ExpectationRunner<Model>, constant: Double, from initial: Model.Parameters,
    options: FitOptions, restart: Int, restarts: Int, clock: ContinuousClock.Instant
  ) throws -> StartRun<Model.Parameters> {
    // One E step at θ: its statistics, ℓ(θ) with every constant, and the objective ℓ(θ) + log p(θ).
    func evaluate(_ parameters: Model.Parameters) throws
      -> (prepared: Model.Prepared, statistics: [Double], logLikelihood: Double, objective: Double)
    {
      let prepared = try model.prepare(parameters)
      let (statistics, logLikelihood) = runner.run(prepared)
      return (prepared, statistics, logLikelihood + constant, logLikelihood + constant + model.logPrior(parameters))
    }
    var parameters = initial
    var (prepared, statistics, logLikelihood, objective) = try evaluate(parameters)
    guard objective.isFinite else {
      throw FitFailure(description: "the log-likelihood at the starting parameters is not finite (\(objective))")
    }
    var trace: [Double] = []
    var repairs: [String] = []
    var converged = false
    while trace.count < options.maxIterations {
      let iteration = trace.count + 1
      // M step, then the E step at the new parameters (which also evaluates ℓ there).
      let (next, repair) = model.maximization(statistics, previous: parameters, prepared: prepared, data: runner.data)
      let (nextPrepared, nextStatistics, nextLogLikelihood, nextObjective) = try evaluate(next)
      guard nextObjective.isFinite else {
        throw FitFailure(description: "the log-likelihood became non-finite at iteration \(iteration)")
      }
      if let repair {
        repairs.append("iteration \(iteration): \(repair)")
      } else if nextObjective < objective - roundingSlack(objective) {
        throw MonotonicityViolation(restart: restart, iteration: iteration, before: objective, after: nextObjective)
      }
      let change = nextObjective - objective
      (parameters, prepared, statistics) = (next, nextPrepared, nextStatistics)
      (logLikelihood, objective) = (nextLogLikelihood, nextObjective)
      trace.append(objective)
      if repair == nil, abs(change) <= options.tolerance * abs(objective) { converged = true }
      options.progress?(FitProgress(
        restart: restart, restarts: restarts, iteration: iteration, objective: objective, change: change,
        seconds: (ContinuousClock.now - clock).seconds, finished: converged || trace.count == options.maxIterations,
        converged: converged))
      if converged { break }
    }
    return StartRun(parameters: parameters, logLikelihood: logLikelihood, objective: objective,
                    trace: trace, converged: converged, repairs: repairs)
  }
}

extension Duration {
  /// The duration in seconds as a Double.
  var seconds: Double {
    let (s, attoseconds) = components
    return Double(s) + Double(attoseconds) * 1e-18
  }
}
