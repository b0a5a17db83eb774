import Foundation

/// Observed against fitted frequencies for count and bit data, as grouped bars.
public enum FrequencyPlot {
  /// One panel of grouped bars: a category axis with an observed and a fitted bar each.
  public struct Panel: Sendable {
    public var name: String
    public var categories: [String]
    public var observed: [Double]
    public var fitted: [Double]

    public init(name: String, categories: [String], observed: [Double], fitted: [Double]) {
      self.name = name
      self.categories = categories
      self.observed = observed
      self.fitted = fitted
    }
  }

  /// Up to 12 panels, three a row, each with `g.bars.observed` and `g.bars.fitted`.
  public static func make(panels: [Panel], title: String, yLabel: String, xLabel: String = "")
    -> Figure
  {
    let observed = Palette.color(1)
    let fitted = Palette.color(5)
    let shown = Array(panels.prefix(12))
    let columns = min(max(shown.count, 1), 3)
    let axes = shown.map { panel in
      let slanted = panel.categories.contains { $0.count > 4 }
      return Axes(
        title: shown.count > 1 ? panel.name : "",
        x: Axis(
          label: shown.count > 1 ? xLabel : (xLabel.isEmpty ? panel.name : xLabel),
          ticks: panel.categories.enumerated().map { Tick(value: Double($0), label: $1) },
          slantsTickLabels: slanted, grid: false),
        y: Axis(label: yLabel, includesZero: true),
        layers: [.bars(Bars(
          series: [panel.observed, panel.fitted], colors: [observed, fitted],
          classes: ["bars observed", "bars fitted"]))])
    }
    let rows = (shown.count + columns - 1) / columns
    return Figure(
      title: title, width: columns == 1 ? 800 : 330 * Double(columns) + 120,
      height: rows <= 1 ? 480 : 260 * Double(rows) + 40, panels: axes, columns: columns,
      legend: Legend(entries: [
        LegendEntry(label: "observed", color: observed, symbol: .box),
        LegendEntry(label: "fitted", color: fitted, symbol: .box),
      ]))
  }

  /// A Poisson mixture: per column j, how many rows hold each value 0...m (the last category
  /// `≥m` when larger values occur, m ≤ `maxValue`) against n_j Σₖ wₖ Poisson(v; λₖⱼ), n_j
  /// the column's non-missing count. `rates[k][j]` is λₖⱼ; non-finite or negative data are
  /// skipped, values are rounded.
  public static func counts(
    data: [[Double]], weights: [Double], rates: [[Double]], columnNames: [String],
    title: String, maxValue: Int = 30
  ) -> Figure {
    let columns = max(columnNames.count, data.map(\.count).max() ?? 0)
    let panels = (0..<min(columns, 12)).map { j -> Panel in
      let values = data.compactMap { row -> Int? in
        guard j < row.count, row[j].isFinite, row[j] >= 0 else { return nil }
        return Int(min(row[j], 1e9).rounded())
      }
      let top = min(values.max() ?? 0, max(maxValue, 1))
      let tail = (values.max() ?? 0) > top
      var observed = [Double](repeating: 0, count: top + 1)
      for value in values { observed[min(value, top)] += 1 }
      let total = Double(values.count)
      var fitted = (0...top).map { v in
        total * zip(weights, rates).reduce(0) { sum, component in
          let rate = j < component.1.count ? component.1[j] : .nan
          return sum + component.0 * poisson(v, rate: rate)
        }
      }
      if tail { fitted[top] = max(total - fitted.dropLast().reduce(0, +), 0) }
      let categories = (0...top).map { tail && $0 == top ? "≥\($0)" : String($0) }
      return Panel(
        name: j < columnNames.count ? columnNames[j] : "x\(j + 1)", categories: categories,
        observed: observed, fitted: fitted)
    }
    return make(panels: panels, title: title, yLabel: "rows", xLabel: "value")
  }

  /// A Bernoulli mixture: per column j the observed share of ones against Σₖ wₖ pₖⱼ, where
  /// `probabilities[k][j]` is pₖⱼ = P(x_j = 1 | k); missing values are skipped.
  public static func bits(
    data: [[Double]], weights: [Double], probabilities: [[Double]], columnNames: [String],
    title: String
  ) -> Figure {
    let columns = max(columnNames.count, data.map(\.count).max() ?? 0)
    var observed: [Double] = []
    var fitted: [Double] = []
    for j in 0..<columns {
      let values = data.compactMap { j < $0.count && $0[j].isFinite ? $0[j] : nil }
      observed.append(values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count))
      fitted.append(zip(weights, probabilities).reduce(0) { sum, component in
        sum + component.0 * (j < component.1.count ? component.1[j] : .nan)
      })
    }
    let names = (0..<columns).map { $0 < columnNames.count ? columnNames[$0] : "x\($0 + 1)" }
    let panel = Panel(name: "column", categories: names, observed: observed, fitted: fitted)
    return make(panels: [panel], title: title, yLabel: "P(x = 1)", xLabel: "column")
  }

  /// P(X = v) for X ~ Poisson(rate), NaN for a negative or non-finite rate.
  static func poisson(_ v: Int, rate: Double) -> Double {
    guard rate.isFinite, rate >= 0 else { return .nan }
    if rate == 0 { return v == 0 ? 1 : 0 }
    return exp(Double(v) * log(rate) - rate - lgamma(Double(v) + 1))
  }
}
