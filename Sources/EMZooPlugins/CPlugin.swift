internal import EMZooPluginABI
import Foundation
import EMZooCore
import EMZooSpec

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A C plugin library, loaded once: its family's description and functions (`emzoo_plugin.h`).
///
/// Loading checks everything the header promises before any use: the entry point exists, the
/// ABI version is 1, the structure is complete, names and blocks are well formed and every
/// required function is present. Any failure is an `InputError` of one line naming the
/// library. The library is never unloaded.
///
/// Calls that cannot throw (the E and M steps, sampling) report a plugin's nonzero status
/// through `onFailure`, which ends the process with one line; only the first failing thread
/// reports (the engine calls the plugin from several threads at once).
///
/// `@unchecked Sendable`: every stored property is immutable after `init`; the family
/// description it points to is the plugin's static, immutable data; and the ABI requires
/// every function to be re-entrant, taking all state through its arguments. The one mutable
/// thing, the failure lock, is a lock.
public final class CPlugin: @unchecked Sendable {
  /// The path the library was loaded from, as given.
  public let path: String
  /// The family's name (`"emission": name`, mixture kind `<name>-mixture`).
  public let name: String
  /// One line for `emzoo list`.
  public let summary: String
  /// What an observed value must be, e.g. "a non-negative integer".
  public let valueDescription: String
  /// 0: any number of columns; else exactly this many.
  public let fixedDimension: Int
  /// The parameter blocks in the order of the flat parameter array.
  public let blocks: [Block]

  /// One declared parameter block.
  public struct Block: Sendable {
    public var name: String
    /// d numbers per component when true, else `length`.
    public var perDimension: Bool
    public var length: Int
    public var constraint: Constraint

    /// Numbers per component with d data columns.
    public func width(dimension d: Int) -> Int { perDimension ? d : length }
  }

  /// What every entry of a block must be (EMZOO_REAL, …); every entry is finite too.
  public enum Constraint: Int32, Sendable {
    case real = 0, positive = 1, probability = 2, nonNegative = 3

    /// Whether `x` meets the constraint.
    public func admits(_ x: Double) -> Bool {
      switch self {
      case .real: x.isFinite
      case .positive: x.isFinite && x > 0
      case .probability: x >= 0 && x <= 1
      case .nonNegative: x.isFinite && x >= 0
      }
    }

    /// The constraint in words, for messages.
    public var description: String {
      switch self {
      case .real: "finite numbers"
      case .positive: "positive numbers"
      case .probability: "probabilities in [0, 1]"
      case .nonNegative: "non-negative numbers"
      }
    }
  }

