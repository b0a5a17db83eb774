internal import CKernels
import EMZooCore
import EMZooModels
import EMZooSpec
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Where a command's output goes, decided (and checked) before any work.
///
/// - `-` or no `--output`: stdout, written with `write(2)` so a closed, full or broken stdout
///   is one error line, never a trap.
/// - a device, FIFO or socket (`/dev/null`, `/dev/stdout`): written directly, never replaced.
/// - anything else: a regular file, written whole or not at all: a temporary file in the same
///   folder (short name, `O_EXCL`), `fsync`ed and renamed over the target; removed on every
///   failure and on SIGINT/SIGTERM/SIGHUP/SIGQUIT.
///
/// An output that is a directory, or the same file (device and inode, so `./x`, symlinks and
/// hard links count) as an input being read, is refused.
enum OutputDestination {
  case standardOutput
  case special(String)
  case file(String)

  /// Resolves `path` against the files the command reads (`inputs`).
  static func resolve(_ path: String?, inputs: [String]) throws -> OutputDestination {
    guard let path, path != "-" else { return .standardOutput }
    let shown = Quote.text(path)
    guard !path.isEmpty else { throw InputError("--output: expected a file name, found an empty string") }
    var target = stat()
    if stat(path, &target) == 0 {
      let type = target.st_mode & S_IFMT
      if type == S_IFDIR { throw InputError("\(shown): --output is a directory; expected a file name") }
      for input in inputs {
        var other = stat()
        if stat(input, &other) == 0, other.st_dev == target.st_dev, other.st_ino == target.st_ino {
          throw InputError("\(shown): --output is the input file \(Quote.value(input)) being read; choose another output file")
        }
      }
      if type != S_IFREG { return .special(path) }
      // A symbolic link: write through it, so the link stays and its target gets the output.
      guard let real = realpath(path, nil) else { throw InputError("\(shown): cannot resolve the output path") }
      defer { free(real) }
      let resolved = String(cString: real)
      try checkFolder(of: resolved, shown: shown)
      return .file(resolved)
    }
    var link = stat()
    if lstat(path, &link) == 0 {
      throw InputError("\(shown): --output is a symbolic link to a missing file; expected a file name")
    }
    // A new file: its identity is its folder's identity and its name.
    let folder = try checkFolder(of: path, shown: shown)
    let name = (path as NSString).lastPathComponent
    for input in inputs where (input as NSString).lastPathComponent == name {
      var other = stat()
      let inputFolder = (input as NSString).deletingLastPathComponent
      if stat(inputFolder.isEmpty ? "." : inputFolder, &other) == 0, other.st_dev == folder.st_dev, other.st_ino == folder.st_ino {
        throw InputError("\(shown): --output names the input file \(Quote.value(input)); choose another output file")
      }
    }
    return .file(path)
  }

  /// The folder of `path` must exist and be writable.
  @discardableResult
  static func checkFolder(of path: String, shown: String) throws -> stat {
    let directory = (path as NSString).deletingLastPathComponent
    let folder = directory.isEmpty ? "." : directory
    var info = stat()
    guard stat(folder, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
      throw InputError("\(shown): cannot write output: folder \(Quote.value(directory)) does not exist")
    }
    guard access(folder, W_OK) == 0 else {
      throw InputError("\(shown): cannot write output: folder \(Quote.value(folder)) is not writable")
    }
    return info
  }
}

/// Buffered output to a destination; `finish()` commits it. A writer that is not finished
/// removes its temporary file when it goes away.
final class OutputWriter {
  private let destination: OutputDestination
  private var descriptor: Int32 = -1
  private var temporary: String?
  private var buffer: [UInt8] = []
  private var finished = false
  private static let capacity = 1 << 20
  nonisolated(unsafe) private static var counter = 0
  nonisolated(unsafe) private static var guardInstalled = false

