internal import EMZooCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Opening input files so that nothing hangs or spins: a regular file is read as usual; a pipe
/// or FIFO (`/dev/stdin` from a pipe, `<(…)`) is read once, to its end (a FIFO without a writer
/// is an empty file, not a wait); a device (`/dev/zero`, a terminal), a socket or a directory
/// is refused.
public enum InputFile {
  public enum Kind { case regular, stream }

  /// What `path` is, or an error for what cannot be read.
  public static func kind(_ path: String, what: String) throws -> Kind {
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw InputError("\(Quote.text(path)): cannot read the \(what) (\(String(cString: strerror(errno))))")
    }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return .regular
    case S_IFIFO: return .stream
    case S_IFDIR: throw InputError("\(Quote.text(path)): is a directory, expected a \(what)")
    default: throw InputError("\(Quote.text(path)): is a device or socket, expected a \(what) (a regular file or a pipe)")
    }
  }

  /// The whole contents of `path` (at most `limit` bytes), read once.
  public static func contents(_ path: String, what: String, limit: Int) throws -> [UInt8] {
    _ = try kind(path, what: what)
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
      throw InputError("\(Quote.text(path)): cannot read the \(what) (\(String(cString: strerror(errno))))")
    }
    defer { close(fd) }
    // Blocking reads from here on: a pipe with a writer waits for it, one without is at its end.
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    var bytes: [UInt8] = []
    var block = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = block.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        throw InputError("\(Quote.text(path)): cannot read the \(what) (\(String(cString: strerror(errno))))")
      }
      if n == 0 { break }
      bytes += block[..<n]
      if bytes.count > limit {
        throw InputError("\(Quote.text(path)): the \(what) is larger than \(Limits.bytes(Double(limit))); expected at most that")
      }
    }
    return bytes
  }
}
