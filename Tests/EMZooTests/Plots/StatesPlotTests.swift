import Testing
@testable import EMZooCommandLine

@Suite struct StatesPlotTests {
  let states = (0..<300).map { ($0 / 50) % 3 }

  var posteriors: [[Double]] {
    states.map { s in (0..<3).map { $0 == s ? 0.8 : 0.1 } }
  }

  @Test func stripsPerColumnAboveStackedProbabilities() throws {
    var normals = Normals(seed: 5)
    var series = states.map { s in [normals.next(Double(s), 0.3), normals.next(-Double(s), 0.3)] }
    series[10][0] = .nan
    let figure = StatesPlot.make(
      series: series, states: states, posteriors: posteriors, columnNames: ["x", "y"],
      title: "Gaussian HMM, K = 3, n = 300")
    let document = try #require(checkFigure(figure))
    #expect(document.count("g", class: "panel") == 3)
    #expect(document.count("g", class: "state") == 6)
    #expect(document.all("circle", within: "state").count == 599)
    #expect(document.count("path", class: "state-probability") == 3)
    #expect(document.count("path", class: "series") == 2)
    let labels = document.all("text", class: "axis-label").map(\.text)
    #expect(labels == ["x", "y", "row (time)", "P(state)"])
  }

  @Test func categoricalSeriesAndLongSeries() throws {
    let symbols = states.map { [Double($0 % 2)] }
    let figure = StatesPlot.make(
      series: symbols, states: states, posteriors: posteriors, columnNames: ["symbol"],
      title: "Categorical HMM", discrete: true)
    let document = try #require(checkFigure(figure))
    #expect(document.count("path", class: "series") == 0)
    let long = (0..<100_000).map { $0 / 1000 % 2 }
    let big = StatesPlot.make(
      series: long.map { [Double($0)] }, states: long,
      posteriors: long.map { [Double(1 - $0), Double($0)] },
      columnNames: ["count"], title: "Poisson HMM", discrete: true)
    let svg = big.svg()
    #expect(svg.utf8.count < 2_000_000)
    let parsed = try #require(SVGDocument.parse(svg))
    #expect(parsed.all("circle", within: "state").count == 20_000)
  }

  @Test func emptyAndSingleRow() throws {
    _ = try #require(checkFigure(StatesPlot.make(
      series: [], states: [], posteriors: [], columnNames: [], title: "")))
    _ = try #require(checkFigure(StatesPlot.make(
      series: [[1]], states: [0], posteriors: [[1]], columnNames: ["x"], title: "one")))
  }
}
