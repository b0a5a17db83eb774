import ArgumentParser
import EMZooCore
import EMZooModels
import EMZooSpec

struct List: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List the registered model kinds.",
    discussion: """
      Example:
        emzoo list --json
      """)

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  func run() throws {
    let registry = EMZooCommandLine.registry.kinds
    if json {
      let kinds = JSONValue.array(registry.map {
        .object([("name", .string($0.name)), ("summary", .string($0.summary)), ("options", .string($0.options))])
      })
      try StandardOutput.line(kinds.formatted())
      return
    }
    let width = registry.map(\.name.count).max() ?? 0
    for kind in registry {
      let pad = String(repeating: " ", count: width - kind.name.count)
      try StandardOutput.line("\(kind.name)\(pad)  \(kind.summary)")
      try StandardOutput.line("\(String(repeating: " ", count: width))    options: \(kind.options)")
    }
  }
}
