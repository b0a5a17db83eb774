internal import CKernels
import EMZooCore
import Foundation

/// The ranks of an `mpirun` (or `srun`) launch, through MPI loaded at run time.
///
/// `emzoo` needs no MPI to build: when the environment shows an MPI launch
/// (`OMPI_COMM_WORLD_SIZE`, set by Open MPI's `mpirun` and by Slurm's `srun --mpi=pmix`, or
/// `PMIX_RANK`), `CKernels/mpi.c` dlopens Open MPI's `libmpi.so.40` (or the library named by
/// `EMZOO_MPI_LIBRARY`) and initialises MPI. Only MPI_COMM_WORLD is used; the E step's block
/// sums travel with MPI_Allgatherv, never MPI_Allreduce, whose summation order is unspecified
/// (`BlockGrid` adds them in a fixed order instead).
final class MPIProcessGroup: ProcessGroup {
  let rank: Int
  let size: Int
  var isDistributed: Bool { true }

  private init(rank: Int, size: Int) {
    self.rank = rank
    self.size = size
  }

  /// Whether `environment` is that of a process launched by an MPI launcher.
  static func isLaunched(_ environment: [String: String]) -> Bool {
    environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
  }

  /// Loads MPI and joins MPI_COMM_WORLD; throws `InputError` (one line) when it cannot.
  static func join(_ environment: [String: String]) throws -> MPIProcessGroup {
    var reason = [CChar](repeating: 0, count: 512)
    let library = environment["EMZOO_MPI_LIBRARY"]
    let status = reason.withUnsafeMutableBufferPointer { buffer -> Int32 in
      guard let base = buffer.baseAddress else { return -1 }
      if let library {
        return library.withCString { emz_mpi_load($0, base, buffer.count) }
      }
      return emz_mpi_load(nil, base, buffer.count)
    }
    guard status == 0 else {
      throw InputError("launched by mpirun, but " + String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    var rank: Int32 = 0
    var size: Int32 = 0
    guard emz_mpi_rank(&rank) == 0, emz_mpi_size(&size) == 0, size > 0 else {
      throw InputError("MPI: cannot read this process's rank in MPI_COMM_WORLD")
    }
    return MPIProcessGroup(rank: Int(rank), size: Int(size))
  }

  func allGather(_ local: [Double], counts: [Int]) -> [Double] {
    precondition(counts.count == size && counts[rank] == local.count)
    let total = counts.reduce(0, +)
    precondition(total <= Int(Int32.max), "MPI counts are 32-bit")
    var displacements: [Int32] = []
    var offset = 0
    for count in counts {
      displacements.append(Int32(offset))
      offset += count
    }
    let counts32 = counts.map { Int32($0) }
    var gathered = [Double](repeating: 0, count: max(1, total))
    let status = local.withUnsafeBufferPointer { send in
      gathered.withUnsafeMutableBufferPointer { receive in
        emz_mpi_allgatherv_double(
          send.baseAddress, Int32(local.count), counts32, displacements, receive.baseAddress)
      }
    }
    // MPI's default error handler aborts every rank before a failing call returns.
    precondition(status == 0, "MPI_Allgatherv failed with MPI error \(status)")
    return Array(gathered.prefix(total))
  }

  func agree(on failure: String?) -> String? {
    // The lowest failing rank q reports size − q, the largest value among the failures.
    var maximum: Int32 = 0
    precondition(emz_mpi_allreduce_max_int(failure == nil ? 0 : Int32(size - rank), &maximum) == 0)
    guard maximum > 0 else { return nil }
    let root = size - Int(maximum)
    var bytes = Array((failure ?? "").utf8.prefix(4000))
    var length = Int32(bytes.count)
    precondition(emz_mpi_broadcast_bytes(&length, 4, Int32(root)) == 0)
    if rank != root { bytes = [UInt8](repeating: 0, count: Int(length)) }
    if length > 0 {
      precondition(bytes.withUnsafeMutableBytes { emz_mpi_broadcast_bytes($0.baseAddress, length, Int32(root)) } == 0)
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Leaves MPI (at exit).
  static func finalize() {
    _ = emz_mpi_finalize()
  }
}
