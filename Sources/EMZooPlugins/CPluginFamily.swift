internal import EMZooPluginABI
public import EMZooCore
public import EMZooModels
public import EMZooSpec

/// An emission family implemented in C (`emzoo_plugin.h`), for K components and d columns.
///
/// Parameters are the plugin's flat array: block b as a row-major K×P_b matrix, blocks in
/// declaration order, P_b = d or the block's length. Every verb is one call into the plugin
/// with pointers to emzoo's buffers; the plugin's functions are re-entrant, so the engine's
/// parallel E step calls them from several threads at once and sums the statistics in chunk
/// order as for any family (results are bit-identical for every thread count).
///
/// `logDensities` includes every constant, so `constantLogLikelihood` is 0. No prior (ABI 1).
public struct CPluginFamily: EmissionFamily, SpecifiedFamily {
  public typealias Parameters = [Double]
  public typealias Prepared = [Double]

  public let plugin: CPlugin
  public let components: Int
  public let dimension: Int
  public let statisticsPerComponent: Int
  public let parameterCount: Int
  /// P_b, the numbers per component of each block.
  let widths: [Int]
  /// Where each block starts in the flat parameter array.
  let offsets: [Int]
  /// K·ΣP_b.
  let parameterSize: Int

  /// The family for K components and d columns.
  ///
  /// - Throws: `InputError` when the plugin's bookkeeping functions give unusable sizes.
  public init(plugin: CPlugin, components: Int, dimension: Int) throws {
    precondition(components >= 1 && dimension >= 1, "a family needs K ≥ 1 and d ≥ 1")
    self.plugin = plugin
    self.components = components
    self.dimension = dimension
    guard components <= Int(Int32.max), dimension <= Int(Int32.max) else {
      throw InputError("plugin \(plugin.name): K = \(components), d = \(dimension) exceed the ABI's int")
    }
    widths = plugin.blocks.map { $0.width(dimension: dimension) }
    var offsets: [Int] = [], total = 0
    for width in widths {
      offsets.append(total)
      total += components * width
    }
    self.offsets = offsets
    parameterSize = total
    let s = Int(plugin.statisticsFunction(Int32(dimension)))
    guard s >= 1 else {
      throw InputError("plugin \(plugin.name): statistics_per_component(\(dimension)) is \(s), expected at least 1")
    }
    statisticsPerComponent = s
    let p = Int(plugin.parameterCountFunction(Int32(components), Int32(dimension)))
    guard p >= 0 else {
      throw InputError("plugin \(plugin.name): free_parameter_count(\(components), \(dimension)) is \(p), expected ≥ 0")
    }
    parameterCount = p
  }

  var k32: Int32 { Int32(components) }
  var d32: Int32 { Int32(dimension) }

  // MARK: - The four verbs

  /// Checks θ with the plugin's `check_parameters` (when it has one).
  public func prepare(_ parameters: Parameters) throws -> Prepared {
    if let message = checkMessage(parameters) { throw InputError("plugin \(plugin.name): \(message)") }
    return parameters
  }

  func checkMessage(_ parameters: Parameters) -> String? {
    precondition(parameters.count == parameterSize, "parameters of another shape")
    guard let check = plugin.checkFunction else { return nil }
    return parameters.withUnsafeBufferPointer { p in
      plugin.call("check_parameters") { check(p.baseAddress, k32, d32, $0, $1) }
    }
  }

  public func logDensities(_ x: UnsafePointer<Double>, rows: Int, prepared: Prepared,
                           into out: UnsafeMutablePointer<Double>) {
    prepared.withUnsafeBufferPointer { p in
      plugin.callOrFail("log_density") { plugin.logDensityFunction(p.baseAddress, k32, d32, x, rows, out, $0, $1) }
    }
    for e in 0..<(rows * components) where out[e].isNaN {
      plugin.fail("log_density: returned NaN for row \(e / components), component \(e % components)")
    }
  }

