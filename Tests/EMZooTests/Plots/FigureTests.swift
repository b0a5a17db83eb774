import Testing
@testable import EMZooCommandLine

@Suite struct FigureTests {
  @Test func hostileTextIsEscapedAndControlCharactersDropped() throws {
    let title = "a < b & \"c\" \u{1}\u{7}\n'd' > e"
    let figure = TracePlot.make(traces: [[1, 2]], best: 0, title: title)
    let document = try #require(checkFigure(figure))
    #expect(document.all("title").first?.text == "a < b & \"c\"  'd' > e")
  }

  @Test func layersOfEveryKindRender() throws {
    let panel = Axes(
      title: "all layers", x: Axis(label: "x"), y: Axis(label: "y"),
      layers: [
        .line(LineSeries(x: [0, 1, .nan, 3], y: [0, 1, 2, 3], color: .black, markers: true)),
        .scatter(ScatterSeries(x: [1, 2], y: [2, 1], colors: [0, 9], opacities: [0.33, 1])),
        .ellipse(Ellipse(center: [1, 1], covariance: identity(2), color: .black)),
        .histogram(Histogram(edges: [0, 1, 2], heights: [1, .nan])),
        .bars(Bars(series: [[1, 2], [2, .nan]], colors: [], classes: [])),
        .stackedArea(StackedArea(x: [0, 1, 2], series: [[0.5, 0.5, 0.5], [0.5, .nan]], colors: [])),
        .intervals(
          IntervalSeries(positions: [1], estimates: [2], lower: [1], upper: [3], color: .black)),
        .reference(ReferenceLine(value: 1, vertical: true)),
        .reference(ReferenceLine(value: .nan)),
      ])
    let figure = Figure(
      title: "kinds", panels: [panel, Axes()], columns: 2,
      legend: Legend(title: "key", entries: [
        LegendEntry(label: "l", color: .black, symbol: .line(width: 1, dash: "2 2")),
        LegendEntry(label: "p", color: .black, symbol: .point(radius: 3, hollow: true)),
        LegendEntry(label: "b", color: .black, symbol: .box, opacity: 0.5),
      ]))
    let document = try #require(checkFigure(figure))
    #expect(document.count("path", class: "ellipse") == 1)
    #expect(document.count("path", class: "area") == 2)
    #expect(document.count("g", class: "legend-entry") == 3)
    #expect(document.all("circle", within: "points").count == 2)
  }

  @Test func degenerateSizes() throws {
    for (width, height) in [(0.0, 0.0), (.nan, .infinity), (50_000, 10)] {
      let figure = Figure(title: "size", width: width, height: height, panels: [Axes()])
      _ = try #require(checkFigure(figure))
    }
  }
}
