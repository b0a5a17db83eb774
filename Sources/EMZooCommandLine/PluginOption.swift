import EMZooCore
import EMZooPlugins
import EMZooSpec
import Foundation

/// The global `--plugin LIB.so` option (repeatable, any position before `--`) and the
/// `EMZOO_PLUGINS` variable: C plugin families (`emzoo_plugin.h`) loaded before the command is
/// parsed, so every command sees them.
enum PluginOption {
  /// The arguments without `--plugin PATH` / `--plugin=PATH`, and the paths in order.
  static func extract(_ arguments: [String]) throws -> (arguments: [String], paths: [String]) {
    var rest: [String] = [], paths: [String] = []
    var i = 0
    while i < arguments.count {
      let argument = arguments[i]
      if argument == "--" {
        rest += arguments[i...]
        break
      }
      if argument == "--plugin" {
        guard i + 1 < arguments.count, !arguments[i + 1].isEmpty else {
          throw InputError("--plugin: expected the path of a plugin library")
        }
        paths.append(arguments[i + 1])
        i += 2
        continue
      }
      if argument.hasPrefix("--plugin=") {
        let path = String(argument.dropFirst("--plugin=".count))
        guard !path.isEmpty else { throw InputError("--plugin: expected the path of a plugin library") }
        paths.append(path)
      } else {
        rest.append(argument)
      }
      i += 1
    }
    return (rest, paths)
  }

  /// `registry` with the plugins of `EMZOO_PLUGINS` and of the arguments, and the arguments
  /// left for the parser.
  static func load(into registry: ModelRegistry, arguments: [String],
                   environment: [String: String]) throws -> (ModelRegistry, [String]) {
    let (rest, paths) = try extract(arguments)
    let loaded = try registry.registeringPlugins(
      environment: environment["EMZOO_PLUGINS"], paths: paths,
      onFailure: { message in EMZooCommand.fail(message, status: 2) })
    return (loaded, rest)
  }
}
