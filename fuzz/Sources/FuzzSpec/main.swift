// Fuzz target: the spec decoder, down to every registered kind's option, prior and parameter
// validation. Any input must give a spec or an `InputError`: never a trap.
import FuzzDriver
import Foundation
import EMZoo
@testable import EMZooSpec

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSpec(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  guard let bytes else { return 0 }
  let text = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
  guard let spec = try? ModelSpec(text: text, file: "fuzz.json") else { return 0 }
  guard let kind = ModelRegistry.standard.kinds.first(where: { $0.name == spec.model }) else { return 0 }
  for dimension in [nil, 1, 3] as [Int?] {
    if let model = try? kind.make(spec, dimension, .standard) {
      if let parameters = try? model.specParameters(spec) {
        _ = parameters
        _ = try? model.sampleData(spec: spec, count: 5, seed: 1)
      }
    }
  }
  return 0
}

// SwiftPM gives the executable its own main; it hands control to libFuzzer's driver.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { fuzzSpec($0, $1) })
