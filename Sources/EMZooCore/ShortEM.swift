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

  /// The work the short runs of short-EM may take, in rows × statistics × iterations (an E
  /// step's cost is about rows × statistics): 2·10⁷, some tens of milliseconds of E steps in
  /// a release build.
  static let shortRunWork = 2e7

  /// How many short runs short-EM makes: more when the data are small, so that small problems,
  /// where each run costs little, get many more starts.
  ///
  ///     J = max(restarts, shortRuns, min(maxShortRuns, ⌊W / (n · s · shortIterations)⌋))
  ///
  /// with n rows, s = `statisticsCount` (about K times a component's statistics) and
  /// W = `shortRunWork`. With the defaults (`shortRuns` 6, `maxShortRuns` 100) a 2-state HMM or
  /// a 3-component mixture on a few hundred rows gets 100 short runs, on 10⁴ rows with 20
  /// statistics 10, and large data sets 6 (twice `restarts`, so that up to 3 more can confirm
  /// the best): there one run costs as much as many small-data runs, and the likelihood is
  /// rarely multimodal enough for a 10-iteration ranking to matter.
  /// Deterministic: it depends only on the data's size and the model, never on the clock.
  public static func shortRunCount(rows: Int, statistics: Int, options: FitOptions) -> Int {
    let perRun = Double(max(rows, 1)) * Double(max(statistics, 1)) * Double(options.shortIterations)
    let scaled = min(Double(options.maxShortRuns), (shortRunWork / perRun).rounded(.down))
    return max(options.restarts, options.shortRuns, Int(scaled))
  }

  /// Whether the data are large for short-EM: the work budget `shortRunWork` buys fewer than
  /// `shortRuns` short runs, so `shortRunCount` is at its floor.
  public static func isLarge(rows: Int, statistics: Int, options: FitOptions) -> Bool {
    let perRun = Double(max(rows, 1)) * Double(max(statistics, 1)) * Double(options.shortIterations)
    return shortRunWork / perRun < Double(options.shortRuns)
  }

  /// Short-EM initialisation (Biernacki, Celeux & Govaert 2003, CSDA 41:561–575).
  ///
  /// Draws J starts (`shortRunCount`: between `shortRuns` and `maxShortRuns`, more for small
  /// data), short run j from seed `seed + j` with the method `InitMethod.shortEMSchedule[j % 3]`
  /// (k-means++, random rows, random partition), and runs each for `shortIterations`
  /// iterations (the same loop and monotone guard as a full run; on large data, see
  /// `isLarge`, until the iteration that reaches `shortIterations` E steps). The short runs are ranked
  /// by objective (ties: the lower j); the best `restarts` continue to convergence, the
  /// iteration limit counting the short iterations too (on large data two suffice when they
  /// agree). While fewer than two of the converged
  /// non-degenerate runs agree on the best objective (`restartsAtBest` < 2, degenerate runs
  /// ignored, see `EMModel.isDegenerate`), the next-ranked short run continues too, up to
  /// `restarts` more: a lone best is confirmed or beaten, and when every kept run collapsed
  /// onto a degenerate maximum, regular ones are still found.
  ///
  /// Continuing from the short run's end point is the same EM sequence as running from its
  /// start in one go, so restart j is reproduced bit for bit by `init` = its method,
  /// `seed` = `seed + j` and one restart. Every start depends only on its own seed, so the
  /// result never depends on the thread count. Short runs that fail (a non-finite likelihood
  /// at the start) are listed among the restarts with their failure. Restarts are reported
  /// in the order they were drawn.
  ///
  /// [Biernacki, Celeux & Govaert 2003]: https://doi.org/10.1016/S0167-9473(02)00163-9
  static func fitShortEM<Model: EMModel>(
    _ model: Model, to data: DataSet, runner: ExpectationRunner<Model>, constant: Double, options: FitOptions,
    clock: ContinuousClock.Instant
  ) throws -> FitOutcome<Model.Parameters> {
    let count = shortRunCount(rows: data.rows, statistics: model.statisticsCount, options: options)
    // On large data (the work budget buys fewer than `shortRuns` short runs) every E step
    // counts: a short run stops after the iteration that reaches `shortIterations` E steps
    // (an accelerated iteration takes up to three), and the kept runs stop as soon as two
    // agree (below). On small data short runs make `shortIterations` iterations, which ranks
    // the slow, multimodal cases better (two of our test HMMs need it).
    let large = isLarge(rows: data.rows, statistics: model.statisticsCount, options: options)
    var shortOptions = options
    shortOptions.maxIterations = min(options.shortIterations, options.maxIterations)
    shortOptions.progress = nil

    // Every short run runs; they run at once when the E step cannot use the threads
    // (`concurrentStarts`), and are taken in the order drawn below either way.
    let runners = startRunners(model, data: data, runner: runner, options: options, starts: count)
    /// Short run j from its start on `runner`.
    func shortRun(_ j: Int, on runner: ExpectationRunner<Model>) throws -> StartRun<Model.Parameters> {
      let method = InitMethod.shortEMSchedule[j % InitMethod.shortEMSchedule.count]
      let initial = try model.initialParameters(
        for: data, method: method, random: RandomSource(seed: options.seed &+ UInt64(j)))
      return try runStart(
        model, runner: runner, constant: constant, from: initial, options: shortOptions,
        restart: j, restarts: count, clock: clock, evaluationLimit: large ? options.shortIterations + 1 : .max)
    }
    // (One at a time, the runs are made in the loop below: the `Result`s of running them at
    // once are generic types that an unspecialised generic function instantiates at run time
    // from their mangled names, tens of microseconds that a 100-row fit would notice.)
    let early = runners.count > 1
      ? concurrently(count, workers: runners.count) { j, worker in Result { try shortRun(j, on: runners[worker]) } }
      : nil
    var candidates: [ShortRun<Model.Parameters>] = []
    var failures: [(index: Int, summary: RestartSummary)] = []
    for j in 0..<count {
      let seed = options.seed &+ UInt64(j)
      let method = InitMethod.shortEMSchedule[j % InitMethod.shortEMSchedule.count]
      do {
        candidates.append(ShortRun(index: j, seed: seed, method: method, run: try early?[j].get() ?? shortRun(j, on: runner)))
      } catch let error as MonotonicityViolation {
        throw error
      } catch let error as InputError {
        throw error
      } catch {
        failures.append((j, RestartSummary(
          seed: seed, initialization: method, logLikelihood: -.infinity, logPosterior: nil, iterations: 0,
          evaluations: 0, converged: false, failure: "\(error)", repairs: [], trace: [])))
      }
    }

    // Short runs by objective, best first (ties: the lower j).
    let ranked = candidates.enumerated()
      .sorted { ($0.element.run.objective, -$0.offset) > ($1.element.run.objective, -$1.offset) }
      .map(\.element)

    var finished: [(index: Int, summary: RestartSummary, run: StartRun<Model.Parameters>?)] = []
    /// How many converged non-degenerate runs agree on the best of them.
    func agreeing() -> Int {
      restartsAtBest(finished.compactMap { $0.summary.degenerate || $0.run == nil ? nil : $0.run?.objective }).count
    }
    // On large data a run to convergence costs as much as a hundred small-data fits: at least
    // two kept runs, more only while fewer than two agree (up to 2 · `restarts`, as on small
    // data, where `restarts` kept runs always run).
    let enough = large ? min(2, options.restarts) : options.restarts
    /// Ranked short run `rank` continued to convergence: its summary and run (nil run: it
    /// failed); throws the errors that end the fit.
    func continued(_ rank: Int, on runner: ExpectationRunner<Model>) throws -> (summary: RestartSummary, run: StartRun<Model.Parameters>?) {
      let candidate = ranked[rank]
      var run = candidate.run
      let remaining = options.maxIterations - run.trace.count
      do {
        if !run.converged, remaining > 0 {
          var longOptions = options
          longOptions.maxIterations = remaining
          let rest = try runStart(
            model, runner: runner, constant: constant, from: run.parameters, options: longOptions,
            restart: rank, restarts: max(options.restarts, rank + 1), clock: clock, resuming: run.squarem)
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
        return (RestartSummary(
          seed: candidate.seed, initialization: candidate.method, logLikelihood: -.infinity, logPosterior: nil,
          iterations: run.trace.count, evaluations: run.evaluations, converged: false, failure: "\(error)",
          repairs: run.repairs, trace: run.trace), nil)
      }
      return (RestartSummary(
        seed: candidate.seed, initialization: candidate.method, logLikelihood: run.logLikelihood,
        logPosterior: model.hasPrior ? run.objective : nil, iterations: run.trace.count,
        evaluations: run.evaluations, converged: run.converged, failure: nil, repairs: run.repairs, trace: run.trace,
        degenerate: model.isDegenerate(run.parameters)), run)
    }

    // The ranked short runs continue one at a time by the rule above. When starts run at once
    // (`concurrentStarts`), the next few ranked runs (up to one a runner of the short runs,
    // never past the most the rule can take) continue together, and those the rule then does not take are
    // dropped: the fit takes exactly the runs, and gives exactly the bits, of one at a time.
    let most = min(ranked.count, max(enough, 2 * options.restarts))
    var ahead: [Int: Result<(summary: RestartSummary, run: StartRun<Model.Parameters>?), any Error>]? = nil
    var next = 0
    while next < ranked.count, finished.count < enough || (agreeing() < 2 && next < 2 * options.restarts) {
      let entry: (summary: RestartSummary, run: StartRun<Model.Parameters>?)
      if runners.count > 1 {
        if ahead?[next] == nil {
          let batch = next..<min(next + runners.count, most)
          let results = concurrently(batch.count, workers: runners.count) { i, worker in
            Result { try continued(batch.lowerBound + i, on: runners[worker]) }
          }
          var batchResults = ahead ?? [:]
          for (i, result) in results.enumerated() { batchResults[batch.lowerBound + i] = result }
          ahead = batchResults
        }
        entry = try ahead!.removeValue(forKey: next)!.get()
      } else {
        entry = try continued(next, on: runner)
      }
      finished.append((ranked[next].index, entry.summary, entry.run))
      next += 1
    }

    // Reported in the order drawn; the best is the preferred run (non-degenerate first).
    finished.sort { $0.index < $1.index }
    var summaries: [RestartSummary] = []
    var best: StartRun<Model.Parameters>? = nil
    var bestIndex = 0
    var bestIsDegenerate = false
    for entry in finished {
      summaries.append(entry.summary)
      guard let run = entry.run else { continue }
      if best.map({ prefers(run.objective, entry.summary.degenerate, over: $0.objective, bestIsDegenerate) }) ?? true {
        best = run
        bestIndex = summaries.count - 1
        bestIsDegenerate = entry.summary.degenerate
      }
    }
    summaries += failures.map(\.summary)
    return try outcome(model, best: best, index: bestIndex, restarts: summaries, clock: clock, shortRuns: count)
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
