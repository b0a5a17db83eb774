// swift-tools-version:6.0
// libFuzzer targets for emzoo's input parsers. Build and run with `bash fuzz/run.sh`.
import Foundation
import PackageDescription

// A path dependency is named after its folder: the checkout's, whatever it is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
  name: "emzoo-fuzz",
  dependencies: [.package(path: "..")],
  targets: [
    .target(name: "FuzzDriver"),
    .executableTarget(name: "FuzzSpec", dependencies: ["FuzzDriver", .product(name: "EMZoo", package: root)]),
    .executableTarget(name: "FuzzCSV", dependencies: ["FuzzDriver", .product(name: "EMZoo", package: root)]),
  ]
)
