import EMZooCore
import Foundation
import EMZooModels
import EMZooSpec

/// Files written whole or not at all: the text goes to a temporary file in the same folder,
/// which is renamed over the target only when complete.
public enum AtomicFile {
  public static func write(_ text: String, to path: String) throws {
    let directory = (path as NSString).deletingLastPathComponent
    var isDirectory: ObjCBool = false
    if !directory.isEmpty {
      guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw InputError("\(path): cannot write output: folder '\(directory)' does not exist")
      }
    }
    let base = (path as NSString).lastPathComponent
    let temporary = ((directory.isEmpty ? "." : directory) as NSString)
      .appendingPathComponent(".\(base).tmp-\(ProcessInfo.processInfo.processIdentifier)")
    guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else {
      throw InputError("\(path): cannot write output (permission denied or disk full)")
    }
    if rename(temporary, path) != 0 {
      try? FileManager.default.removeItem(atPath: temporary)
      throw InputError("\(path): cannot write output (rename failed)")
    }
  }
}
