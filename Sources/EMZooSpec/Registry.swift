internal import EMZooCore
internal import EMZooModels

/// One model kind as the registry lists it: the spec's `model` key and how to build the model.
public struct ModelKind: Sendable {
  /// The spec's `model` key.
  public let name: String
  /// What it is, in one line.
  public let summary: String
  /// Its options, in one line.
  public let options: String
  /// Builds the model from a spec. `dimension` is the data's column count when data is at
  /// hand; without it the model infers d from the spec's parameters. The registry is the one
  /// the spec is read with (an HMM finds its emission family there).
  public let make: @Sendable (_ spec: ModelSpec, _ dimension: Int?, _ registry: ModelRegistry) throws -> any SpecifiedModel

  public init(name: String, summary: String, options: String,
              make: @escaping @Sendable (_ spec: ModelSpec, _ dimension: Int?, _ registry: ModelRegistry) throws -> any SpecifiedModel) {
    self.name = name
    self.summary = summary
    self.options = options
    self.make = make
  }
}

/// What a family's factory gets from a spec: K, the data's dimension (when known), and the
/// spec itself (its `options`, `prior` and `fit` blocks).
public struct FamilyContext: Sendable {
  /// K, the number of components or states.
  public var components: Int
  /// The data's column count, when data is at hand.
  public var dimension: Int?
  public var spec: ModelSpec

  public init(components: Int, dimension: Int?, spec: ModelSpec) {
    self.components = components
    self.dimension = dimension
    self.spec = spec
  }

  /// d from the data, else from the columns of `parameters.<key>` (a K×d matrix).
  public func dimension(fromMatrix key: String) throws -> Int {
    if let dimension { return dimension }
    guard spec.parameters.isPresent else {
      throw spec.parameters.error("expected the model's parameters (needed to know the data's dimension)")
    }
    return try spec.parameters[key].matrixColumns()
  }
}

/// An emission family as the registry lists it. A registered family is a mixture kind
/// (`<name>-mixture`, unless `mixtureKind` is nil) and an `hmm` emission (`"emission": name`).
public struct FamilyKind: Sendable {
  /// The value of the HMM's `options.emission`, e.g. "poisson".
  public let name: String
  /// The mixture kind's registry key, e.g. "poisson-mixture"; nil: an HMM emission only.
  public let mixtureKind: String?
  /// What it is, in one line.
  public let summary: String
  /// Keys of `options` the family reads (besides `components`/`states`), e.g. ["covariance"].
  public let optionKeys: [String]
  /// Keys of `prior` the family reads (besides the mixture's `weights`).
  public let priorKeys: [String]
  /// The family's options, in one line (for `emzoo list`).
  public let optionSummary: String
  /// Builds the family; reads its options and prior from `context.spec`.
  public let make: @Sendable (FamilyContext) throws -> any SpecifiedFamily

  public init(name: String, mixtureKind: String?, summary: String, optionKeys: [String] = [], priorKeys: [String] = [],
              optionSummary: String = "", make: @escaping @Sendable (FamilyContext) throws -> any SpecifiedFamily) {
    self.name = name
    self.mixtureKind = mixtureKind
    self.summary = summary
    self.optionKeys = optionKeys
    self.priorKeys = priorKeys
    self.optionSummary = optionSummary
    self.make = make
  }

  /// The usual mixture kind name for a family named `name`.
  public init(name: String, summary: String, optionKeys: [String] = [], priorKeys: [String] = [],
              optionSummary: String = "", make: @escaping @Sendable (FamilyContext) throws -> any SpecifiedFamily) {
    self.init(name: name, mixtureKind: "\(name)-mixture", summary: summary, optionKeys: optionKeys,
              priorKeys: priorKeys, optionSummary: optionSummary, make: make)
  }
}

/// Every model kind and emission family a spec can name.
///
/// Registration is explicit (Swift has no run-time discovery), like swift-argument-parser's
/// `subcommands`: start from `.standard` and add yours,
///
///     let registry = ModelRegistry.standard.registering(exponentialFamily)
///     EMZooCommandLine.main(registry: registry)
///
/// A family becomes a mixture kind and an HMM emission at once; a whole `ModelKind` adds a
/// new top-level `model`.
public struct ModelRegistry: Sendable {
  /// Emission families, in registration order.
  public private(set) var families: [FamilyKind]
  /// Kinds registered whole (not made from a family), in registration order.
  public private(set) var standaloneKinds: [ModelKind]

  public init(families: [FamilyKind] = [], kinds: [ModelKind] = []) {
    self.families = families
    standaloneKinds = kinds
  }

  /// The kinds that ship with emzoo: Gaussian, Poisson and Bernoulli mixtures; HMMs with
  /// Gaussian, Poisson, Bernoulli or categorical emissions; the missing-data regression.
  public static let standard = ModelRegistry(
    families: [gaussianFamilyKind, poissonFamilyKind, bernoulliFamilyKind, categoricalFamilyKind],
    kinds: [hmmKind, missingDataRegressionKind])

  /// This registry with `family` added (replacing a family of the same name).
  public func registering(_ family: FamilyKind) -> ModelRegistry {
    var copy = self
    copy.families.removeAll { $0.name == family.name }
    copy.families.append(family)
    return copy
  }

  /// This registry with `kind` added (replacing a kind of the same name).
  public func registering(_ kind: ModelKind) -> ModelRegistry {
    var copy = self
    copy.standaloneKinds.removeAll { $0.name == kind.name }
    copy.standaloneKinds.append(kind)
    return copy
  }

  /// Every kind: the families' mixtures, then the kinds registered whole.
  public var kinds: [ModelKind] {
    families.compactMap { family in family.mixtureKind.map { mixtureKind(named: $0, of: family) } }
      + standaloneKinds.filter { kind in !families.contains { $0.mixtureKind == kind.name } }
  }

  /// The kind named `name`, or an error listing the known ones.
  public func kind(named name: String, in spec: ModelSpec) throws -> ModelKind {
    let all = kinds
    guard let kind = all.first(where: { $0.name == name }) else {
      throw InputError("\(spec.file): model: unknown model kind \"\(name)\"; expected one of \(all.map(\.name).joined(separator: ", "))")
    }
    return kind
  }

  /// The model a spec declares; `dimension` is the data's column count when data is at hand.
  public func model(for spec: ModelSpec, dimension: Int? = nil) throws -> any SpecifiedModel {
    try kind(named: spec.model, in: spec).make(spec, dimension, self)
  }
}
