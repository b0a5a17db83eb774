/// `criterion.svg`: an information criterion against the number of components.
public enum CriterionPlot {
  /// One `path.criterion` (with point markers) per covariance type, values[t][i] at ks[i],
  /// and a `g.best` ring on the best finite value (the smallest when `lowerIsBetter`, first
  /// in type then K order on ties). Non-finite values (failed fits) are skipped.
  public static func make(
    ks: [Int], values: [[Double]], covarianceTypes: [String], criterion: String = "BIC",
    lowerIsBetter: Bool = true, title: String
  ) -> Figure {
    let x = ks.map(Double.init)
    var layers: [Layer] = []
    var entries: [LegendEntry] = []
    var best: (type: Int, index: Int, value: Double)?
    for (t, row) in values.enumerated() {
      layers.append(.line(LineSeries(
        x: x, y: row, color: Palette.color(t), width: 1.8, dash: Palette.dash(t), markers: true,
        cssClass: "criterion")))
      let name = t < covarianceTypes.count ? covarianceTypes[t] : "type \(t + 1)"
      entries.append(LegendEntry(
        label: name, color: Palette.color(t), symbol: .line(width: 1.8, dash: Palette.dash(t))))
      for (index, value) in row.enumerated() where index < ks.count && value.isFinite {
        if let current = best, lowerIsBetter ? value >= current.value : value <= current.value {
          continue
        }
        best = (t, index, value)
      }
    }
    if let best {
      layers.append(.scatter(ScatterSeries(
        x: [x[best.index]], y: [best.value], color: .black, radius: 8, hollow: true,
        cssClass: "best")))
      let name =
        best.type < covarianceTypes.count ? covarianceTypes[best.type] : "type \(best.type + 1)"
      entries.append(LegendEntry(
        label: "best: \(name), K = \(ks[best.index])", color: .black,
        symbol: .point(radius: 6, hollow: true)))
    }
    let panel = Axes(
      x: Axis(
        label: "K (components)", lower: (x.min() ?? 1) - 0.5, upper: (x.max() ?? 1) + 0.5,
        ticks: x.sorted().map { Tick(value: $0, label: SVGText.number($0)) }),
      y: Axis(label: criterion, padding: 0.03), layers: layers)
    return Figure(
      title: title, panels: [panel],
      legend: Legend(
        title: lowerIsBetter ? "lower is better" : "higher is better", entries: entries))
  }
}
