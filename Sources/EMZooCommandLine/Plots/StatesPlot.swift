/// `states.svg`: an HMM's series coloured by Viterbi state above its posterior probabilities.
public enum StatesPlot {
  /// One strip per series column (at most 6), x = row index, points grouped as `g.state` per
  /// Viterbi state (and a thin grey `path.series` joining continuous series of at most 5 000
  /// rows), above a panel of `path.state-probability` areas stacking `posteriors[t][k]` to 1,
  /// averaged over at most 1 000 bins of rows. `discrete` (categorical symbols, counts) keeps
  /// integer ticks and draws no joining line. At most `limit` points are drawn per strip,
  /// a fixed-seed `Subsample`; NaN values are skipped.
  public static func make(
    series: [[Double]], states: [Int], posteriors: [[Double]], columnNames: [String],
    title: String, discrete: Bool = false, limit: Int = Subsample.defaultLimit, seed: UInt64 = 0
  ) -> Figure {
    let rows = max(series.count, states.count, posteriors.count)
    let stateCount = max((states.max() ?? -1) + 1, posteriors.map(\.count).max() ?? 0)
    let strips = min(max(series.map(\.count).max() ?? 0, columnNames.count, 1), 6)
    let xAxis = { (last: Bool) in
      Axis(
        label: last ? "row (time)" : "", lower: 0, upper: Double(max(rows - 1, 1)),
        integer: true, showsTickLabels: last)
    }
    let drawn = Subsample.indices(count: rows, limit: limit, seed: seed)
    let x = drawn.map(Double.init)
    var panels: [Axes] = []
    for j in 0..<strips {
      let y = drawn.map { $0 < series.count && j < series[$0].count ? series[$0][j] : .nan }
      var layers: [Layer] = []
      if !discrete && rows <= 5_000 {
        layers.append(.line(LineSeries(
          x: x, y: y, color: Color(hex: "#AAAAAA"), width: 0.8, cssClass: "series")))
      }
      layers.append(.scatter(ScatterSeries(
        x: x, y: y, colors: drawn.map { $0 < states.count ? states[$0] : -1 },
        radius: rows <= 500 ? 2.6 : rows <= 5_000 ? 1.8 : 1.2, cssClass: "state")))
      panels.append(Axes(
        x: xAxis(false),
        y: Axis(label: j < columnNames.count ? columnNames[j] : "x\(j + 1)", padding: 0.05,
                integer: discrete),
        layers: layers))
    }
    // Posterior probabilities, averaged over bins of rows so that long series stay small.
    let bins = min(rows, 1_000)
    var centers: [Double] = []
    var stacked = [[Double]](repeating: [], count: stateCount)
    for bin in 0..<bins {
      let (start, end) = (bin * rows / bins, (bin + 1) * rows / bins)
      var sums = [Double](repeating: 0, count: stateCount)
      var used = 0
      for row in start..<end where row < posteriors.count {
        let p = posteriors[row]
        guard p.count == stateCount, p.allSatisfy(\.isFinite) else { continue }
        for k in 0..<stateCount { sums[k] += p[k] }
        used += 1
      }
      centers.append(Double(start + end - 1) / 2)
      for k in 0..<stateCount { stacked[k].append(used > 0 ? sums[k] / Double(used) : .nan) }
    }
    panels.append(Axes(
      x: xAxis(true), y: Axis(label: "P(state)", lower: 0, upper: 1, grid: false),
      layers: [.stackedArea(StackedArea(
        x: centers, series: stacked, colors: (0..<stateCount).map(Palette.color),
        cssClass: "state-probability"))]))
    return Figure(
      title: title, width: 900, height: 150 * Double(strips) + 230, panels: panels,
      rowWeights: [Double](repeating: 1, count: strips) + [1.2],
      legend: Legend(entries: (0..<stateCount).map {
        LegendEntry(label: "state \($0 + 1)", color: Palette.color($0), symbol: .box)
      }))
  }
}
