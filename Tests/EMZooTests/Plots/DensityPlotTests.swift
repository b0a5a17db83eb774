import Testing
@testable import EMZooCommandLine

@Suite struct DensityPlotTests {
  @Test func histogramComponentsAndTotal() throws {
    var normals = Normals(seed: 3)
    let values = (0..<500).map { $0 % 2 == 0 ? normals.next(-2, 1) : normals.next(3, 0.5) } + [.nan]
    let figure = DensityPlot.gaussian(
      values: values, weights: [0.5, 0.5], means: [-2, 3], variances: [1, 0.25],
      columnName: "x<1>", title: "Gaussian mixture, K = 2, n = 500")
    let document = try #require(checkFigure(figure))
    #expect(document.count("path", class: "component") == 2)
    #expect(document.count("path", class: "total") == 1)
    #expect(document.count("g", class: "histogram") == 1)
    #expect(document.all("rect", within: "histogram").count >= 5)
    #expect(document.all("text", class: "axis-label").map(\.text) == ["x<1>", "density"])
    #expect(document.count("g", class: "legend-entry") == 4)
  }

  @Test func histogramAreaIsOne() {
    let histogram = Histogram.density(of: (0..<1000).map { Double($0 % 37) })
    let area = zip(histogram.heights, zip(histogram.edges, histogram.edges.dropFirst()))
      .reduce(0) { $0 + $1.0 * ($1.1.1 - $1.1.0) }
    #expect(abs(area - 1) < 1e-12)
  }

  @Test func edgeCases() throws {
    for values in [[], [2.0], [5.0, 5, 5], [Double.nan]] {
      let figure = DensityPlot.gaussian(
        values: values, weights: [1], means: [5], variances: [0], columnName: "c", title: "edge")
      _ = try #require(checkFigure(figure))
    }
  }
}
