import Foundation

/// How a fit starts.
public enum InitMethod: String, Sendable, CaseIterable {
  /// k-means++ seeding followed by a few Lloyd iterations (scikit-learn's default).
  case kmeansPlusPlus = "kmeans++"
  /// Randomly chosen rows as centres, the data's spread for every component.
  case random
  /// Every row assigned to a uniformly random component, then one M step (the start of
  /// mixtools and flexmix); families with probability tables (`RandomTableFamily`) draw the
  /// tables instead. HMMs also draw their initial and transition probabilities.
  case randomPartition = "random-partition"
  /// Exactly the spec's `parameters`.
  case spec
  /// Short-EM (Biernacki, Celeux & Govaert 2003): between `shortRuns` and `maxShortRuns`
  /// diverse starts (more for small data; k-means++, random rows and random partitions in
  /// turn, see `shortEMSchedule`) each run for `shortIterations` EM iterations; the best
  /// `restarts` of them by objective go on to convergence, and up to `restarts` more while
  /// fewer than two agree (see `EMEngine.fitShortEM`). The default.
  case shortEM = "short-em"

  /// The start of short run j under short-EM is `shortEMSchedule[j % 3]`, from seed `seed + j`.
  public static let shortEMSchedule: [InitMethod] = [.kmeansPlusPlus, .random, .randomPartition]
}

/// How the engine moves between iterates.
public enum Acceleration: String, Sendable, CaseIterable {
  /// SQUAREM (Varadhan & Roland 2008): two EM steps extrapolated along their squared
  /// difference, with a fall-back to the plain EM step (see `EMEngine.Squarem`).
  case squarem
  /// Classic EM: one M step and one E step per iteration.
  case none
}

/// How the engine runs EM (the spec's `fit` block after command-line overrides).
public struct FitOptions: Sendable {
  public var maxIterations: Int
  public var tolerance: Double
  public var restarts: Int
  public var seed: UInt64
  public var initialization: InitMethod
  public var threads: Int
  /// Short-EM: the fewest diverse starts drawn and run `shortIterations` iterations each.
  /// At least `restarts` are run.
  public var shortRuns: Int
  /// Short-EM: the most short runs; between `shortRuns` and this, the count grows as the data
  /// shrink, so that the short runs cost about `shortRunWork` (see `EMEngine.shortRunCount`).
  /// Equal to `shortRuns` for a fixed count.
  public var maxShortRuns: Int
  /// Short-EM: the EM iterations of each short run (the same monotone guard as a full run).
  public var shortIterations: Int
  /// SQUAREM or plain EM; models without coordinates always run plain EM.
  public var acceleration: Acceleration
  /// Whether a fit report adds standard errors (nil: when the model is small enough).
  public var standardErrors: Bool?
  /// Called after every iteration (on the fitting thread).
  public var progress: (@Sendable (FitProgress) -> Void)?

  /// Options with these defaults: 1000 iterations, relative tolerance 1e-8, short-EM
  /// starts (6 to 100 short runs of 10 iterations from seeds 1, 2, …, more for small data,
  /// the best 3 run to convergence), every core.
  public init(maxIterations: Int = 1000, tolerance: Double = 1e-8, restarts: Int = 3, seed: UInt64 = 1,
              initialization: InitMethod = .shortEM, threads: Int = 0,
              shortRuns: Int = 6, maxShortRuns: Int = 100, shortIterations: Int = 10,
              acceleration: Acceleration = .squarem, standardErrors: Bool? = nil,
              progress: (@Sendable (FitProgress) -> Void)? = nil) {
    self.maxIterations = maxIterations
    self.tolerance = tolerance
    self.restarts = restarts
    self.seed = seed
    self.initialization = initialization
    self.threads = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
    self.shortRuns = max(shortRuns, 1)
    self.maxShortRuns = max(maxShortRuns, self.shortRuns)
    self.shortIterations = max(shortIterations, 1)
    self.acceleration = acceleration
    self.standardErrors = standardErrors
    self.progress = progress
  }
}