  public func accumulate(_ x: UnsafePointer<Double>, rows: Int, weights: UnsafePointer<Double>,
                         prepared: Prepared, into statistics: UnsafeMutablePointer<Double>) {
    prepared.withUnsafeBufferPointer { p in
      plugin.callOrFail("accumulate") {
        plugin.accumulateFunction(p.baseAddress, k32, d32, x, rows, weights, statistics, $0, $1)
      }
    }
  }

  /// The plugin's M step; its result must meet the blocks' constraints (else the process ends
  /// with one line naming the entry).
  public func maximize(_ statistics: UnsafeBufferPointer<Double>, previous: Parameters) -> Parameters {
    precondition(statistics.count >= components * statisticsPerComponent, "statistics of another shape")
    var out = previous
    previous.withUnsafeBufferPointer { p in
      out.withUnsafeMutableBufferPointer { o in
        plugin.callOrFail("maximize") {
          plugin.maximizeFunction(statistics.baseAddress, k32, d32, p.baseAddress, o.baseAddress, $0, $1)
        }
      }
    }
    if let (block, k, j, value) = firstViolation(out) {
      plugin.fail("maximize: returned \(block.name)[\(k)][\(j)] = \(JSONValue.format(value)), expected \(block.constraint.description)")
    }
    return out
  }

  public func sample(component k: Int, prepared: Prepared, random: RandomSource,
                     into row: UnsafeMutablePointer<Double>) {
    var rng = emzoo_rng_v1(
      uniform: { state in
        guard let state else { return .nan }
        return Unmanaged<RandomSource>.fromOpaque(state).takeUnretainedValue().uniform()
      },
      gaussian: { state in
        guard let state else { return .nan }
        return Unmanaged<RandomSource>.fromOpaque(state).takeUnretainedValue().gaussian()
      },
      state: Unmanaged.passUnretained(random).toOpaque())
    withExtendedLifetime(random) {
      prepared.withUnsafeBufferPointer { p in
        plugin.callOrFail("sample") { plugin.sampleFunction(p.baseAddress, k32, d32, Int32(k), &rng, row, $0, $1) }
      }
    }
    for j in 0..<dimension where !row[j].isFinite || !plugin.admits(row[j]) {
      plugin.fail("sample: drew \(JSONValue.format(row[j])) for column \(j), expected \(plugin.valueDescription)")
    }
  }

  // MARK: - Bookkeeping

  /// The plugin's `initial` parameters.
  public var placeholder: Parameters {
    var out = [Double](repeating: 0, count: parameterSize)
    out.withUnsafeMutableBufferPointer { o in
      plugin.callOrFail("initial") { plugin.initialFunction(k32, d32, o.baseAddress, $0, $1) }
    }
    if let (block, k, j, value) = firstViolation(out) {
      plugin.fail("initial: returned \(block.name)[\(k)][\(j)] = \(JSONValue.format(value)), expected \(block.constraint.description)")
    }
    return out
  }

  public func reseeded(_ parameters: Parameters, component k: Int, at row: UnsafePointer<Double>) -> Parameters {
    var out = parameters
    out.withUnsafeMutableBufferPointer { o in
      plugin.callOrFail("reseed") { plugin.reseedFunction(o.baseAddress, k32, d32, Int32(k), row, $0, $1) }
    }
    if let (block, c, j, value) = firstViolation(out) {
      plugin.fail("reseed: returned \(block.name)[\(c)][\(j)] = \(JSONValue.format(value)), expected \(block.constraint.description)")
    }
    return out
  }

  public func blocks(_ parameters: Parameters) -> [(name: String, perComponent: [[Double]])] {
    plugin.blocks.indices.map { b in
      let width = widths[b], start = offsets[b]
      return (plugin.blocks[b].name,
              (0..<components).map { k in Array(parameters[(start + k * width)..<(start + (k + 1) * width)]) })
    }
  }

  public func permuted(_ parameters: Parameters, by order: [Int]) -> Parameters {
    plugin.blocks.indices.flatMap { b in
      let width = widths[b], start = offsets[b]
      return order.flatMap { parameters[(start + $0 * width)..<(start + ($0 + 1) * width)] }
    }
  }

