import EMZooCore
public import EMZooSpec
import Foundation

extension CPlugin {
  /// The plugin's family as the registry lists it: the mixture kind `<name>-mixture` and the
  /// HMM emission `name`.
  ///
  /// d comes from the data when there is data; else from the family's fixed dimension; else
  /// from the column count of the first per-dimension block in the spec's parameters.
  public var familyKind: FamilyKind {
    FamilyKind(name: name, summary: summary.isEmpty ? "C plugin family (\(path))" : summary) { [self] context in
      let d: Int
      if let given = context.dimension {
        d = given
      } else if fixedDimension > 0 {
        d = fixedDimension
      } else if let first = blocks.first(where: \.perDimension) {
        d = try context.dimension(fromMatrix: first.name)
      } else {
        preconditionFailure("init(path:) refuses a family with no way to know d")
      }
      if fixedDimension > 0, d != fixedDimension {
        throw InputError("\(context.spec.file): plugin family \"\(name)\" models \(fixedDimension) data columns, found \(d)")
      }
      return try CPluginFamily(plugin: self, components: context.components, dimension: d)
    }
  }
}

extension ModelRegistry {
  /// This registry with the C plugin at `path` added (`emzoo --plugin path`).
  ///
  /// - Parameter onFailure: ends the process with one line when a plugin function fails
  ///   during the E or M step or sampling (see `CPlugin.init(path:onFailure:)`).
  /// - Throws: `InputError` naming `path` when it cannot be loaded, or when its family's name
  ///   is already registered.
  public func registeringPlugin(at path: String, onFailure: @escaping @Sendable (String) -> Never) throws -> ModelRegistry {
    let plugin = try CPlugin(path: path, onFailure: onFailure)
    guard !families.contains(where: { $0.name == plugin.name }) else {
      throw InputError("plugin \(path): family \"\(plugin.name)\" is already registered")
    }
    return registering(plugin.familyKind)
  }

  /// This registry with every plugin of `EMZOO_PLUGINS` (colon-separated paths, empty entries
  /// ignored) and then of `paths` added, each library once (by resolved path).
  public func registeringPlugins(environment: String?, paths: [String],
                                 onFailure: @escaping @Sendable (String) -> Never) throws -> ModelRegistry {
    let fromEnvironment = (environment ?? "").split(separator: ":").map(String.init)
    var registry = self
    var seen = Set<String>()
    for path in fromEnvironment + paths {
      let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
      guard seen.insert(resolved).inserted else { continue }
      registry = try registry.registeringPlugin(at: path, onFailure: onFailure)
    }
    return registry
  }
}
