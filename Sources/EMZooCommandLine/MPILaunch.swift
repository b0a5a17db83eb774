import EMZooCore
import Foundation

/// How the command line starts and ends under an MPI launcher (`mpirun`, `srun`).
///
/// A plain run gets the single `LocalProcessGroup` and nothing else changes. Under MPI every
/// rank runs the whole command on the same arguments; the E step's fixed blocks are shared
/// among the ranks (`BlockGrid`), ranks other than 0 send their stdout and stderr to
/// /dev/null (only rank 0 prints), and `emit` writes only on rank 0. Every exit goes through
/// `exit(_:)`, which leaves MPI first (MPI_Finalize), so `mpirun` sees an orderly end.
enum MPILaunch {
  /// Whether this process joined MPI (and must finalize it before exiting).
  nonisolated(unsafe) private static var joined = false

  /// The process group of this launch: MPI_COMM_WORLD under an MPI launcher, else one
  /// local process. When MPI cannot be loaded, rank 0 prints why and every rank exits 2.
  static func join(_ environment: [String: String]) -> any ProcessGroup {
    guard MPIProcessGroup.isLaunched(environment) else { return LocalProcessGroup() }
    do {
      let group = try MPIProcessGroup.join(environment)
      joined = true
      if group.rank != 0 { silence() }
      return group
    } catch {
      let rank = environment["OMPI_COMM_WORLD_RANK"] ?? environment["PMIX_RANK"] ?? "0"
      if rank == "0" {
        StandardError.write(Quote.errorLine((error as? InputError)?.message ?? "\(error)") + "\n")
      }
      Foundation.exit(2)
    }
  }

  /// Leaves MPI if this process joined it, then exits with `status`.
  static func exit(_ status: Int32) -> Never {
    if joined {
      MPIProcessGroup.finalize()
    }
    Foundation.exit(status)
  }

  /// Points stdout and stderr at /dev/null.
  private static func silence() {
    let null = open("/dev/null", O_WRONLY)
    guard null >= 0 else { return }
    dup2(null, STDOUT_FILENO)
    dup2(null, STDERR_FILENO)
    close(null)
  }
}
