// Fuzz target: the CSV reader (the C parser and its Swift driver), then validation by every
// mixture kind. Any input must give a data set or an `InputError`: never a trap.
import FuzzDriver
import Foundation
import EMZoo
@testable import EMZooSpec

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  guard let bytes else { return 0 }
  var pending: [UInt8]? = Array(UnsafeBufferPointer(start: bytes, count: count))
  let lines = pending!.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
  guard let data = try? CSVReader.parse(source: "fuzz.csv", columns: nil, lineBound: lines, nextBlock: {
    defer { pending = nil }
    return pending
  }) else { return 0 }
  precondition(data.values.count == data.rows * data.dimension)
  precondition(data.sequences.reduce(0) { $0 + $1.count } == data.rows)
  for text in [#"{"model": "poisson-mixture", "options": {"components": 2}}"#,
               #"{"model": "bernoulli-mixture", "options": {"components": 1}}"#,
               #"{"model": "gaussian-mixture", "options": {"components": 1}}"#] {
    if let spec = try? ModelSpec(text: text, file: "fuzz.json"),
       let kind = ModelRegistry.standard.kinds.first(where: { $0.name == spec.model }),
       let model = try? kind.make(spec, data.dimension, .standard) {
      _ = try? model.validate(data)
    }
  }
  return 0
}

// SwiftPM gives the executable its own main; it hands control to libFuzzer's driver.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzCSV($0, $1) })
