/// `trace.svg`: the objective per iteration, one line per restart, the best one highlighted.
public enum TracePlot {
  /// A figure with one `path.trace` per non-empty restart (x = `firstIteration` + index,
  /// y = objective) and `path.trace.best` for `traces[best]`, drawn last, thicker and darker.
  /// Non-finite objectives are skipped (they break the line); `best` out of range highlights
  /// nothing.
  public static func make(
    traces: [[Double]], best: Int, title: String, objective: String = "log-likelihood",
    firstIteration: Int = 0
  ) -> Figure {
    let others = Palette.color(1)
    let highlight = Palette.color(4)
    var layers: [Layer] = []
    func line(_ trace: [Double], isBest: Bool) -> Layer {
      .line(LineSeries(
        x: trace.indices.map { Double($0 + firstIteration) }, y: trace,
        color: isBest ? highlight : others, width: isBest ? 2.6 : 1.2,
        opacity: isBest ? 1 : 0.8,
        cssClass: isBest ? "trace best" : "trace"))
    }
    for (index, trace) in traces.enumerated() where index != best && !trace.isEmpty {
      layers.append(line(trace, isBest: false))
    }
    if traces.indices.contains(best) && !traces[best].isEmpty {
      layers.append(line(traces[best], isBest: true))
    }
    var entries: [LegendEntry] = []
    if traces.indices.contains(best) {
      entries.append(LegendEntry(
        label: "best (restart \(best + 1))", color: highlight,
        symbol: .line(width: 2.6, dash: nil)))
    }
    let otherCount = traces.indices.filter { $0 != best }.count
    if otherCount > 0 {
      entries.append(LegendEntry(
        label: otherCount == 1 ? "other restart" : "other restarts (\(otherCount))",
        color: others, symbol: .line(width: 1.2, dash: nil), opacity: 0.8))
    }
    let panel = Axes(
      x: Axis(label: "iteration", integer: true), y: Axis(label: objective, padding: 0.02),
      layers: layers)
    return Figure(title: title, panels: [panel], legend: Legend(entries: entries))
  }
}
