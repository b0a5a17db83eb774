import Foundation
import Numerics
import Testing

@testable import EMZoo

/// The C plugin door (`emzoo_plugin.h`): the example geometric family compiled with `cc`,
/// loaded by the built `emzoo` with `--plugin` and `EMZOO_PLUGINS`, as a mixture and as an HMM
/// emission, in every command; and one-line exit-2 errors for every way a plugin can be bad.
@Suite(.serialized) struct CPluginTests {
  static let example = repositoryRoot.appendingPathComponent("Examples/c-plugin")
  static let headers = repositoryRoot.appendingPathComponent("Sources/EMZooPluginABI/include").path
  let mixtureSpec = example.appendingPathComponent("geometric-mixture.json").path
  let hmmSpec = example.appendingPathComponent("geometric-hmm.json").path

  /// Compiles `source` into `dir/<name>` with warnings as errors; returns the library path.
  static func compile(_ source: String, to name: String, in dir: URL) throws -> String {
    let library = dir.appendingPathComponent(name).path
    let r = try run("/usr/bin/env", ["cc", "-shared", "-fPIC", "-O2", "-std=c11", "-Wall", "-Wextra", "-Werror",
                                     "-I", headers, "-I", example.path, source, "-o", library, "-lm"])
    #expect(r.status == 0 && r.stderr.isEmpty, "cc \(source): \(r.stderr)")
    return library
  }

  /// The example plugin, compiled once per test.
  static func geometric(in dir: URL) throws -> String {
    try compile(example.appendingPathComponent("geometric.c").path, to: "libgeometric.so", in: dir)
  }

