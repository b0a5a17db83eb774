// swift-tools-version:6.0
import PackageDescription

// No unsafe build flags anywhere, so any package can depend on emzoo by version (`from:`).

// The targets enforce the architecture's one-way arrows; a dependency against an arrow does
// not compile:
//
//   emzoo (thin executable) → EMZooCommandLine → EMZooSpec → EMZooModels → EMZooCore → CKernels
//
// C plugins: EMZooCommandLine → EMZooPlugins (dlopen, `--plugin`) → EMZooSpec, EMZooPluginABI
// (the versioned header `emzoo_plugin.h` that a plugin compiles against; no code).
//
// CKernels is implementation-only: every target imports it with `internal import`, and no
// product exposes it. `EMZoo` re-exports core, models and spec for library users.
let package = Package(
  name: "emzoo",
  products: [
    .executable(name: "emzoo", targets: ["emzoo"]),
    .library(name: "EMZoo", targets: ["EMZoo"]),
    .library(name: "EMZooCommandLine", targets: ["EMZooCommandLine"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
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
    // The EMModel protocol, the engine, the parallel runner, RNG, the data matrix: no kind,
    // no JSON, no files.
    .target(name: "EMZooCore", dependencies: ["CKernels"]),
    // Families, mixture, HMM, regression, and the shared numerics: no JSON.
    .target(name: "EMZooModels", dependencies: ["EMZooCore", "CKernels"]),
    // JSON specs, CSV reading, the kinds and their registry, fit reports, recovery checks.
    .target(name: "EMZooSpec", dependencies: ["EMZooModels", "EMZooCore", "CKernels"]),
    // The C plugin ABI: one versioned header (`emzoo_plugin.h`) that plugins compile against.
    .target(name: "EMZooPluginABI"),
    // Loads C plugins (`--plugin lib.so`, EMZOO_PLUGINS) as emission families.
    .target(name: "EMZooPlugins", dependencies: ["EMZooSpec", "EMZooModels", "EMZooCore", "EMZooPluginABI"]),
    // Core, models and spec for library users: `import EMZoo`.
    .target(name: "EMZoo", dependencies: ["EMZooCore", "EMZooModels", "EMZooSpec"]),
    // Every command; a plugin package runs it with its own registry.
    .target(
      name: "EMZooCommandLine",
      dependencies: [
        "EMZooSpec", "EMZooModels", "EMZooCore", "EMZooPlugins", "CKernels",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(name: "emzoo", dependencies: ["EMZooCommandLine"]),
    // Tests per layer: the core alone (a model written against EMZooCore only), the models
    // without the spec layer, then the whole stack (models, specs, the command line, plugins).
    .testTarget(name: "EMZooCoreTests", dependencies: ["EMZooCore"], path: "Tests/EMZooCoreTests"),
    .testTarget(name: "EMZooModelsTests", dependencies: ["EMZooModels", "EMZooCore"], path: "Tests/EMZooModelsTests"),
    .testTarget(
      name: "EMZooTests",
      dependencies: [
        "EMZoo",
        "EMZooCommandLine",
        "CKernels",
        .product(name: "Numerics", package: "swift-numerics"),
        .product(name: "PropertyBased", package: "swift-property-based"),
      ],
      path: "Tests/EMZooTests"
    ),
  ]
)