  init(_ destination: OutputDestination) throws {
    self.destination = destination
    buffer.reserveCapacity(Self.capacity)
    switch destination {
    case .standardOutput:
      descriptor = STDOUT_FILENO
    case .special(let path):
      descriptor = open(path, O_WRONLY | O_CLOEXEC)
      guard descriptor >= 0 else { throw failure(errno) }
    case .file(let path):
      if !Self.guardInstalled {
        _ = emz_output_guard_install()
        Self.guardInstalled = true
      }
      let directory = (path as NSString).deletingLastPathComponent
      let pid = getpid()
      for _ in 0..<100 {
        Self.counter += 1
        let name = ".emzoo-\(pid)-\(Self.counter).tmp"
        let candidate = directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
        guard emz_output_guard_set(candidate) == 0 else {
          throw InputError("\(Quote.text(path)): cannot write output: the path is too long")
        }
        let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if fd >= 0 {
          descriptor = fd
          temporary = candidate
          return
        }
        let code = errno
        emz_output_guard_clear()
        if code != EEXIST { throw failure(code) }
      }
      throw failure(EEXIST)
    }
  }

  deinit { abandon() }

  private var name: String {
    switch destination {
    case .standardOutput: return "stdout"
    case .special(let path), .file(let path): return Quote.text(path)
    }
  }

  private func failure(_ code: Int32) -> InputError {
    InputError("\(name): cannot write output: \(String(cString: strerror(code)))")
  }

  func write(_ text: String) throws {
    var text = text
    try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
  }

  func write(_ bytes: UnsafeRawBufferPointer) throws {
    if buffer.count + bytes.count > Self.capacity { try flush() }
    if bytes.count >= Self.capacity {
      try writeAll(bytes)
    } else {
      buffer.append(contentsOf: bytes)
    }
  }

  func flush() throws {
    guard !buffer.isEmpty else { return }
    try buffer.withUnsafeBytes { try writeAll($0) }
    buffer.removeAll(keepingCapacity: true)
  }

  private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
    var offset = 0
    while offset < bytes.count {
      guard let base = bytes.baseAddress else { return }
      let n = Glibc.write(descriptor, base + offset, bytes.count - offset)
      if n < 0 {
        if errno == EINTR { continue }
        throw failure(errno)
      }
      if n == 0 { throw failure(EIO) }
      offset += n
    }
  }

  /// Writes what is buffered and, for a file, syncs and renames it over the target.
  func finish() throws {
    try flush()
    switch destination {
    case .standardOutput:
      break
    case .special:
      if close(descriptor) != 0 { descriptor = -1; throw failure(errno) }
      descriptor = -1
    case .file(let path):
      guard let temporary else { return }
      if fsync(descriptor) != 0 { throw failure(errno) }
      let closed = close(descriptor)
      descriptor = -1
      if closed != 0 { throw failure(errno) }
      if rename(temporary, path) != 0 { throw failure(errno) }
      emz_output_guard_clear()
      self.temporary = nil
    }
    finished = true
  }

  /// Removes the temporary file of an unfinished write.
  func abandon() {
    if descriptor >= 0, descriptor != STDOUT_FILENO { close(descriptor) }
    descriptor = -1
    if let temporary {
      unlink(temporary)
      emz_output_guard_clear()
      self.temporary = nil
    }
  }
}

/// Runs `body` with a writer for `path` (nil or "-": stdout) and commits its output; on any
/// error the partial output is removed and the error rethrown.
func withOutput(_ path: String?, inputs: [String] = [], _ body: (OutputWriter) throws -> Void) throws {
  let writer = try OutputWriter(try OutputDestination.resolve(path, inputs: inputs))
  do {
    try body(writer)
    try writer.finish()
  } catch {
    writer.abandon()
    throw error
  }
}

/// stdout for the commands that print a report (`list`, `check`, `run`): an unwritable stdout
/// is an error (exit 2), not a silent success.
enum StandardOutput {
  static func write(_ text: String) throws {
    var text = text
    try text.withUTF8 { bytes in
      var offset = 0
      while offset < bytes.count {
        guard let base = bytes.baseAddress else { return }
        let n = Glibc.write(STDOUT_FILENO, base + offset, bytes.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          throw InputError("stdout: cannot write output: \(String(cString: strerror(errno)))")
        }
        offset += n
      }
    }
  }

  /// `print` that fails instead of losing the line.
  static func line(_ text: String) throws { try write(text + "\n") }
}

/// stderr, best effort: a closed stderr never traps.
enum StandardError {
  static func write(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
      var offset = 0
      while offset < bytes.count {
        guard let base = bytes.baseAddress else { return }
        let n = Glibc.write(STDERR_FILENO, base + offset, bytes.count - offset)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        offset += n
      }
    }
  }
}
