import Testing
@testable import EMZooCommandLine

@Suite struct ClassificationPlotTests {
  func means(_ count: Int) -> [[Double]] {
    (0..<count).map { [Double($0 * 4), Double($0 * 4 + 1)] }
  }

  @Test func twoColumnsOnePanelAnEllipsePerComponent() throws {
    var data = mixture(n: 300, d: 2, k: 3)
    data.points[0][1] = .nan
    let figure = ClassificationPlot.make(
      points: data.points, labels: data.labels, means: [[0, 1], [4, 5], [8, 9]],
      covariances: [identity(2), identity(2), [[2, 0.5], [0.5, 1]]],
      columnNames: ["sepal length", "sepal width"], title: "VVV, K = 3, n = 300")
    let document = try #require(checkFigure(figure))
    #expect(document.count("g", class: "panel") == 1)
    #expect(document.count("path", class: "ellipse") == 3)
    #expect(document.all("circle", within: "points").count == 299)
    #expect(document.count("g", class: "points") == 3)
    let labels = document.all("text", class: "axis-label").map(\.text)
    #expect(labels == ["sepal length", "sepal width"])
    #expect(document.count("g", class: "legend-entry") == 3)
  }

  @Test func ellipseRadiusIsTheChiSquareQuantile() throws {
    let ellipse = Ellipse(center: [0, 0], covariance: identity(2), color: .black)
    #expect(abs(ellipse.radius - 5.991464547107979.squareRoot()) < 1e-12)
    let outline = try #require(ellipse.outline())
    for (x, y) in outline {
      #expect(abs((x * x + y * y).squareRoot() - ellipse.radius) < 1e-9)
    }
    let stretched = try #require(
      Ellipse(center: [1, 2], covariance: [[4, 0], [0, 1]], color: .black).outline())
    #expect(abs((stretched.map(\.0).max() ?? 0) - (1 + 2 * ellipse.radius)) < 1e-9)
    let broken = Ellipse(center: [0, 0], covariance: [[.nan, 0], [0, 1]], color: .black)
    #expect(broken.outline() == nil)
  }

  @Test func pairsGridHasAPanelPerPairAndEllipsesInEach() throws {
    let data = mixture(n: 200, d: 4, k: 2)
    let longName = String(repeating: "very long column name ", count: 5)
    let figure = ClassificationPlot.make(
      points: data.points, labels: data.labels, means: [[0, 1, 2, 3], [4, 5, 6, 7]],
      covariances: [identity(4), identity(4)], columnNames: ["a", longName, "c", "d"],
      title: "d = 4")
    let document = try #require(checkFigure(figure))
    #expect(document.count("g", class: "panel") == 6)
    #expect(document.count("path", class: "ellipse") == 12)
    #expect(document.all("circle", within: "points").count == 6 * 200)
    let labels = document.all("text", class: "axis-label").map(\.text)
    #expect(labels.count == 12)
    #expect(labels.allSatisfy { $0.count <= 40 })
  }

  @Test func manyComponentsOneColumnAndEmptyData() throws {
    let data = mixture(n: 400, d: 2, k: 20)
    let many = ClassificationPlot.make(
      points: data.points, labels: data.labels, means: means(20),
      covariances: Array(repeating: identity(2), count: 20), columnNames: ["x", "y"],
      title: "K = 20")
    let document = try #require(checkFigure(many))
    #expect(document.count("path", class: "ellipse") == 20)
    #expect(document.count("g", class: "legend-entry") == 20)

    let one = mixture(n: 50, d: 1, k: 2)
    let oneColumn = ClassificationPlot.make(
      points: one.points, labels: one.labels, means: [[0], [4]], covariances: [[[1]], [[1]]],
      columnNames: ["x"], title: "d = 1")
    let oneDocument = try #require(checkFigure(oneColumn))
    #expect(oneDocument.count("g", class: "ellipse") == 2)
    // Components are numbered from 1 on the axis, as in the legend.
    let yTicks = oneDocument.all("text", within: "axis y").filter { $0.classes.contains("tick-label") }
    #expect(yTicks.map(\.text) == ["1", "2"])

    for points in [[], [[1.0, 2.0]], [[1.0, 2.0], [1.0, 2.0]], [[Double.nan, .nan]]] {
      let figure = ClassificationPlot.make(
        points: points, labels: [0, 0], means: [], covariances: [], columnNames: ["x", "y"],
        title: "edge")
      _ = try #require(checkFigure(figure))
    }
  }

  @Test func twentyThousandPointsStayUnderTwoMegabytes() throws {
    let data = mixture(n: 50_000, d: 2, k: 5, seed: 9)
    let figure = ClassificationPlot.make(
      points: data.points, labels: data.labels, means: means(5),
      covariances: Array(repeating: identity(2), count: 5), columnNames: ["x", "y"], title: "big")
    let svg = figure.svg()
    #expect(svg.utf8.count < 2_000_000)
    let document = try #require(SVGDocument.parse(svg))
    #expect(document.all("circle", within: "points").count == 20_000)
    #expect(svg == figure.svg())
  }
}

@Suite struct UncertaintyPlotTests {
  @Test func pointsSizedByUncertainty() throws {
    let data = mixture(n: 120, d: 3, k: 3)
    let responsibilities = data.labels.enumerated().map { i, label in
      (0..<3).map { $0 == label ? 1 - 0.005 * Double(i % 100) : 0.0025 * Double(i % 100) }
    }
    let uncertainty = UncertaintyPlot.uncertainty(responsibilities: responsibilities)
    #expect(abs(uncertainty[1] - 0.005) < 1e-12)
    let figure = UncertaintyPlot.make(
      points: data.points, uncertainty: uncertainty, labels: data.labels,
      means: [[0, 1, 2], [4, 5, 6], [8, 9, 10]],
      covariances: Array(repeating: identity(3), count: 3),
      columnNames: ["a", "b", "c"], title: "uncertainty")
    let document = try #require(checkFigure(figure))
    #expect(document.count("g", class: "panel") == 3)
    #expect(document.count("path", class: "ellipse") == 9)
    let radii = Set(document.all("circle", within: "points").compactMap { $0.attributes["r"] })
    #expect(radii.count > 5)
    _ = try #require(checkFigure(UncertaintyPlot.make(
      points: [], uncertainty: [], means: [], covariances: [], columnNames: [], title: "")))
  }
}