  let statisticsFunction: @convention(c) (Int32) -> Int32
  let parameterCountFunction: @convention(c) (Int32, Int32) -> Int32
  let validateValueFunction: @convention(c) (Double) -> Int32
  let initialFunction: @convention(c) (Int32, Int32, UnsafeMutablePointer<Double>?, UnsafeMutablePointer<CChar>?, Int) -> Int32
  let checkFunction: (@convention(c) (UnsafePointer<Double>?, Int32, Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32)?
  let logDensityFunction: @convention(c) (UnsafePointer<Double>?, Int32, Int32, UnsafePointer<Double>?, Int,
                                          UnsafeMutablePointer<Double>?, UnsafeMutablePointer<CChar>?, Int) -> Int32
  let accumulateFunction: @convention(c) (UnsafePointer<Double>?, Int32, Int32, UnsafePointer<Double>?, Int,
                                          UnsafePointer<Double>?, UnsafeMutablePointer<Double>?,
                                          UnsafeMutablePointer<CChar>?, Int) -> Int32
  let maximizeFunction: @convention(c) (UnsafePointer<Double>?, Int32, Int32, UnsafePointer<Double>?,
                                        UnsafeMutablePointer<Double>?, UnsafeMutablePointer<CChar>?, Int) -> Int32
  let sampleFunction: @convention(c) (UnsafePointer<Double>?, Int32, Int32, Int32, UnsafePointer<emzoo_rng_v1>?,
                                      UnsafeMutablePointer<Double>?, UnsafeMutablePointer<CChar>?, Int) -> Int32
  let reseedFunction: @convention(c) (UnsafeMutablePointer<Double>?, Int32, Int32, Int32, UnsafePointer<Double>?,
                                      UnsafeMutablePointer<CChar>?, Int) -> Int32

  /// Optional (`emzoo impute`); nil when the plugin has none or predates it.
  let conditionalMeanFunction: (@convention(c) (UnsafePointer<Double>?, Int32, Int32, UnsafePointer<Double>?, Int,
                                                UnsafeMutablePointer<Double>?, UnsafeMutablePointer<CChar>?, Int) -> Int32)?

  /// Called with a one-line message when a plugin function fails where emzoo cannot throw.
  let onFailure: @Sendable (String) -> Never
  private let failureLock = NSLock()

  /// Loads the library at `path` and reads its family.
  ///
  /// - Parameter onFailure: reports a failure of a plugin function during the E or M step or
  ///   sampling (one line, without the "emzoo: " prefix) and ends the process.
  /// - Throws: `InputError` naming `path` when the file is missing, is not a loadable library,
  ///   lacks `emzoo_plugin_family`, has another ABI version or an ill-formed description.
  public init(path: String, onFailure: @escaping @Sendable (String) -> Never) throws {
    self.path = path
    self.onFailure = onFailure
    func failure(_ message: String) -> InputError { InputError("plugin \(path): \(message)") }

    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
      throw failure("no such file")
    }
    // A bare file name would make dlopen search the library path instead of this folder.
    let loadPath = path.contains("/") ? path : "./" + path
    guard let handle = dlopen(loadPath, RTLD_NOW | RTLD_LOCAL) else {
      throw failure("cannot load: \(oneLine(dlerror().map { String(cString: $0) } ?? "unknown error"))")
    }
    guard let symbol = dlsym(handle, EMZOO_PLUGIN_ENTRY_POINT) else {
      throw failure("not an emzoo plugin: it exports no function \(EMZOO_PLUGIN_ENTRY_POINT)")
    }
    typealias EntryPoint = @convention(c) () -> UnsafeRawPointer?
    guard let raw = unsafeBitCast(symbol, to: EntryPoint.self)() else {
      throw failure("\(EMZOO_PLUGIN_ENTRY_POINT)() returned NULL")
    }
    // `abi_version` is the first member of every version's structure: read it alone first.
    let version = raw.load(as: Int32.self)
    guard version == EMZOO_PLUGIN_ABI_VERSION else {
      throw failure("plugin ABI version \(version), emzoo supports \(EMZOO_PLUGIN_ABI_VERSION)")
    }
    // A plugin compiled with an older header has a shorter structure (it ends before the
    // members appended since, `conditional_mean` first): copy only its `struct_size` bytes
    // into a zeroed structure, so an appended member it lacks reads as NULL and nothing past
    // its end is read.
    let layout = MemoryLayout<emzoo_family_v1>.self
    let structSize = raw.load(fromByteOffset: layout.offset(of: \.struct_size)!, as: Int.self)
    let versionOneSize = layout.offset(of: \.conditional_mean)!
    guard structSize >= versionOneSize else {
      throw failure("struct_size is \(structSize), expected at least \(versionOneSize) (set it to sizeof(emzoo_family_v1))")
    }
    var f = emzoo_family_v1()
    withUnsafeMutableBytes(of: &f) {
      $0.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: min(structSize, layout.size)))
    }

    guard let namePointer = f.name else { throw failure("the family has no name") }
    let name = String(cString: namePointer)
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    guard !name.isEmpty, name.count <= 64, name.allSatisfy({ allowed.contains($0) }) else {
      throw failure("family name \"\(oneLine(name))\" must be 1 to 64 letters, digits, '-' or '_'")
    }
    self.name = name
    summary = oneLine(f.summary.map { String(cString: $0) } ?? "")
    valueDescription = oneLine(f.value_description.map { String(cString: $0) } ?? "a number")
    guard f.dimension >= 0 else { throw failure("dimension is \(f.dimension), expected 0 (any) or a positive count") }
    fixedDimension = Int(f.dimension)

    guard let blockPointer = f.blocks, f.block_count >= 1, f.block_count <= 1000 else {
      throw failure("the family declares no parameter blocks (blocks is NULL or block_count < 1)")
    }
    var blocks: [Block] = []
    for b in 0..<Int(f.block_count) {
      let block = blockPointer[b]
      guard let blockName = block.name.map({ String(cString: $0) }), !blockName.isEmpty else {
        throw failure("block \(b) has no name")
      }
      guard !["weights", "initial", "transition"].contains(blockName), !blocks.contains(where: { $0.name == blockName }) else {
        throw failure("block name \"\(oneLine(blockName))\" is reserved or used twice")
      }
      guard let constraint = Constraint(rawValue: block.constraint) else {
        throw failure("block \"\(blockName)\": constraint \(block.constraint) is not one of EMZOO_REAL, EMZOO_POSITIVE, EMZOO_PROBABILITY, EMZOO_NONNEGATIVE")
      }
      guard block.per_dimension != 0 || block.length >= 1 else {
        throw failure("block \"\(blockName)\": length is \(block.length), expected at least 1")
      }
      blocks.append(Block(name: blockName, perDimension: block.per_dimension != 0, length: Int(block.length),
                          constraint: constraint))
    }
    guard fixedDimension > 0 || blocks.contains(where: \.perDimension) else {
      throw failure("dimension is 0 (any) but no block is per_dimension, so a spec cannot say d")
    }
    self.blocks = blocks

    func required<T>(_ function: T?, _ field: String) throws -> T {
      guard let function else { throw failure("required function \(field) is NULL") }
      return function
    }
    statisticsFunction = try required(f.statistics_per_component, "statistics_per_component")
    parameterCountFunction = try required(f.free_parameter_count, "free_parameter_count")
    validateValueFunction = try required(f.validate_value, "validate_value")
    initialFunction = try required(f.initial, "initial")
    checkFunction = f.check_parameters
    logDensityFunction = try required(f.log_density, "log_density")
    accumulateFunction = try required(f.accumulate, "accumulate")
    maximizeFunction = try required(f.maximize, "maximize")
    sampleFunction = try required(f.sample, "sample")
    reseedFunction = try required(f.reseed, "reseed")
    conditionalMeanFunction = f.conditional_mean
  }

  // MARK: - Calls

  /// Runs `body` with a zeroed error buffer; nil on status 0, else the plugin's message.
  func call(_ function: String, _ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) -> String? {
    let size = Int(EMZOO_ERROR_SIZE)
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: size) { buffer -> String? in
      guard let error = buffer.baseAddress else { return "no memory for the error buffer" }
      buffer.initialize(repeating: 0)
      let status = body(error, size)
      guard status != 0 else { return nil }
      buffer[size - 1] = 0
      let message = oneLine(String(cString: error))
      return "\(function): " + (message.isEmpty ? "failed with status \(status)" : message)
    }
  }

  /// Like `call`, for verbs that cannot throw: a failure ends the process through `onFailure`.
  func callOrFail(_ function: String, _ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) {
    if let message = call(function, body) { fail(message) }
  }

  /// Reports `message` as this plugin's failure (once, however many threads fail) and ends
  /// the process.
  func fail(_ message: String) -> Never {
    failureLock.lock()  // never unlocked: the first reporter ends the process
    onFailure("plugin \(name): \(message)")
  }

  /// Whether an observed data value is in the family's support.
  func admits(_ x: Double) -> Bool { validateValueFunction(x) != 0 }
}

/// `text` on one line of at most 200 printable characters.
func oneLine(_ text: String) -> String {
  let flat = String(text.map { $0.isNewline || ($0.asciiValue.map { $0 < 32 || $0 == 127 } ?? false) ? " " : $0 })
    .trimmingCharacters(in: .whitespaces)
  return flat.count <= 200 ? flat : String(flat.prefix(199)) + "…"
}