  static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:])
    throws -> (status: Int32, stdout: String, stderr: String)
  {
    try runProcess(executable, arguments, environment: environment)
  }

  static func emzoo(_ arguments: [String], environment: [String: String] = [:]) throws
    -> (status: Int32, stdout: String, stderr: String)
  {
    try run(emzooExecutable().path, arguments, environment: environment)
  }

  // MARK: - Loading

  @Test func listShowsThePluginFromTheOptionAndTheEnvironment() throws {
    let dir = try temporaryDirectory()
    let library = try Self.geometric(in: dir)
    for arguments in [["--plugin", library, "list"], ["list", "--plugin=\(library)"]] {
      let r = try Self.emzoo(arguments)
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stdout.contains("geometric-mixture") && r.stdout.contains("geometric counts (C plugin)"))
    }
    // Empty entries of the colon-separated list are ignored.
    let viaEnvironment = try Self.emzoo(["list", "--json"], environment: ["EMZOO_PLUGINS": ":\(library)"])
    #expect(viaEnvironment.status == 0, "\(viaEnvironment.stderr)")
    #expect(viaEnvironment.stdout.contains("\"geometric-mixture\""))
    // The same library named twice (environment and option) is loaded once.
    let twice = try Self.emzoo(["--plugin", library, "list"], environment: ["EMZOO_PLUGINS": library])
    #expect(twice.status == 0, "\(twice.stderr)")
    // Without the plugin the kind is unknown.
    let without = try Self.emzoo(["sample", mixtureSpec, "--n", "3"])
    #expect(without.status == 2 && without.stderr.contains("unknown model kind \"geometric-mixture\""))
  }

  // MARK: - Mixture

  @Test func mixtureSamplesFitsAndRecoversTheTruth() throws {
    let dir = try temporaryDirectory()
    let library = try Self.geometric(in: dir)
    let csv = dir.appendingPathComponent("d.csv").path
    let sample = try Self.emzoo(["--plugin", library, "sample", mixtureSpec, "--n", "20000", "--seed", "3", "--output", csv])
    #expect(sample.status == 0, "\(sample.stderr)")
    let rows = try readCSV(csv)
    #expect(rows.count == 20000 && rows.allSatisfy { $0.count == 2 && $0.allSatisfy { $0 >= 0 && $0 == $0.rounded() } })

    var results: [String] = []
    for threads in ["1", "2"] {
      let result = dir.appendingPathComponent("r\(threads).json").path
      let fit = try Self.emzoo(["--plugin", library, "fit", mixtureSpec, "--data", csv, "--output", result,
                                "--quiet", "--threads", threads])
      #expect(fit.status == 0, "\(fit.stderr)")
      results.append(try String(contentsOfFile: result, encoding: .utf8))
    }
    // Byte-identical for every thread count, apart from the timing.
    let withoutSeconds = results.map { $0.split(separator: "\n").filter { !$0.contains("\"seconds\"") } }
    #expect(withoutSeconds[0] == withoutSeconds[1])

    let json = try JSONValue.parse(results[0])
    #expect(json["converged"] == .bool(true))
    let weights = numbers(json["parameters"]?["weights"]), p = matrix(json["parameters"]?["probabilities"])
    // Label switching: component 0 of the truth has p = (0.6, 0.3).
    let first = p[0][0] > p[1][0] ? 0 : 1
    let truth: [(Double, [Double])] = [(0.4, [0.6, 0.3]), (0.6, [0.1, 0.5])]
    for (k, (w, pk)) in zip([first, 1 - first], truth) {
      // n = 20000: standard errors ≈ 0.01 on each; 0.04 is four of them.
      #expect(abs(weights[k] - w) < 0.04, "weight \(weights[k]) vs \(w)")
      for j in 0..<2 { #expect(abs(p[k][j] - pk[j]) < 0.04, "p[\(k)][\(j)] = \(p[k][j]) vs \(pk[j])") }
    }
    // The log-likelihood, by hand: Σᵢ log Σₖ wₖ Πⱼ (1 − pₖⱼ)^xᵢⱼ pₖⱼ.
    var logLikelihood = 0.0
    for row in rows {
      var density = 0.0
      for k in 0..<2 {
        var f = weights[k]
        for j in 0..<2 { f *= Foundation.pow(1 - p[k][j], row[j]) * p[k][j] }
        density += f
      }
      logLikelihood += Double.log(density)
    }
    guard case .number(let reported)? = json["logLikelihood"] else { Issue.record("no logLikelihood"); return }
    #expect(reported.isApproximatelyEqual(to: logLikelihood, relativeTolerance: 1e-9), "\(reported) vs \(logLikelihood)")
    // Parameter count: weights K − 1 + K·d probabilities.
    #expect(json["parameterCount"] == .number(5))

    // The result is a spec, and check recovers the truth.
    let result = dir.appendingPathComponent("r1.json").path
    let again = try Self.emzoo(["--plugin", library, "sample", result, "--n", "4"])
    #expect(again.status == 0 && again.stdout.split(separator: "\n").count == 5, "\(again.stderr)")
    let check = try Self.emzoo(["check", mixtureSpec, "--n", "5000"], environment: ["EMZOO_PLUGINS": library])
    #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    #expect(check.stdout.contains("PASS") && check.stdout.contains("probabilities"))
  }

  @Test func missingEntriesAreMarginalised() throws {
    let dir = try temporaryDirectory()
    let library = try Self.geometric(in: dir)
    let csv = dir.appendingPathComponent("m.csv").path
    try "tries,misses\n1,\n,3\n0,2\n4,0\n2,1\n7,\n".write(toFile: csv, atomically: true, encoding: .utf8)
    let result = dir.appendingPathComponent("m.json").path
    let fit = try Self.emzoo(["--plugin", library, "fit", mixtureSpec, "--data", csv, "--output", result, "--quiet",
                              "--restarts", "1", "--max-iterations", "50"])
    #expect(fit.status == 0, "\(fit.stderr)")
    let json = try JSONValue.parse(String(contentsOfFile: result, encoding: .utf8))
    let weights = numbers(json["parameters"]?["weights"]), p = matrix(json["parameters"]?["probabilities"])
    let rows = try readCSV(csv)
    var logLikelihood = 0.0
    for row in rows {
      let density = (0..<2).map { k in
        (0..<2).filter { !row[$0].isNaN }.reduce(weights[k]) { f, j in f * Foundation.pow(1 - p[k][j], row[j]) * p[k][j] }
      }.reduce(0, +)
      logLikelihood += Double.log(density)
    }
    guard case .number(let reported)? = json["logLikelihood"] else { Issue.record("no logLikelihood"); return }
    #expect(reported.isApproximatelyEqual(to: logLikelihood, relativeTolerance: 1e-9), "\(reported) vs \(logLikelihood)")
  }

  // MARK: - Imputation

  /// `impute` through the plugin's `conditional_mean`: a mixture's missing count is
  /// Σₖ p(k | the row's observed counts) (1 − pₖⱼ) / pₖⱼ, computed here from the geometric pmf;
  /// an HMM of the same family imputes every missing entry and leaves observed ones alone.
  @Test func imputationUsesTheConditionalMean() throws {
    let dir = try temporaryDirectory()
    let library = try Self.geometric(in: dir)
    let csv = dir.appendingPathComponent("holes.csv").path
    let text = "tries,misses\n1,\n,3\n0,2\n,\n6,\n"
    try text.write(toFile: csv, atomically: true, encoding: .utf8)
    let out = dir.appendingPathComponent("filled.csv").path
    let r = try Self.emzoo(["--plugin", library, "impute", mixtureSpec, "--data", csv, "--output", out])
    #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
    let filled = try readCSV(out), given = try readCSV(csv)
    let w: [Double] = [0.4, 0.6], p: [[Double]] = [[0.6, 0.3], [0.1, 0.5]]
    #expect(filled.count == given.count)
    for (row, x) in zip(filled, given) {
      var joint = w
      for k in 0..<2 {
        for j in 0..<2 where !x[j].isNaN { joint[k] *= Foundation.pow(1 - p[k][j], x[j]) * p[k][j] }
      }
      let total = joint[0] + joint[1]
      for j in 0..<2 {
        if x[j].isNaN {
          var expected = 0.0
          for k in 0..<2 { expected += joint[k] / total * (1 - p[k][j]) / p[k][j] }
          #expect(row[j].isApproximatelyEqual(to: expected, relativeTolerance: 1e-12), "\(x): \(row[j]) vs \(expected)")
        } else {
          #expect(row[j] == x[j])
        }
      }
    }
    let hmm = try Self.emzoo(["--plugin", library, "impute", hmmSpec, "--data", csv])
    #expect(hmm.status == 0, "\(hmm.stderr)")
    let hmmRows = hmm.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    #expect(hmmRows.count == 5 && hmmRows.allSatisfy { $0.count == 2 && $0.allSatisfy { Double($0) != nil } }, "\(hmm.stdout)")
    #expect(hmmRows.map { $0[0] } == ["1", hmmRows[1][0], "0", hmmRows[3][0], "6"])
  }

  /// A plugin built with the header before `conditional_mean` (its `struct_size` ends above
  /// the member) loads, fits and decodes, and `impute` refuses it with one line, even when the
  /// bytes after its structure would pass for a function; one whose `conditional_mean` returns
  /// NaN is stopped with one line naming the entry.
  @Test func pluginsWithoutAUsableConditionalMeanAreRefusedByImpute() throws {
    let dir = try temporaryDirectory()
    func compile(_ name: String, _ body: String) throws -> String {
      let path = dir.appendingPathComponent("\(name).c").path
      try """
        #include <math.h>
        #include <stddef.h>
        #define emzoo_plugin_family geometric_family
        #include "geometric.c"
        #undef emzoo_plugin_family
        \(body)
        static emzoo_family_v1 changed;
        const emzoo_family_v1 *emzoo_plugin_family(void);
        const emzoo_family_v1 *emzoo_plugin_family(void) {
          changed = *geometric_family();
          change(&changed);
          return &changed;
        }

        """.write(toFile: path, atomically: true, encoding: .utf8)
      return try Self.compile(path, to: "lib\(name).so", in: dir)
    }
    let older = try compile("older", """
      static int refuse(const double *p, int K, int d, const double *x, size_t rows, double *out,
                        char *error, size_t error_size) {
        (void)p; (void)K; (void)d; (void)x; (void)rows; (void)out;
        snprintf(error, error_size, "read past struct_size");
        return 1;
      }
      static void change(emzoo_family_v1 *f) {
        f->struct_size = offsetof(emzoo_family_v1, conditional_mean);
        f->conditional_mean = refuse;
      }
      """)
    let nan = try compile("nanmean", """
      static int nan_mean(const double *p, int K, int d, const double *x, size_t rows, double *out,
                          char *error, size_t error_size) {
        (void)p; (void)x; (void)error; (void)error_size;
        for (size_t e = 0; e < rows * (size_t)K * d; e++) out[e] = NAN;
        return 0;
      }
      static void change(emzoo_family_v1 *f) { f->conditional_mean = nan_mean; }
      """)
    // Shorter than version 1 itself (it ends before `reseed`): refused when loaded.
    let truncated = try compile("truncated", """
      static void change(emzoo_family_v1 *f) { f->struct_size = offsetof(emzoo_family_v1, reseed); }
      """)
    let short = try Self.emzoo(["--plugin", truncated, "list"])
    #expect(short.status == 2 && short.stderr.split(separator: "\n").count == 1, "\(short.stderr)")
    #expect(short.stderr.contains("libtruncated.so: struct_size is ") && short.stderr.contains(", expected at least "),
            "\(short.stderr)")
    let csv = dir.appendingPathComponent("d.csv").path
    let sample = try Self.emzoo(["--plugin", older, "sample", mixtureSpec, "--n", "300", "--seed", "2", "--output", csv])
    #expect(sample.status == 0, "\(sample.stderr)")
    let fit = try Self.emzoo(["--plugin", older, "fit", mixtureSpec, "--data", csv, "--quiet", "--restarts", "1"])
    #expect(fit.status == 0, "\(fit.stderr)")
    let decode = try Self.emzoo(["--plugin", older, "decode", hmmSpec, "--data", csv])
    #expect(decode.status == 0, "\(decode.stderr)")
    let holes = dir.appendingPathComponent("holes.csv").path
    try "tries,misses\n1,\n2,3\n".write(toFile: holes, atomically: true, encoding: .utf8)
    for (library, spec, fragment) in [
      (older, mixtureSpec, "geometric-mixture.json: model: \"geometric-mixture\" cannot impute missing values: plugin geometric gives no conditional_mean"),
      (older, hmmSpec, "geometric-hmm.json: model: \"hmm\" cannot impute missing values: plugin geometric gives no conditional_mean"),
      (nan, mixtureSpec, "emzoo: plugin geometric: conditional_mean: returned null for row 0, component 0, column 1"),
    ] {
      let r = try Self.emzoo(["--plugin", library, "impute", spec, "--data", holes])
      #expect(r.status == 2 && r.stdout.isEmpty, "\(r.stdout)\(r.stderr)")
      #expect(r.stderr.contains(fragment) && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
  }

  // MARK: - HMM

  @Test func hmmSamplesFitsDecodesAndRecoversTheTruth() throws {
    let dir = try temporaryDirectory()
    let library = try Self.geometric(in: dir)
    let csv = dir.appendingPathComponent("h.csv").path
    let sample = try Self.emzoo(["--plugin", library, "sample", hmmSpec, "--n", "20000", "--seed", "5", "--output", csv])
    #expect(sample.status == 0, "\(sample.stderr)")
    var results: [String] = []
    for threads in ["1", "2"] {
      let result = dir.appendingPathComponent("h\(threads).json").path
      let fit = try Self.emzoo(["--plugin", library, "fit", hmmSpec, "--data", csv, "--output", result, "--quiet",
                                "--threads", threads])
      #expect(fit.status == 0, "\(fit.stderr)")
      results.append(try String(contentsOfFile: result, encoding: .utf8))
    }
    let withoutSeconds = results.map { $0.split(separator: "\n").filter { !$0.contains("\"seconds\"") } }
    #expect(withoutSeconds[0] == withoutSeconds[1])

    let json = try JSONValue.parse(results[0])
    let initial = numbers(json["parameters"]?["initial"]), transition = matrix(json["parameters"]?["transition"])
    let p = matrix(json["parameters"]?["probabilities"])
    let first = p[0][0] > p[1][0] ? 0 : 1, second = 1 - first
    // 20000 rows in 100 sequences: standard errors ≈ 0.01 on p and transitions.
    #expect(abs(p[first][0] - 0.5) < 0.04 && abs(p[first][1] - 0.2) < 0.04, "\(p)")
    #expect(abs(p[second][0] - 0.1) < 0.04 && abs(p[second][1] - 0.6) < 0.04, "\(p)")
    #expect(abs(transition[first][first] - 0.9) < 0.04 && abs(transition[second][second] - 0.85) < 0.04, "\(transition)")

    // The log-likelihood, by hand: the scaled forward recursion over each sequence.
    let (header, rows) = try readCSVWithHeader(csv)
    guard let sequenceColumn = header.firstIndex(of: "sequence"),
          let tries = header.firstIndex(of: "tries"), let misses = header.firstIndex(of: "misses")
    else { Issue.record("columns \(header)"); return }
    func emission(_ k: Int, _ row: [Double]) -> Double {
      Foundation.pow(1 - p[k][0], row[tries]) * p[k][0] * Foundation.pow(1 - p[k][1], row[misses]) * p[k][1]
    }
    var logLikelihood = 0.0, alpha = [0.0, 0.0]
    for (i, row) in rows.enumerated() {
      if i == 0 || row[sequenceColumn] != rows[i - 1][sequenceColumn] {
        alpha = (0..<2).map { initial[$0] * emission($0, row) }
      } else {
        alpha = (0..<2).map { k in (0..<2).reduce(0) { $0 + alpha[$1] * transition[$1][k] } * emission(k, row) }
      }
      let scale = alpha.reduce(0, +)
      logLikelihood += Double.log(scale)
      alpha = alpha.map { $0 / scale }
    }
    guard case .number(let reported)? = json["logLikelihood"] else { Issue.record("no logLikelihood"); return }
    #expect(reported.isApproximatelyEqual(to: logLikelihood, relativeTolerance: 1e-9), "\(reported) vs \(logLikelihood)")

    // decode works on the fitted result; check recovers the truth.
    let decode = try Self.emzoo(["--plugin", library, "decode", dir.appendingPathComponent("h1.json").path, "--data", csv])
    #expect(decode.status == 0, "\(decode.stderr)")
    #expect(decode.stdout.split(separator: "\n").count == 20001)
    let check = try Self.emzoo(["--plugin", library, "check", hmmSpec, "--n", "20000"])
    #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
  }

  // MARK: - Blocks of fixed length, a fixed dimension

  /// `Tests/Fixtures/plugins/normal1d.c` (blocks `mean` and `variance` of length 1, d = 1)
  /// fitted beside the built-in `gaussian-mixture` on the same data: two implementations,
  /// one optimum.
  @Test func twoBlockPluginAgreesWithTheBuiltInGaussianMixture() throws {
    let dir = try temporaryDirectory()
    let library = try Self.compile(
      repositoryRoot.appendingPathComponent("Tests/Fixtures/plugins/normal1d.c").path, to: "libnormal1d.so", in: dir)
    let spec = dir.appendingPathComponent("normal.json").path
    try """
      { "name": "normal", "model": "normal1d-mixture", "options": { "components": 3 },
        "parameters": { "weights": [0.3, 0.5, 0.2], "mean": [[-4], [0], [5]], "variance": [[1], [0.5], [2]] },
        "columns": ["x"], "fit": { "maxIterations": 1000, "tolerance": 1e-10, "restarts": 3, "seed": 1 },
        "check": { "n": 20000, "seed": 7, "tolerance": 0.1 } }
      """.write(toFile: spec, atomically: true, encoding: .utf8)
    let csv = dir.appendingPathComponent("n.csv").path
    let sample = try Self.emzoo(["--plugin", library, "sample", spec, "--n", "5000", "--seed", "4", "--output", csv])
    #expect(sample.status == 0, "\(sample.stderr)")
    let pluginResult = dir.appendingPathComponent("p.json").path, builtInResult = dir.appendingPathComponent("g.json").path
    let fit = try Self.emzoo(["--plugin", library, "fit", spec, "--data", csv, "--output", pluginResult, "--quiet",
                              "--accelerate", "none"])
    #expect(fit.status == 0, "\(fit.stderr)")
    let builtIn = try Self.emzoo(["fit", repositoryRoot.appendingPathComponent("models/gaussian-1d.json").path,
                                  "--data", csv, "--output", builtInResult, "--quiet",
                                  // Both by plain EM, so both stop at the same iterate.
                                  "--accelerate", "none"])
    #expect(builtIn.status == 0, "\(builtIn.stderr)")
    let a = try JSONValue.parse(String(contentsOfFile: pluginResult, encoding: .utf8))
    let b = try JSONValue.parse(String(contentsOfFile: builtInResult, encoding: .utf8))
    guard case .number(let la)? = a["logLikelihood"], case .number(let lb)? = b["logLikelihood"] else {
      Issue.record("no logLikelihood"); return
    }
    #expect(la.isApproximatelyEqual(to: lb, relativeTolerance: 1e-9), "\(la) vs \(lb)")
    #expect(a["parameterCount"] == b["parameterCount"])
    // Components sorted by mean; the built-in fit keeps its variances above the floor (1e-6).
    let pa = zip(numbers(a["parameters"]?["weights"]), zip(matrix(a["parameters"]?["mean"]).map(\.[0]),
                                                         matrix(a["parameters"]?["variance"]).map(\.[0])))
      .map { [$0, $1.0, $1.1] }.sorted { $0[1] < $1[1] }
    guard case .array(let covariances)? = b["parameters"]?["covariances"] else { Issue.record("no covariances"); return }
    let pb = zip(numbers(b["parameters"]?["weights"]), zip(matrix(b["parameters"]?["means"]).map(\.[0]),
                                                         covariances.map { matrix($0)[0][0] }))
      .map { [$0, $1.0, $1.1] }.sorted { $0[1] < $1[1] }
    #expect(pa.count == 3 && pb.count == 3)
    for (x, y) in zip(pa.joined(), pb.joined()) { #expect(abs(x - y) < 1e-5, "\(pa) vs \(pb)") }

    let check = try Self.emzoo(["--plugin", library, "check", spec, "--n", "5000"])
    #expect(check.status == 0 && check.stdout.contains("variance"), "\(check.stdout)\(check.stderr)")
    // d is fixed at 1: two columns are refused.
    let wide = dir.appendingPathComponent("wide.csv").path, bare = dir.appendingPathComponent("bare.json").path
    try "x,y\n1,2\n3,4\n".write(toFile: wide, atomically: true, encoding: .utf8)
    try #"{ "model": "normal1d-mixture", "options": { "components": 1 } }"#.write(toFile: bare, atomically: true, encoding: .utf8)
    let refused = try Self.emzoo(["--plugin", library, "fit", bare, "--data", wide, "--quiet"])
    #expect(refused.status == 2 && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
    #expect(refused.stderr.contains("bare.json: plugin family \"normal1d\" models 1 data columns, found 2"), "\(refused.stderr)")
  }

  // MARK: - Bad plugins and bad input

  @Test func badPluginsExitTwoWithOneLine() throws {
    let dir = try temporaryDirectory()
    let library = try Self.geometric(in: dir)
    func source(_ name: String, _ text: String) throws -> String {
      let path = dir.appendingPathComponent(name).path
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      return path
    }
    let noSymbol = try Self.compile(try source("nosymbol.c", "int emzoo_not_the_entry_point = 1;\n"),
                                    to: "libnosymbol.so", in: dir)
    let version2 = try Self.compile(try source("version2.c", """
      #include "emzoo_plugin.h"
      static const emzoo_family_v1 family = {.abi_version = 2, .name = "future"};
      const emzoo_family_v1 *emzoo_plugin_family(void) { return &family; }

      """), to: "libversion2.so", in: dir)
    let noFunction = try Self.compile(try source("nofunction.c", """
      #define emzoo_plugin_family geometric_family
      #include "geometric.c"
      #undef emzoo_plugin_family
      static emzoo_family_v1 broken;
      const emzoo_family_v1 *emzoo_plugin_family(void);
      const emzoo_family_v1 *emzoo_plugin_family(void) {
        broken = *geometric_family();
        broken.maximize = NULL;
        return &broken;
      }

      """), to: "libnofunction.so", in: dir)
    // A family whose log-density fails: emzoo reports the plugin's message.
    let failing = try Self.compile(try source("failing.c", """
      #define emzoo_plugin_family geometric_family
      #include "geometric.c"
      #undef emzoo_plugin_family
      static int failing_log_density(const double *p, int K, int d, const double *x, size_t rows,
                                     double *out, char *error, size_t error_size) {
        (void)p; (void)K; (void)d; (void)x; (void)rows; (void)out;
        snprintf(error, error_size, "density exploded\\non a second line");
        return 7;
      }
      static emzoo_family_v1 failing;
      const emzoo_family_v1 *emzoo_plugin_family(void);
      const emzoo_family_v1 *emzoo_plugin_family(void) {
        failing = *geometric_family();
        failing.name = "failing";
        failing.log_density = failing_log_density;
        return &failing;
      }

      """), to: "libfailing.so", in: dir)

    let csv = dir.appendingPathComponent("d.csv").path
    #expect(try Self.emzoo(["--plugin", library, "sample", mixtureSpec, "--n", "500", "--seed", "1", "--output", csv]).status == 0)
    let failingSpec = try source("failing.json", try String(contentsOfFile: mixtureSpec, encoding: .utf8)
      .replacingOccurrences(of: "\"model\": \"geometric-mixture\"", with: "\"model\": \"failing-mixture\""))
    let zeroSpec = try source("zero.json", try String(contentsOfFile: mixtureSpec, encoding: .utf8)
      .replacingOccurrences(of: "[0.6, 0.3]", with: "[0, 0.3]"))
    let outsideSpec = try source("outside.json", try String(contentsOfFile: mixtureSpec, encoding: .utf8)
      .replacingOccurrences(of: "[0.6, 0.3]", with: "[0.6, 1.3]"))
    let fractions = try source("fractions.csv", "tries,misses\n1,2\n0,1.5\n")

    let cases: [([String], [String: String], String)] = [
      (["--plugin", dir.appendingPathComponent("nope.so").path, "list"], [:], "nope.so: no such file"),
      (["list"], ["EMZOO_PLUGINS": dir.appendingPathComponent("nope.so").path], "nope.so: no such file"),
      (["--plugin", csv, "list"], [:], "d.csv: cannot load"),
      (["list", "--plugin"], [:], "--plugin: expected the path of a plugin library"),
      (["--plugin", noSymbol, "list"], [:], "not an emzoo plugin: it exports no function emzoo_plugin_family"),
      (["--plugin", version2, "list"], [:], "libversion2.so: plugin ABI version 2, emzoo supports 1"),
      (["--plugin", noFunction, "list"], [:], "required function maximize is NULL"),
      (["--plugin", failing, "fit", failingSpec, "--data", csv, "--quiet"], [:],
       "emzoo: plugin failing: log_density: density exploded on a second line"),
      (["--plugin", library, "sample", zeroSpec, "--n", "3"], [:],
       "zero.json: parameters: plugin geometric: check_parameters: probabilities[0][0] is 0, expected a probability in (0, 1]"),
      (["--plugin", library, "sample", outsideSpec, "--n", "3"], [:],
       "outside.json: parameters.probabilities: expected probabilities in [0, 1]; entry [0][1] is 1.3"),
      (["--plugin", library, "fit", mixtureSpec, "--data", fractions], [:],
       "fractions.csv: line 3, column 'misses': expected a non-negative integer count, found 1.5"),
    ]
    for (arguments, environment, fragment) in cases {
      let r = try Self.emzoo(arguments, environment: environment)
      #expect(r.status == 2, "\(arguments): status \(r.status), stderr \(r.stderr)")
      #expect(r.stderr.hasPrefix("emzoo: ") && r.stderr.contains(fragment), "\(arguments): \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(arguments): \(r.stderr)")
      #expect(r.stdout.isEmpty, "\(arguments): \(r.stdout)")
    }
    // Two libraries with the same family name: the second is refused.
    let copy = dir.appendingPathComponent("libcopy.so").path
    try FileManager.default.copyItem(atPath: library, toPath: copy)
    let clash = try Self.emzoo(["--plugin", library, "--plugin", copy, "list"])
    #expect(clash.status == 2 && clash.stderr.contains("family \"geometric\" is already registered"), "\(clash.stderr)")
  }
}

// MARK: - Reading results and CSV

private func numbers(_ value: JSONValue?) -> [Double] {
  guard case .array(let items)? = value else { return [] }
  return items.compactMap { if case .number(let x) = $0 { x } else { nil } }
}

private func matrix(_ value: JSONValue?) -> [[Double]] {
  guard case .array(let items)? = value else { return [] }
  return items.map { numbers($0) }
}

private func readCSVWithHeader(_ path: String) throws -> (header: [String], rows: [[Double]]) {
  let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
  guard let header = lines.first else { return ([], []) }
  let rows = lines.dropFirst().map { line in
    line.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) ?? .nan }
  }
  return (header.split(separator: ",").map(String.init), rows)
}

