import Foundation

/// The panel layout shared by the classification and uncertainty plots.
///
/// d = 1: the values against their label (jittered), each component's central `level`
/// interval drawn as a horizontal `ellipse`-classed interval; d = 2: one panel; d > 2: the
/// lower triangle of a (d − 1) × (d − 1) grid, panel (r, c) showing column c against column
/// r with every component's ellipse for the projected 2 × 2 covariance. Only the first
/// `maxColumns` columns are drawn. Rows are the fixed-seed `Subsample` of at most `limit`.
enum PairsGrid {
  static let maxColumns = 6

  /// Builds the figure; `points(rows, x, y)` styles the scatter of the given rows.
  static func figure(
    points: [[Double]], means: [[Double]], covariances: [[[Double]]], columnNames: [String],
    title: String, level: Double, limit: Int, seed: UInt64, legend: Legend,
    jitterBy labels: [Int], points style: ([Int], [Double], [Double]) -> ScatterSeries
  ) -> Figure {
    let dimension = min(
      max(points.map(\.count).max() ?? 0, means.map(\.count).max() ?? 0, columnNames.count),
      maxColumns)
    let rows = Subsample.indices(count: points.count, limit: limit, seed: seed)
    func value(_ row: Int, _ column: Int) -> Double {
      column < points[row].count ? points[row][column] : .nan
    }
    func name(_ column: Int) -> String {
      column < columnNames.count ? columnNames[column] : "x\(column + 1)"
    }
    guard dimension >= 2 else {
      return oneColumn(
        rows: rows, values: rows.map { value($0, 0) }, labels: labels, means: means,
        covariances: covariances, name: name(0), title: title, level: level, seed: seed,
        legend: legend, style: style)
    }
    var panels: [Axes] = []
    for row in 1..<dimension {
      for column in 0..<row {
        var layers: [Layer] = [
          .scatter(style(rows, rows.map { value($0, column) }, rows.map { value($0, row) }))
        ]
        for (k, mean) in means.enumerated() where k < covariances.count {
          let s = covariances[k]
          func entry(_ i: Int, _ j: Int) -> Double {
            i < s.count && j < s[i].count ? s[i][j] : .nan
          }
          let center = [column, row].map { $0 < mean.count ? mean[$0] : .nan }
          layers.append(.ellipse(Ellipse(
            center: center,
            covariance: [[entry(column, column), entry(column, row)],
                         [entry(row, column), entry(row, row)]],
            level: level, color: Palette.color(k))))
        }
        panels.append(Axes(
          x: Axis(label: name(column), padding: 0.03), y: Axis(label: name(row), padding: 0.03),
          layers: layers, row: row - 1, column: column))
      }
    }
    let side = dimension == 2 ? 560.0 : 250.0 * Double(dimension - 1)
    let legendWidth = legend.entries.isEmpty ? 0.0 : 170
    return Figure(
      title: title, width: side * (dimension == 2 ? 1.15 : 1) + legendWidth, height: side + 40,
      panels: panels, columns: dimension - 1, legend: legend)
  }

  private static func oneColumn(
    rows: [Int], values: [Double], labels: [Int], means: [[Double]],
    covariances: [[[Double]]], name: String, title: String, level: Double, seed: UInt64,
    legend: Legend, style: ([Int], [Double], [Double]) -> ScatterSeries
  ) -> Figure {
    var generator = SplitMix64(seed: seed)
    let jittered = rows.map { row -> Double in
      let jitter = (Double(generator.next() >> 11) / 9_007_199_254_740_992 - 0.5) * 0.5
      return Double(row < labels.count ? labels[row] : 0) + jitter
    }
    var layers: [Layer] = [.scatter(style(rows, values, jittered))]
    let z = normalQuantile((1 + level) / 2)
    for (k, mean) in means.enumerated() where k < covariances.count && !mean.isEmpty {
      let sd = (covariances[k].first?.first ?? .nan).squareRoot()
      layers.append(.intervals(IntervalSeries(
        positions: [Double(k)], estimates: [mean[0]], lower: [mean[0] - z * sd],
        upper: [mean[0] + z * sd], horizontal: true, color: Palette.color(k), cssClass: "ellipse")))
    }
    let panel = Axes(
      x: Axis(label: name, padding: 0.03),
      y: Axis(
        label: "component",
        // Numbered from 1, as in the legend.
        ticks: (0..<max(means.count, (labels.max() ?? -1) + 1)).map {
          Tick(value: Double($0), label: "\($0 + 1)")
        },
        padding: 0.05),
      layers: layers)
    return Figure(title: title, panels: [panel], legend: legend)
  }

  /// Φ⁻¹(p) by bisection on erf, to about 1e-12.
  static func normalQuantile(_ p: Double) -> Double {
    guard p > 0 && p < 1 else { return p >= 1 ? 8.3 : -8.3 }
    var (low, high) = (-8.3, 8.3)
    for _ in 0..<60 {
      let middle = (low + high) / 2
      if 0.5 * (1 + erf(middle / 2.0.squareRoot())) < p { low = middle } else { high = middle }
    }
    return (low + high) / 2
  }

  /// One legend entry per component (and `unassigned` when a label is negative).
  static func componentEntries(count: Int, labels: [Int]) -> [LegendEntry] {
    let dot = LegendEntry.Symbol.point(radius: 4, hollow: false)
    var entries = (0..<count).map {
      LegendEntry(label: "component \($0 + 1)", color: Palette.color($0), symbol: dot)
    }
    if labels.contains(where: { $0 < 0 }) {
      entries.append(LegendEntry(label: "unassigned", color: .gray, symbol: dot))
    }
    return entries
  }
}
