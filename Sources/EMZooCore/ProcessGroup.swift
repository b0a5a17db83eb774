/// The processes that share one fit's E step (MPI ranks), as the engine sees them.
///
/// The core knows no MPI: it asks a process group which fixed row blocks this process
/// computes (`BlockGrid.blocks(forRank:of:)`) and how to gather every process's block sums.
/// Every process then adds the same sums in the same (block) order, so all of them hold
/// identical totals, bit for bit, and run identical M steps. One process (`LocalProcessGroup`)
/// is the plain, non-MPI run; it adds the very same sums in the very same order.
///
/// Every process must make the same sequence of calls (they are collective operations).
public protocol ProcessGroup: Sendable {
  /// This process's index, 0..<size; process 0 alone prints and writes.
  var rank: Int { get }
  /// The number of processes P.
  var size: Int { get }
  /// Whether this group was launched as separate processes (`mpirun`), even with P = 1; the
  /// result then records `"processes": P`.
  var isDistributed: Bool { get }

  /// Every process's `local` values concatenated in rank order; `counts[q]` is how many values
  /// process q contributes (`counts[rank] == local.count`), the same array on every process.
  /// A failure of the transport itself is not returned: MPI's default handler aborts every
  /// process (`mpirun` then exits non-zero).
  func allGather(_ local: [Double], counts: [Int]) -> [Double]

  /// Agrees on failure: nil when no process failed, otherwise the message of the
  /// lowest-ranked process whose `failure` is not nil, the same on every process.
  func agree(on failure: String?) -> String?
}

/// The single process of a plain run.
public struct LocalProcessGroup: ProcessGroup {
  public init() {}
  public var rank: Int { 0 }
  public var size: Int { 1 }
  public var isDistributed: Bool { false }
  public func allGather(_ local: [Double], counts: [Int]) -> [Double] { local }
  public func agree(on failure: String?) -> String? { failure }
}

/// The process group the running fit uses (a task-local value, so a command sets it once
/// around its work; the default is the single local process).
public enum Processes {
  @TaskLocal public static var group: any ProcessGroup = LocalProcessGroup()
}

extension ProcessGroup {
  /// Runs `body` on every process and agrees on its failure: when any process's `body`
  /// throws, every process throws, the lowest-ranked failing process's error (its own error
  /// on that process, an `InputError` with its message elsewhere). Used around reading the
  /// data, so no process goes on to a collective operation that a failed one never reaches.
  /// With one process this is `body()` itself.
  public func agreeing<T>(_ body: () throws -> T) throws -> T {
    guard size > 1 else { return try body() }
    let outcome: Result<T, any Error>
    do {
      outcome = .success(try body())
    } catch {
      outcome = .failure(error)
    }
    var own: (any Error)? = nil
    if case .failure(let error) = outcome { own = error }
    let ownMessage = own.map { ($0 as? InputError)?.message ?? "\($0)" }
    if let agreed = agree(on: ownMessage) {
      if let own, ownMessage == agreed { throw own }
      throw InputError(agreed)
    }
    return try outcome.get()
  }
}