  /// Every observed value must pass the plugin's `validate_value`; the error names the line
  /// and column. Only the held rows are looked at (`DataSet.heldRows`: under MPI each process
  /// checks its own rows, and the processes agree on the first failure).
  public func validate(_ data: DataSet) throws {
    let d = data.dimension
    let held = data.heldRows
    for e in (held.lowerBound * d)..<(held.upperBound * d) {
      let x = data.values[e]
      guard !x.isNaN && !(x.isFinite && plugin.admits(x)) else { continue }
      throw InputError("\(data.place(row: e / d, column: e % d)): expected \(plugin.valueDescription), found \(JSONValue.format(x))")
    }
  }

  /// The first entry outside its block's constraint: (block, component, index, value).
  func firstViolation(_ parameters: Parameters) -> (CPlugin.Block, Int, Int, Double)? {
    for (b, block) in plugin.blocks.enumerated() {
      let width = widths[b]
      for e in 0..<(components * width) where !block.constraint.admits(parameters[offsets[b] + e]) {
        return (block, e / width, e % width, parameters[offsets[b] + e])
      }
    }
    return nil
  }

  // MARK: - Spec

  public var parameterKeys: [String] { plugin.blocks.map(\.name) }

  /// Each block as a K×P_b matrix under its name, checked against its constraint, then the
  /// whole θ by the plugin's `check_parameters`.
  public func decode(_ field: Field) throws -> Parameters {
    var parameters: [Double] = []
    parameters.reserveCapacity(parameterSize)
    for (b, block) in plugin.blocks.enumerated() {
      let values = try field[block.name].matrix(rows: components, columns: widths[b])
      if let e = values.firstIndex(where: { !block.constraint.admits($0) }) {
        throw field[block.name].error(
          "expected \(block.constraint.description); entry [\(e / widths[b])][\(e % widths[b])] is \(JSONValue.format(values[e]))")
      }
      parameters += values
    }
    if let message = checkMessage(parameters) { throw field.error("plugin \(plugin.name): \(message)") }
    return parameters
  }
}

/// A plugin family fits row windows (each MPI process holding only its own rows): its checks
/// look at the held rows only, it has no data-dependent constant or adaptation (the ABI has
/// none), and what a mixture does with it outside the E step (initialisation from the gathered
/// subsample, re-seeding at the worst-explained row agreed over the processes) is the
/// mixture's, the same for every family.
extension CPluginFamily: RowWindowFamily {}

/// `emzoo impute` through the plugin's optional `conditional_mean` (appended to ABI 1); a
/// plugin without it says so in one line.
extension CPluginFamily: ConditionalMeanFamily {
  public var conditionalMeanUnavailable: String? {
    plugin.conditionalMeanFunction == nil
      ? "plugin \(plugin.name) gives no conditional_mean (the optional function of emzoo_plugin.h that impute needs)"
      : nil
  }

  /// The plugin's `conditional_mean`; a missing entry it leaves non-finite ends the process
  /// with one line naming the row, component and column.
  public func conditionalMeans(_ x: UnsafePointer<Double>, rows: Int, parameters: Parameters,
                               into out: UnsafeMutablePointer<Double>) {
    guard let function = plugin.conditionalMeanFunction else {
      preconditionFailure("conditionalMeans without conditional_mean (see conditionalMeanUnavailable)")
    }
    parameters.withUnsafeBufferPointer { p in
      plugin.callOrFail("conditional_mean") { function(p.baseAddress, k32, d32, x, rows, out, $0, $1) }
    }
    let K = components, d = dimension
    for i in 0..<rows {
      for k in 0..<K {
        for j in 0..<d where x[i * d + j].isNaN && !out[(i * K + k) * d + j].isFinite {
          plugin.fail("conditional_mean: returned \(JSONValue.format(out[(i * K + k) * d + j])) for row \(i), component \(k), column \(j)")
        }
      }
    }
  }
}
