import Foundation
import Numerics
import Testing

@testable import EMZoo

/// `ModelSelection` (emzoo select): candidates, ranking, and the best equal to a direct fit.
@Suite struct SelectTests {
  static let truth = """
    {"name": "blobs", "model": "gaussian-mixture", "options": {"components": 3, "covariance": "full"},
     "parameters": {"weights": [0.3, 0.3, 0.4], "means": [[0, 0], [6, 0], [0, 6]],
                    "covariances": [[[1, 0], [0, 1]], [[1, 0.3], [0.3, 1]], [[2, 0], [0, 0.5]]]},
     "fit": {"restarts": 3, "init": "spec"}}
    """

  @Test func tableIsSortedAndTheBestEqualsADirectFit() throws {
    let s = try spec(Self.truth)
    let data = try model(s).sampleData(spec: s, count: 600, seed: 4)
    let selection = try ModelSelection(spec: s, labels: 1...4, covariances: ["full", "spherical"])
    #expect(selection.labelKey == "components")
    #expect(selection.candidates.count == 8)
    // The candidates have no parameters and start from k-means++.
    #expect(selection.candidates.allSatisfy { !$0.spec.parameters.isPresent && $0.spec.fit.initialization == .kmeansPlusPlus })
    var settings = s.fit
    settings.threads = 1
    settings.initialization = .kmeansPlusPlus
    let rows = try selection.run(data: data, registry: .standard, settings: settings)
    let ranked = ModelSelection.ranked(rows, by: .bic)
    let values = ranked.map { $0.value(.bic) }
    #expect(values == values.sorted())
    let best = try #require(ranked.first)
    #expect(best.labels == 3 && best.covariance == "full")
    // A direct fit of that K and covariance gives the same result.
    let direct = try spec("""
      {"name": "blobs", "model": "gaussian-mixture", "options": {"components": 3, "covariance": "full"},
       "fit": {"restarts": 3}}
      """)
    let report = try model(direct, dimension: 2).fitReport(spec: direct, data: data, options: FitOptions(settings))
    #expect(best.logLikelihood == report.logLikelihood)
    #expect(best.report?.result["parameters"] == report.result["parameters"])
    // BIC and ICL as the fit reports them; ICL ≥ BIC.
    #expect(best.bic == number(report.result["bic"]))
    #expect(ranked.allSatisfy { ($0.icl ?? .infinity) >= ($0.bic ?? -.infinity) - 1e-9 })
    // ICL ranking is sorted by ICL.
    let byICL = ModelSelection.ranked(rows, by: .icl).map { $0.value(.icl) }
    #expect(byICL == byICL.sorted())
    // The table JSON: every row, the best marked once.
    let table = ModelSelection.table(ranked, criterion: .bic, labelKey: selection.labelKey)
    guard case .array(let items)? = table["rows"] else { Issue.record("no rows"); return }
    #expect(items.count == 8)
    #expect(items.filter { $0["best"] == .bool(true) }.count == 1)
    #expect(items.first?["components"] == .number(3))
  }

  @Test func hmmVariesStates() throws {
    let s = try spec("""
      {"model": "hmm", "options": {"states": 2, "emission": "poisson"},
       "parameters": {"initial": [0.5, 0.5], "transition": [[0.9, 0.1], [0.1, 0.9]], "rates": [[2], [9]]}}
      """)
    let selection = try ModelSelection(spec: s, labels: 1...3, covariances: nil)
    #expect(selection.labelKey == "states")
    #expect(selection.candidates.map(\.labels) == [1, 2, 3])
    let data = try model(s).sampleData(spec: s, count: 400, seed: 2)
    var settings = FitSettings()
    settings.threads = 1
    let ranked = ModelSelection.ranked(try selection.run(data: data, registry: .standard, settings: settings), by: .bic)
    #expect(ranked.first?.labels == 2)
    #expect(ranked.allSatisfy { $0.covariance == nil && $0.icl != nil })
  }

  @Test func aSpecWithoutComponentsIsRefused() throws {
    let s = try spec(#"{"model": "missing-data-regression", "options": {"response": "y"}}"#)
    #expect(throws: InputError.self) { try ModelSelection(spec: s, labels: 1...2, covariances: nil) }
  }

  @Test func degenerateFitsRankLast() throws {
    // One component on the tied rows (a variance at the floor): a spurious maximum.
    var values: [Double] = []
    for i in 0..<40 { values += [Double(i % 7) * 0.37, Double(i % 5) * 0.91 + 0.1 * Double(i % 3)] }
    for _ in 0..<6 { values += [2, 3] }
    let data = DataSet(source: "test", columns: ["a", "b"], values: values)
    let s = try spec(#"{"model": "gaussian-mixture", "options": {"components": 1}, "fit": {"restarts": 4}}"#)
    var settings = s.fit
    settings.threads = 1
    let rows = try ModelSelection(spec: s, labels: 1...3, covariances: ["diagonal"])
      .run(data: data, registry: .standard, settings: settings)
    let ranked = ModelSelection.ranked(rows, by: .bic)
    if let first = ranked.firstIndex(where: \.degenerate) {
      #expect(ranked[first...].allSatisfy { $0.degenerate || $0.report == nil })
    }
  }

  func number(_ value: JSONValue?) -> Double? {
    if case .number(let x)? = value { return x }
    return nil
  }
}
