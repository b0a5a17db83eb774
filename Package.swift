// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "emzoo",
  products: [
    .executable(name: "emzoo", targets: ["EMZooCLI"]),
    .library(name: "EMZoo", targets: ["EMZoo"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
  ],
  targets: [
    // Hot loops and everything GSL provides (RNG, samplers, special functions, Cholesky).
    // Swift never sees a GSL type: the header exposes plain `emz_*` functions.
    .target(
      name: "CKernels",
      path: "CKernels",
      // No compiler flags (so emzoo can be a versioned dependency): the hot kernels are
      // compiled per instruction set inside the sources (AVX-512, AVX2 and baseline on x86-64,
      // `#pragma clang attribute` target regions), with their own vectorisable exp/log
      // (CKernels/vmath.h), and chosen at run time (CKernels/dispatch.h).
      linkerSettings: [
        .linkedLibrary("gsl"),
        .linkedLibrary("gslcblas"),
        .linkedLibrary("m"),
      ]
    ),
    // The engine, the model kinds, specs and data: no CLI, no printing.
    .target(
      name: "EMZoo",
      dependencies: ["CKernels"],
      path: "Sources/EMZoo"
    ),
    // The `emzoo` command line.
    .executableTarget(
      name: "EMZooCLI",
      dependencies: [
        "EMZoo",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Sources/EMZooCLI"
    ),
    .testTarget(
      name: "EMZooTests",
      dependencies: [
        "EMZoo",
        "CKernels",
        .product(name: "Numerics", package: "swift-numerics"),
        .product(name: "PropertyBased", package: "swift-property-based"),
      ],
      path: "Tests/EMZooTests"
    ),
  ]
)
