/// `coefficients.svg`: regression estimates with 95% intervals, EM beside complete cases.
public enum CoefficientsPlot {
  /// One row per term (first at the top): the EM estimate and interval (`g.interval.em`)
  /// and, when given, the complete-case ones (`g.interval.complete-case`) dodged below it,
  /// with a dashed `line.reference.zero` at 0. Missing or non-finite values are skipped.
  public static func make(
    terms: [String], estimates: [Double], lower: [Double], upper: [Double],
    completeCaseEstimates: [Double] = [], completeCaseLower: [Double] = [],
    completeCaseUpper: [Double] = [], title: String,
    xLabel: String = "estimate (95% interval)"
  ) -> Figure {
    let count = max(terms.count, estimates.count)
    let position = { (index: Int) in Double(count - 1 - index) }
    let dodge = completeCaseEstimates.isEmpty ? 0 : 0.17
    let em = Palette.color(4)
    let completeCase = Palette.color(5)
    var layers: [Layer] = [
      .reference(ReferenceLine(value: 0, vertical: true, cssClass: "reference zero"))
    ]
    layers.append(.intervals(IntervalSeries(
      positions: (0..<count).map { position($0) + dodge }, estimates: estimates, lower: lower,
      upper: upper, horizontal: true, color: em, cssClass: "interval em")))
    var entries = [LegendEntry(label: "EM", color: em, symbol: .point(radius: 3.5, hollow: false))]
    if !completeCaseEstimates.isEmpty {
      layers.append(.intervals(IntervalSeries(
        positions: (0..<count).map { position($0) - dodge }, estimates: completeCaseEstimates,
        lower: completeCaseLower, upper: completeCaseUpper, horizontal: true,
        color: completeCase, cssClass: "interval complete-case")))
      entries.append(LegendEntry(
        label: "complete cases", color: completeCase, symbol: .point(radius: 3.5, hollow: false)))
    }
    let ticks = (0..<count).map {
      Tick(value: position($0), label: $0 < terms.count ? terms[$0] : "term \($0 + 1)")
    }
    let panel = Axes(
      x: Axis(label: xLabel, padding: 0.04),
      y: Axis(label: "term", lower: -0.6, upper: Double(count) - 0.4, ticks: ticks, grid: false),
      layers: layers)
    return Figure(
      title: title, height: max(260, 110 + 34 * Double(count)), panels: [panel],
      legend: Legend(entries: entries))
  }
}