extension FitOptions {
  /// The threads that work done for a fit outside the E step may use: the data check that packs
  /// a Bernoulli mixture's rows while it reads them (`SpecifiedModel.checkDataForFitting(_:threads:)`
  /// sets the fit's `threads`), the k-means passes of a start (`EMEngine.fit` sets them, shared
  /// equally when starts run at once); 0 (every core) elsewhere. A task-local value rather
  /// than an argument, since the work happens deep in a model's `validate` or
  /// `initialParameters`, whose signatures plugins implement too.
  @TaskLocal public static var preparationThreads = 0

  /// `preparationThreads` as a count (every core when 0), like `threads`.
  public static var preparationThreadCount: Int {
    preparationThreads > 0 ? preparationThreads : ProcessInfo.processInfo.activeProcessorCount
  }
}

/// One report of a running fit.
public struct FitProgress: Sendable {
  public var restart: Int
  public var restarts: Int
  public var iteration: Int
  /// The log-likelihood (the log-posterior with a prior).
  public var objective: Double
  public var change: Double
  public var seconds: Double
  public var finished: Bool
  public var converged: Bool
}

/// What became of one start.
public struct RestartSummary: Sendable {
  public var seed: UInt64
  /// How this start was drawn (under short-EM, the scheduled method of its short run), so
  /// that `init` = this method, `seed` = this seed and one restart reproduce it.
  public var initialization: InitMethod?
  public var logLikelihood: Double
  public var logPosterior: Double?
  public var iterations: Int
  /// E steps run (SQUAREM runs about three per iteration; plain EM one).
  public var evaluations: Int
  public var converged: Bool
  /// Why the start failed (e.g. a non-finite likelihood at the starting point), if it did.
  public var failure: String?
  /// Repairs made along the way (a component re-seeded), with their iterations.
  public var repairs: [String]
  /// The objective after each iteration of this start (empty when it failed), so that every
  /// start's path can be drawn, not only the best one's.
  public var trace: [Double]
  /// Whether the start ended at a degenerate maximum (`EMModel.isDegenerate`): it is chosen
  /// only when every start is degenerate, and never counts towards `restartsAtBest` otherwise.
  public var degenerate = false
}

/// The best start's parameters and everything a user needs to judge the fit.
public struct FitOutcome<Parameters: Sendable>: Sendable {
  public var parameters: Parameters
  public var logLikelihood: Double
  public var logPosterior: Double?
  public var iterations: Int
  /// E steps run by the best start.
  public var evaluations: Int
  public var converged: Bool
  /// The objective after each iteration of the best start (log-posterior with a prior).
  public var trace: [Double]
  /// The E steps the best start had run when each entry of `trace` was reached: its start's
  /// own E step included, so plain EM gives 2, 3, 4, … and SQUAREM 4, 7, … (more on a
  /// fall-back). Element i − 1 is the cost of reaching `trace[i − 1]`; the last equals
  /// `evaluations` (short-EM counts the short run's E steps too).
  public var evaluationTrace: [Int] = []
  public var restarts: [RestartSummary]
  public var bestRestart: Int
  public var seconds: Double
  /// How many of `restarts` reached the best objective within `atBestTolerance` (see
  /// `EMEngine.restartsAtBest`; degenerate restarts count only when all are). 1 when several
  /// ran is a sign of a multimodal likelihood.
  public var restartsAtBest: Int
  /// The tolerance of `restartsAtBest`: max(1e-3, 1e-5 · |best objective|).
  public var atBestTolerance: Double
  /// The number of short runs made under short-EM (0 otherwise).
  public var shortRuns: Int
}

/// EM broke its own guarantee: the objective decreased between iterations. This is a bug in a
/// model's M step (or E step), never a property of the data, so the fit stops.
public struct MonotonicityViolation: Error, CustomStringConvertible, Sendable {
  public var restart: Int
  public var iteration: Int
  public var before: Double
  public var after: Double
  public var description: String {
    "EM monotonicity violated: the objective decreased at iteration \(iteration) of restart \(restart + 1), from \(before) to \(after) (Δ = \(after - before)); this is a bug, please report it"
  }
}

/// No start produced a usable fit.
public struct FitFailure: Error, CustomStringConvertible, Sendable {
  public var description: String
}
