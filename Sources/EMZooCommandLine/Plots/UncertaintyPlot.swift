/// `uncertainty.svg`: points sized and shaded by their classification uncertainty.
public enum UncertaintyPlot {
  /// Like `ClassificationPlot.make`, but point i has radius 1.5 + 4.5 s and opacity
  /// 0.3 + 0.7 s, s = uncertainty[i] / ((K − 1) / K) clamped to 0...1, where uncertainty is
  /// 1 − maxₖ responsibility (see `uncertainty(responsibilities:)`) and K the number of
  /// components; points are coloured by `labels` (grey when empty).
  public static func make(
    points: [[Double]], uncertainty: [Double], labels: [Int] = [], means: [[Double]],
    covariances: [[[Double]]], columnNames: [String], title: String, level: Double = 0.95,
    limit: Int = Subsample.defaultLimit, seed: UInt64 = 0
  ) -> Figure {
    let count = max(means.count, (labels.max() ?? -1) + 1)
    let largest = count > 1
      ? Double(count - 1) / Double(count) : max(uncertainty.filter(\.isFinite).max() ?? 1, 1e-12)
    var entries = labels.isEmpty ? [] : PairsGrid.componentEntries(count: count, labels: labels)
    entries += [
      LegendEntry(
        label: "uncertainty 0", color: .gray, symbol: .point(radius: 1.5, hollow: false),
        opacity: 0.3),
      LegendEntry(
        label: "uncertainty \(SVGText.number(largest))", color: .gray,
        symbol: .point(radius: 6, hollow: false)),
    ]
    return PairsGrid.figure(
      points: points, means: means, covariances: covariances, columnNames: columnNames,
      title: title, level: level, limit: limit, seed: seed, legend: Legend(entries: entries),
      jitterBy: labels
    ) { rows, x, y in
      let shares = rows.map { row -> Double in
        let u = row < uncertainty.count ? uncertainty[row] : .nan
        return u.isFinite ? min(max(u / largest, 0), 1) : 0
      }
      return ScatterSeries(
        x: x, y: y,
        colors: labels.isEmpty ? [] : rows.map { $0 < labels.count ? labels[$0] : -1 },
        color: .gray, radii: shares.map { 1.5 + 4.5 * $0 },
        opacities: shares.map { 0.3 + 0.7 * $0 })
    }
  }

  /// 1 − maxₖ rᵢₖ for each row of responsibilities (NaN for an empty or non-finite row).
  public static func uncertainty(responsibilities: [[Double]]) -> [Double] {
    responsibilities.map { row in
      guard let top = row.max(), row.allSatisfy(\.isFinite) else { return .nan }
      return 1 - top
    }
  }
}
