import Foundation

/// `density.svg`: a 1-D mixture drawn over the histogram of its data.
public enum DensityPlot {
  /// A density-scaled `g.histogram` of `values`, one `path.component` per row of
  /// `componentDensities` (weighted density wₖ fₖ at each `grid` point) and their sum as
  /// `path.total`. Non-finite values are skipped.
  public static func make(
    values: [Double], grid: [Double], componentDensities: [[Double]], columnName: String,
    title: String, componentNames: [String] = [], bins: Int? = nil
  ) -> Figure {
    var layers: [Layer] = [.histogram(Histogram.density(of: values, bins: bins))]
    var total = [Double](repeating: 0, count: grid.count)
    var entries = [LegendEntry(label: "data", color: Color(hex: "#BBBBBB"), symbol: .box)]
    for (k, density) in componentDensities.enumerated() {
      for index in total.indices where index < density.count && density[index].isFinite {
        total[index] += density[index]
      }
      layers.append(.line(LineSeries(
        x: grid, y: density, color: Palette.color(k), width: 1.6, dash: Palette.dash(k),
        cssClass: "component")))
      let name = k < componentNames.count ? componentNames[k] : "component \(k + 1)"
      entries.append(LegendEntry(
        label: name, color: Palette.color(k), symbol: .line(width: 1.6, dash: Palette.dash(k))))
    }
    if !componentDensities.isEmpty {
      layers.append(
        .line(LineSeries(x: grid, y: total, color: .black, width: 2.4, cssClass: "total")))
      entries.append(
        LegendEntry(label: "total", color: .black, symbol: .line(width: 2.4, dash: nil)))
    }
    let panel = Axes(
      x: Axis(label: columnName, padding: 0.02), y: Axis(label: "density", includesZero: true),
      layers: layers)
    return Figure(title: title, panels: [panel], legend: Legend(entries: entries))
  }

  /// The Gaussian case: component k is weights[k] · N(means[k], variances[k]), evaluated on
  /// `points` values spanning the data and every mean ± 3 standard deviations.
  public static func gaussian(
    values: [Double], weights: [Double], means: [Double], variances: [Double],
    columnName: String, title: String, points: Int = 240
  ) -> Figure {
    var extent = Extent()
    extent.add(values)
    if extent.isEmpty {
      for (mean, variance) in zip(means, variances) where variance >= 0 {
        extent.add([mean - 3 * variance.squareRoot(), mean + 3 * variance.squareRoot()])
      }
    }
    let (lower, upper) = Scale.padded(
      lower: extent.isEmpty ? 0 : extent.lower, upper: extent.isEmpty ? 1 : extent.upper)
    let count = max(points, 2)
    let grid = (0..<count).map { lower + (upper - lower) * Double($0) / Double(count - 1) }
    let densities = zip(weights, zip(means, variances)).map { weight, parameters in
      let (mean, variance) = parameters
      return grid.map { x -> Double in
        guard variance > 0 else { return .nan }
        let z = (x - mean) / variance.squareRoot()
        return weight * exp(-0.5 * z * z) / (2 * Double.pi * variance).squareRoot()
      }
    }
    return make(
      values: values, grid: grid, componentDensities: densities, columnName: columnName,
      title: title)
  }
}
