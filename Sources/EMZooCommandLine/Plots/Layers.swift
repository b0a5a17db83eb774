import Foundation

// MARK: - Layers

/// Something drawn inside a panel, in data coordinates.
public enum Layer: Sendable {
  case line(LineSeries)
  case scatter(ScatterSeries)
  case ellipse(Ellipse)
  case histogram(Histogram)
  case bars(Bars)
  case stackedArea(StackedArea)
  case intervals(IntervalSeries)
  case reference(ReferenceLine)
}

/// A polyline through (x[i], y[i]); a non-finite coordinate breaks the line.
public struct LineSeries: Sendable {
  public var x: [Double]
  public var y: [Double]
  public var color: Color
  public var width: Double
  public var dash: String?
  public var opacity: Double
  /// Marks each point with a small filled circle.
  public var markers: Bool
  public var cssClass: String

  public init(
    x: [Double], y: [Double], color: Color, width: Double = 1.5, dash: String? = nil,
    opacity: Double = 1, markers: Bool = false, cssClass: String = "line"
  ) {
    self.x = x
    self.y = y
    self.color = color
    self.width = width
    self.dash = dash
    self.opacity = opacity
    self.markers = markers
    self.cssClass = cssClass
  }
}

/// Points at (x[i], y[i]); points with a non-finite coordinate are skipped.
///
/// Points are written grouped by colour and opacity (`<g class=… fill=…>` of `<circle>`s),
/// colour groups in palette order, so 20 000 points take well under 2 MB. Per-point opacities
/// are rounded to tenths.
public struct ScatterSeries: Sendable {
  public var x: [Double]
  public var y: [Double]
  /// Palette index per point (negative: grey); empty: every point has `color`.
  public var colors: [Int]
  public var color: Color
  public var radius: Double
  /// Radius per point; empty: every point has `radius`.
  public var radii: [Double]
  /// Opacity per point; empty: every point has `opacity`.
  public var opacities: [Double]
  public var opacity: Double
  /// Draws rings (stroke only) instead of discs.
  public var hollow: Bool
  public var cssClass: String

  public init(
    x: [Double], y: [Double], colors: [Int] = [], color: Color = Palette.color(0),
    radius: Double = 2.5, radii: [Double] = [], opacities: [Double] = [], opacity: Double = 1,
    hollow: Bool = false, cssClass: String = "points"
  ) {
    self.x = x
    self.y = y
    self.colors = colors
    self.color = color
    self.radius = radius
    self.radii = radii
    self.opacities = opacities
    self.opacity = opacity
    self.hollow = hollow
    self.cssClass = cssClass
  }
}

/// The contour of a bivariate normal holding probability `level`.
///
///     (x − μ)ᵀ Σ⁻¹ (x − μ) = χ²₂(level) = −2 log(1 − level)
///
/// so level 0.95 has radius √5.991464547107979. Σ is symmetrised and negative eigenvalues are
/// treated as 0; a non-finite centre or covariance draws nothing.
public struct Ellipse: Sendable {
  public var center: [Double]
  public var covariance: [[Double]]
  public var level: Double
  public var color: Color
  public var width: Double
  public var cssClass: String

  public init(
    center: [Double], covariance: [[Double]], level: Double = 0.95, color: Color,
    width: Double = 1.8, cssClass: String = "ellipse"
  ) {
    self.center = center
    self.covariance = covariance
    self.level = level
    self.color = color
    self.width = width
    self.cssClass = cssClass
  }

  /// The Mahalanobis radius √χ²₂(level).
  public var radius: Double { (-2 * log(1 - min(max(level, 0), 1 - 1e-12))).squareRoot() }

  /// `segments` points around the contour, or nil when the inputs are not usable.
  func outline(segments: Int = 72) -> [(Double, Double)]? {
    guard center.count >= 2, covariance.count >= 2, covariance[0].count >= 2,
      covariance[1].count >= 2
    else { return nil }
    let a = covariance[0][0]
    let b = (covariance[0][1] + covariance[1][0]) / 2
    let c = covariance[1][1]
    guard [a, b, c, center[0], center[1]].allSatisfy(\.isFinite) else { return nil }
    let mean = (a + c) / 2
    let spread = (((a - c) / 2) * ((a - c) / 2) + b * b).squareRoot()
    let major = max(mean + spread, 0).squareRoot() * radius
    let minor = max(mean - spread, 0).squareRoot() * radius
    var (ux, uy) = b != 0 ? (mean + spread - c, b) : (a >= c ? (1.0, 0.0) : (0.0, 1.0))
    let norm = (ux * ux + uy * uy).squareRoot()
    if norm > 0 {
      ux /= norm
      uy /= norm
    }
    return (0..<segments).map { index in
      let angle = 2 * Double.pi * Double(index) / Double(segments)
      let (p, q) = (major * cos(angle), minor * sin(angle))
      return (center[0] + p * ux - q * uy, center[1] + p * uy + q * ux)
    }
  }
}

/// Rectangles from edges[i] to edges[i + 1] of height heights[i], from 0.
public struct Histogram: Sendable {
  public var edges: [Double]
  public var heights: [Double]
  public var color: Color
  public var opacity: Double
  public var cssClass: String

  public init(
    edges: [Double], heights: [Double], color: Color = Color(hex: "#BBBBBB"),
    opacity: Double = 1, cssClass: String = "histogram"
  ) {
    self.edges = edges
    self.heights = heights
    self.color = color
    self.opacity = opacity
    self.cssClass = cssClass
  }

