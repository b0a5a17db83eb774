import Testing
@testable import EMZooCommandLine

@Suite struct TracePlotTests {
  @Test func oneTracePerRestartAndTheBestHighlighted() throws {
    let traces = [[-900.0, -800, -750], [-950.0, -700, -650, -640], [-990.0, -720]]
    let figure = TracePlot.make(traces: traces, best: 1, title: "Gaussian mixture, n = 100")
    let document = try #require(checkFigure(figure))
    #expect(document.count("path", class: "trace") == 3)
    let best = document.all("path", class: "trace best")
    #expect(best.count == 1)
    #expect(Double(best.first?.attributes["stroke-width"] ?? "") ?? 0 > 2)
    let labels = document.all("text", class: "axis-label").map(\.text)
    #expect(labels == ["iteration", "log-likelihood"])
    #expect(document.count("g", class: "legend") == 1)
    #expect(document.all("text", class: "title").first?.text == "Gaussian mixture, n = 100")
  }

  @Test func nonFiniteObjectivesAreSkipped() throws {
    let traces = [[-Double.infinity, -800, .nan, -700], [], [.nan]]
    let document = try #require(checkFigure(TracePlot.make(traces: traces, best: 0, title: "t")))
    let path = document.all("path", class: "trace best").first?.attributes["d"] ?? ""
    #expect(!path.contains("nan") && !path.contains("inf"))
    #expect(path.filter { $0 == "M" }.count == 2)
  }

  @Test func emptyAndSinglePointTraces() throws {
    _ = try #require(checkFigure(TracePlot.make(traces: [], best: 0, title: "")))
    let document = try #require(checkFigure(TracePlot.make(traces: [[-5]], best: 0, title: "one")))
    #expect(document.count("path", class: "trace best") == 1)
  }
}
