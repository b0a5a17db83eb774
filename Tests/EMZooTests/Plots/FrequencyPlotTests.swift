import Testing
@testable import EMZooCommandLine

@Suite struct FrequencyPlotTests {
  @Test func countsObservedAgainstFittedPerColumn() throws {
    let data: [[Double]] = (0..<200).map { i in
      let last: Double = i == 7 ? .nan : 0
      return [Double(i % 5), Double(i % 3), last]
    }
    let figure = FrequencyPlot.counts(
      data: data, weights: [0.6, 0.4], rates: [[1, 1, 0.1], [3, 2, 0.2]],
      columnNames: ["a", "b", "c"], title: "Poisson mixture")
    let document = try #require(checkFigure(figure))
    #expect(document.count("g", class: "bars observed") == 3)
    #expect(document.count("g", class: "bars fitted") == 3)
    #expect(abs(FrequencyPlot.poisson(2, rate: 3) - 0.22404180765538775) < 1e-12)  // 9 e⁻³ / 2
    let fitted = document.all("rect", within: "bars fitted")
    #expect(fitted.count == 5 + 3 + 1)
  }

  @Test func longTailsAreGroupedInTheLastCategory() throws {
    let data = (0..<100).map { [Double($0)] }
    let figure = FrequencyPlot.counts(
      data: data, weights: [1], rates: [[50]], columnNames: ["n"], title: "tail", maxValue: 10)
    let document = try #require(checkFigure(figure))
    #expect(document.all("rect", within: "bars observed").count == 11)
    #expect(document.all("text", class: "tick-label").contains { $0.text == "≥10" })
  }

  @Test func bitsShareOfOnesPerColumn() throws {
    let data = (0..<100).map { i in (0..<6).map { Double((i + $0) % 2) } }
    let figure = FrequencyPlot.bits(
      data: data, weights: [0.5, 0.5],
      probabilities: [Array(repeating: 0.2, count: 6), Array(repeating: 0.8, count: 6)],
      columnNames: (1...6).map { "question \($0)" }, title: "Bernoulli mixture")
    let document = try #require(checkFigure(figure))
    #expect(document.all("rect", within: "bars observed").count == 6)
    #expect(document.all("rect", within: "bars fitted").count == 6)
    _ = try #require(checkFigure(FrequencyPlot.bits(
      data: [], weights: [], probabilities: [], columnNames: [], title: "")))
    _ = try #require(checkFigure(FrequencyPlot.counts(
      data: [[.nan]], weights: [1], rates: [[-1]], columnNames: ["x"], title: "")))
  }
}