  /// A density-scaled histogram of the finite `values` (areas sum to 1): `bins` bins, or by
  /// default ⌈2 n^(1/3)⌉ (Rice's rule) clamped to 5...60.
  public static func density(of values: [Double], bins: Int? = nil) -> Histogram {
    let finite = values.filter(\.isFinite)
    guard let low = finite.min(), let high = finite.max() else {
      return Histogram(edges: [], heights: [])
    }
    let (lower, upper) = Scale.padded(lower: low, upper: high)
    let count = max(1, bins ?? min(max(Int((2 * cbrt(Double(finite.count))).rounded(.up)), 5), 60))
    let width = (upper - lower) / Double(count)
    var counts = [Double](repeating: 0, count: count)
    for value in finite {
      counts[min(max(Int((value - lower) / width), 0), count - 1)] += 1
    }
    let scale = 1 / (Double(finite.count) * width)
    return Histogram(
      edges: (0...count).map { lower + Double($0) * width }, heights: counts.map { $0 * scale })
  }
}

/// Grouped bars: series[s][c] is the height of series s at category c, drawn at x = c.
public struct Bars: Sendable {
  public var series: [[Double]]
  public var colors: [Color]
  /// The `class` of each series' group, e.g. `bars observed`.
  public var classes: [String]
  /// Width of a whole group, in category units.
  public var groupWidth: Double

  public init(series: [[Double]], colors: [Color], classes: [String], groupWidth: Double = 0.8) {
    self.series = series
    self.colors = colors
    self.classes = classes
    self.groupWidth = groupWidth
  }
}

/// Areas stacked upwards from 0: series k fills between the sums of series 0..<k and 0...k.
/// Non-finite values count as 0.
public struct StackedArea: Sendable {
  public var x: [Double]
  public var series: [[Double]]
  public var colors: [Color]
  public var cssClass: String

  public init(x: [Double], series: [[Double]], colors: [Color], cssClass: String = "area") {
    self.x = x
    self.series = series
    self.colors = colors
    self.cssClass = cssClass
  }
}

/// Point estimates with intervals, at `positions` on the other axis.
public struct IntervalSeries: Sendable {
  public var positions: [Double]
  public var estimates: [Double]
  public var lower: [Double]
  public var upper: [Double]
  /// Intervals run along x (positions on y) when true.
  public var horizontal: Bool
  public var color: Color
  public var cssClass: String

  public init(
    positions: [Double], estimates: [Double], lower: [Double], upper: [Double],
    horizontal: Bool = false, color: Color, cssClass: String = "interval"
  ) {
    self.positions = positions
    self.estimates = estimates
    self.lower = lower
    self.upper = upper
    self.horizontal = horizontal
    self.color = color
    self.cssClass = cssClass
  }
}

/// A straight line across the panel at x = value (`vertical`) or y = value.
public struct ReferenceLine: Sendable {
  public var value: Double
  public var vertical: Bool
  public var color: Color
  public var dash: String?
  public var cssClass: String

  public init(
    value: Double, vertical: Bool = false, color: Color = Color(hex: "#555555"),
    dash: String? = "5 4", cssClass: String = "reference"
  ) {
    self.value = value
    self.vertical = vertical
    self.color = color
    self.dash = dash
    self.cssClass = cssClass
  }
}

// MARK: - Extents

/// The finite minimum and maximum of some numbers.
struct Extent {
  var lower = Double.infinity
  var upper = -Double.infinity

  var isEmpty: Bool { lower > upper }

  mutating func add(_ value: Double) {
    guard value.isFinite else { return }
    lower = min(lower, value)
    upper = max(upper, value)
  }

  mutating func add<S: Sequence>(_ values: S) where S.Element == Double {
    for value in values { add(value) }
  }
}

extension Layer {
  /// Adds the data range this layer covers to `x` and `y`.
  func extend(x: inout Extent, y: inout Extent) {
    switch self {
    case .line(let line):
      for (u, v) in zip(line.x, line.y) where u.isFinite && v.isFinite {
        x.add(u)
        y.add(v)
      }
    case .scatter(let scatter):
      for (u, v) in zip(scatter.x, scatter.y) where u.isFinite && v.isFinite {
        x.add(u)
        y.add(v)
      }
    case .ellipse(let ellipse):
      for (u, v) in ellipse.outline(segments: 36) ?? [] {
        x.add(u)
        y.add(v)
      }
    case .histogram(let histogram):
      x.add(histogram.edges)
      y.add(histogram.heights)
      if !histogram.heights.isEmpty { y.add(0) }
    case .bars(let bars):
      let count = bars.series.map(\.count).max() ?? 0
      if count > 0 {
        x.add([-0.5, Double(count) - 0.5])
        y.add(0)
      }
      for values in bars.series { y.add(values) }
    case .stackedArea(let area):
      x.add(area.x)
      for index in area.x.indices {
        y.add(area.series.reduce(0) { sum, values in
          sum + (index < values.count && values[index].isFinite ? max(values[index], 0) : 0)
        })
      }
      if !area.x.isEmpty { y.add(0) }
    case .intervals(let intervals):
      let values = intervals.estimates + intervals.lower + intervals.upper
      if intervals.horizontal {
        x.add(values)
        y.add(intervals.positions)
      } else {
        x.add(intervals.positions)
        y.add(values)
      }
    case .reference(let line):
      if line.vertical { x.add(line.value) } else { y.add(line.value) }
    }
  }
}
