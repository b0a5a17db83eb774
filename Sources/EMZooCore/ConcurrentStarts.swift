import Dispatch

extension EMEngine {
  /// How many starts (restarts, short runs, kept runs) run at once, each on one thread with
  /// its own `ExpectationRunner`, instead of one at a time with the E step on every thread.
  ///
  /// The E step splits into chunks (2048 rows of a mixture, whole sequences of an HMM); with
  /// fewer than `chunksPerThread` chunks a thread, the threads wait on each other at every E
  /// step (10⁴ rows of a mixture are 5 chunks: 2 threads run them in the time of 3, and pay
  /// for the hand-off besides), while independent starts keep every thread busy. Starts run at
  /// once only in a single process: under MPI every E step is a collective that all processes
  /// must enter in the same order. The result is the same either way, bit for bit: a start's
  /// E steps add their chunks in the same fixed order on one thread or many (`BlockGrid`), and
  /// every start depends only on its own seed.
  public static func concurrentStarts(chunks: Int, threads: Int, processes: Int) -> Int {
    guard processes == 1, threads > 1, chunks < chunksPerThread * threads else { return 1 }
    return threads
  }

  /// Below this many chunks a thread, starts run at once (`concurrentStarts`).
  static let chunksPerThread = 8

  /// The results of `count` independent jobs, in job order: job i runs on worker i mod
  /// `workers` (each worker's jobs in order), all workers at once. One worker runs the jobs
  /// on the calling thread.
  ///
  /// `job(i, worker)` may use the worker's own resources (its runner) without locking: no two
  /// jobs of one worker run at the same time. Its preparation work (`FitOptions.preparationThreads`)
  /// gets an equal share of the fit's threads.
  package static func concurrently<T>(
    _ count: Int, workers: Int, _ job: (_ index: Int, _ worker: Int) -> Result<T, any Error>
  ) -> [Result<T, any Error>] {
    if workers <= 1 || count <= 1 { return (0..<count).map { job($0, 0) } }
    let results = UnsafeMutableBufferPointer<Result<T, any Error>?>.allocate(capacity: count)
    results.initialize(repeating: nil)
    defer {
      _ = results.deinitialize()
      results.deallocate()
    }
    withoutActuallyEscaping(job) { job in
      // Each slot is written by exactly one worker and read after all have finished.
      let shared = UncheckedSendable((job: job, results: results))
      // The fit's threads shared among the starts running at once (one each when there are as
      // many starts as threads), read here: the workers do not inherit task-local values.
      let running = min(workers, count), each = max(1, FitOptions.preparationThreadCount / running)
      DispatchQueue.concurrentPerform(iterations: running) { worker in
        FitOptions.$preparationThreads.withValue(each) {
          var i = worker
          while i < count {
            shared.value.results[i] = shared.value.job(i, worker)
            i += workers
          }
        }
      }
    }
    return results.map { $0! }
  }
}

/// A value handed to worker threads that use it without overlapping (see `EMEngine.concurrently`).
struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
