/// `classification.svg`: points coloured by label with a covariance ellipse per component.
public enum ClassificationPlot {
  /// Points (`g.points`, one group per label colour) with one `path.ellipse` per component
  /// and panel at probability `level`; a pairs grid when there are more than two columns
  /// (see `PairsGrid`). `points` are rows; NaN coordinates are skipped in the panels that
  /// use them. At most `limit` rows are drawn, a fixed-seed `Subsample`.
  public static func make(
    points: [[Double]], labels: [Int], means: [[Double]], covariances: [[[Double]]],
    columnNames: [String], title: String, level: Double = 0.95,
    limit: Int = Subsample.defaultLimit, seed: UInt64 = 0
  ) -> Figure {
    let count = max(means.count, (labels.max() ?? -1) + 1)
    let legend = Legend(
      title: "\(SVGText.number(level * 100, decimals: 1))% ellipses",
      entries: PairsGrid.componentEntries(count: count, labels: labels))
    return PairsGrid.figure(
      points: points, means: means, covariances: covariances, columnNames: columnNames,
      title: title, level: level, limit: limit, seed: seed, legend: legend, jitterBy: labels
    ) { rows, x, y in
      ScatterSeries(
        x: x, y: y, colors: rows.map { $0 < labels.count ? labels[$0] : -1 },
        radius: rows.count > 5000 ? 1.4 : 2.2, opacity: 0.7)
    }
  }
}
