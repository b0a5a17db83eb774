import Testing
@testable import EMZooCommandLine

@Suite struct CriterionPlotTests {
  @Test func aLinePerCovarianceTypeAndTheBestMarked() throws {
    let values: [[Double]] = [[300, 250, 260], [310, .nan, 240], [305, 245, .infinity]]
    let figure = CriterionPlot.make(
      ks: [1, 2, 3], values: values, covarianceTypes: ["EII", "VVV", "EEE"], title: "BIC")
    let document = try #require(checkFigure(figure))
    #expect(document.count("path", class: "criterion") == 3)
    let best = document.all("circle", within: "best")
    #expect(best.count == 1)
    let entries = document.all("text", class: "legend-label").map(\.text)
    #expect(entries.last == "best: VVV, K = 3")
    let higher = CriterionPlot.make(
      ks: [1, 2, 3], values: values, covarianceTypes: ["EII", "VVV", "EEE"],
      criterion: "ICL", lowerIsBetter: false, title: "ICL")
    let labels = try #require(checkFigure(higher)).all("text", class: "legend-label").map(\.text)
    #expect(labels.last == "best: VVV, K = 1")
  }

  @Test func fourteenTypesAndNoValues() throws {
    let types = (0..<14).map { "T\($0)" }
    let values = types.indices.map { t in (1...9).map { Double(1000 - 10 * $0 + t) } }
    let document = try #require(checkFigure(CriterionPlot.make(
      ks: Array(1...9), values: values, covarianceTypes: types, title: "14 types")))
    #expect(document.count("path", class: "criterion") == 14)
    let dashed = document.all("path", class: "criterion").filter {
      $0.attributes["stroke-dasharray"] != nil
    }
    #expect(dashed.count == 6)
    _ = try #require(checkFigure(CriterionPlot.make(
      ks: [], values: [], covarianceTypes: [], title: "")))
  }
}
