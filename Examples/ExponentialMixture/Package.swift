// swift-tools-version:6.0
import PackageDescription

// A plugin package: emzoo with one more emission family (independent exponential columns),
// built as its own `emzoo-exponential` command line. It depends on emzoo by version, as any
// outside package would; EMZOO_URL points it at another copy of emzoo (a local clone with a
// `file://` URL, as scripts/test-examples.sh does).
let emzoo = Context.environment["EMZOO_URL"] ?? "https://github.com/emzoo/emzoo"

let package = Package(
  name: "ExponentialMixture",
  products: [
    .executable(name: "emzoo-exponential", targets: ["emzoo-exponential"]),
  ],
  dependencies: [
    .package(url: emzoo, from: "0.1.0"),
  ],
  targets: [
    .executableTarget(
      name: "emzoo-exponential",
      dependencies: [
        .product(name: "EMZoo", package: "emzoo"),
        .product(name: "EMZooCommandLine", package: "emzoo"),
      ]
    ),
  ]
)
