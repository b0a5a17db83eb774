import Foundation
import Testing

@testable import EMZoo
@testable import EMZooSpec

/// `SpecDraft` (emzoo init): a spec that fits as written, identifiers left out, paths relative.
@Suite struct InitTests {
  @Test func draftedSpecFits() throws {
    let dir = try temporaryDirectory()
    let csv = dir.appendingPathComponent("data.csv")
    var text = "id,label,x,y\n"
    for i in 0..<60 { text += "\(i + 1),\(i % 2 == 0 ? "a" : "b"),\(Double(i % 2) * 5 + Double(i % 7) * 0.1),\(Double(i % 3) * 0.2)\n" }
    try text.write(to: csv, atomically: true, encoding: .utf8)
    let specPath = dir.appendingPathComponent("specs/model.json").path
    try FileManager.default.createDirectory(atPath: dir.appendingPathComponent("specs").path, withIntermediateDirectories: true)
    let draft = try SpecDraft(dataPath: csv.path, kind: "gaussian-mixture", options: [], specPath: specPath,
                              registry: .standard)
    #expect(draft.spec["columns"] == .array([.string("x"), .string("y")]))
    #expect(draft.spec["data"] == .string("../data.csv"))
    #expect(draft.spec["options"]?["components"] == .number(2))
    #expect(draft.notes.count == 2)
    try draft.spec.formatted().write(toFile: specPath, atomically: true, encoding: .utf8)
    let s = try ModelSpec.load(path: specPath)
    let table = try CSVReader.read(path: try #require(s.dataPath), columns: s.columns)
    let report = try model(s, dimension: table.dimension).fitReport(spec: s, data: table, options: options())
    #expect(report.logLikelihood.isFinite)
  }

  @Test func hmmAndRegressionGetTheirOptions() throws {
    let dir = try temporaryDirectory()
    let csv = dir.appendingPathComponent("d.csv")
    var text = "u,v\n"
    for i in 0..<50 { text += "\(Double((i * 7) % 11) * 0.3),\(Double((i * 5) % 13) * 0.2 + Double(i % 2))\n" }
    try text.write(to: csv, atomically: true, encoding: .utf8)
    let hmm = try SpecDraft(dataPath: csv.path, kind: "hmm", options: [("states", .number(3))], specPath: nil,
                            registry: .standard)
    #expect(hmm.spec["options"] == .object([("states", .number(3)), ("emission", .string("gaussian"))]))
    let regression = try SpecDraft(dataPath: csv.path, kind: "missing-data-regression",
                                   options: [("response", .string("v"))], specPath: nil, registry: .standard)
    #expect(regression.spec["options"] == .object([("response", .string("v"))]))
  }

  @Test func relativePaths() {
    #expect(SpecDraft.relativePath(of: "/a/b/data.csv", from: "/a/c/spec.json") == "../b/data.csv")
    #expect(SpecDraft.relativePath(of: "/a/b/data.csv", from: "/a/b/spec.json") == "data.csv")
    #expect(SpecDraft.relativePath(of: "/a/data.csv", from: "/a/b/c/spec.json") == "../../data.csv")
  }
}
