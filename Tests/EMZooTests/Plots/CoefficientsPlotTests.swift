import Testing
@testable import EMZooCommandLine

@Suite struct CoefficientsPlotTests {
  @Test func emBesideCompleteCaseWithAZeroLine() throws {
    let terms = ["(intercept)", "age", "income & <tax>"]
    let figure = CoefficientsPlot.make(
      terms: terms, estimates: [1, 0.5, -0.2], lower: [0.8, 0.1, -0.5], upper: [1.2, 0.9, 0.1],
      completeCaseEstimates: [1.1, 0.4, .nan], completeCaseLower: [0.7, 0, .nan],
      completeCaseUpper: [1.5, 0.8, .nan], title: "regression, n = 50")
    let document = try #require(checkFigure(figure))
    #expect(document.count("g", class: "interval em") == 1)
    #expect(document.count("g", class: "interval complete-case") == 1)
    #expect(document.all("circle", within: "interval em").count == 3)
    #expect(document.all("circle", within: "complete-case").count == 2)
    let zero = document.all("line", class: "reference zero")
    #expect(zero.count == 1 && zero.first?.attributes["stroke-dasharray"] != nil)
    let ticks = document.elements.filter { $0.classes.contains("tick-label") }.map(\.text)
    #expect(terms.allSatisfy(ticks.contains))
  }

  @Test func withoutCompleteCasesOrTerms() throws {
    let figure = CoefficientsPlot.make(
      terms: ["x"], estimates: [2], lower: [1], upper: [3], title: "one term")
    #expect(try #require(checkFigure(figure)).count("g", class: "complete-case") == 0)
    _ = try #require(checkFigure(CoefficientsPlot.make(
      terms: [], estimates: [], lower: [], upper: [], title: "")))
  }
}