private func readCSV(_ path: String) throws -> [[Double]] { try readCSVWithHeader(path).rows }

/// Coordinates for C families (logit of probability blocks): SQUAREM and standard errors.
struct CPluginStandardErrorTests {
  /// One component of d = 1 geometric counts: the MLE is p̂ = n / (n + Σx), and the observed
  /// information is I(p̂) = n / (p̂²(1 − p̂)), so SE(p̂) = √(p̂²(1 − p̂) / n).
  @Test func oneGeometricComponentHasTheTextbookStandardError() throws {
    let dir = try temporaryDirectory()
    let library = try CPluginTests.geometric(in: dir)
    let spec = dir.appendingPathComponent("g.json").path
    try """
      {"model": "geometric-mixture", "options": {"components": 1},
       "parameters": {"weights": [1], "probabilities": [[0.3]]},
       "fit": {"standardErrors": true, "tolerance": 1e-12}}
      """.write(toFile: spec, atomically: true, encoding: .utf8)
    let csv = dir.appendingPathComponent("d.csv").path
    let sample = try CPluginTests.emzoo(["--plugin", library, "sample", spec, "--n", "4000", "--seed", "5", "--output", csv])
    #expect(sample.status == 0, "\(sample.stderr)")
    let fit = try CPluginTests.emzoo(["--plugin", library, "fit", spec, "--data", csv, "--quiet"])
    #expect(fit.status == 0, "\(fit.stderr)")
    let result = try JSONValue.parse(fit.stdout)
    let xs = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").dropFirst().compactMap { Double($0) }
    let n = Double(xs.count), p = n / (n + xs.reduce(0, +))
    guard case .array(let rows)? = result["standardErrors"]?["probabilities"], case .array(let row) = rows[0],
          case .number(let se) = row[0], case .array(let fitted)? = result["parameters"]?["probabilities"],
          case .array(let fittedRow) = fitted[0], case .number(let pHat) = fittedRow[0]
    else { Issue.record("no standard error in \(fit.stdout.prefix(400))"); return }
    #expect(pHat.isApproximatelyEqual(to: p, relativeTolerance: 1e-8))
    #expect(se.isApproximatelyEqual(to: (p * p * (1 - p) / n).squareRoot(), relativeTolerance: 1e-4))
  }
}
