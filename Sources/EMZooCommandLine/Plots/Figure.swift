/// A standalone SVG picture: a title, a grid of panels and a legend on the right.
///
/// `svg()` writes a self-contained document — no script, no external reference, no ids —
/// with a white background and the generic `sans-serif` font; the same figure always gives
/// the same bytes. Elements carry stable `class` attributes:
///
/// - `background` (rect), `title` (text), `panel` (g per panel), `panel-title`, `frame`, `grid`
/// - `axis x`, `axis y` (g) holding `ticks` (path), `tick-label` and `axis-label` (text)
/// - `legend` (g) holding `legend-title` and one `legend-entry` (g) per entry
/// - layers, by their `cssClass`: `line`, `points` (g of circles), `ellipse` (path),
///   `histogram` (g of rects), `bars …` (g of rects per series), `area` (path per series),
///   `interval` (g), `reference` (line)
/// - the builders' classes: `trace`, `trace best`; `component`, `total`; `ellipse`;
///   `points`; `bars observed`, `bars fitted`; `series`, `state` (g of points per Viterbi
///   state), `state-probability` (path per state); `interval em`, `interval complete-case`,
///   `reference zero`; `criterion` (path per covariance type), `best` (marker).
public struct Figure: Sendable {
  public var title: String
  public var width: Double
  public var height: Double
  public var panels: [Axes]
  /// Columns of the panel grid; panels without a cell fill it row by row.
  public var columns: Int
  /// Relative row heights; empty (or of the wrong length): equal rows.
  public var rowWeights: [Double]
  public var legend: Legend

  public init(
    title: String, width: Double = 800, height: Double = 520, panels: [Axes] = [],
    columns: Int = 1, rowWeights: [Double] = [], legend: Legend = Legend()
  ) {
    self.title = title
    self.width = width
    self.height = height
    self.panels = panels
    self.columns = columns
    self.rowWeights = rowWeights
    self.legend = legend
  }
}

/// One panel: two axes and the layers drawn between them.
public struct Axes: Sendable {
  public var title: String
  public var x: Axis
  public var y: Axis
  public var layers: [Layer]
  /// The grid cell; nil: the panel's position in `Figure.panels`, row by row.
  public var row: Int?
  public var column: Int?

  public init(
    title: String = "", x: Axis = Axis(), y: Axis = Axis(), layers: [Layer] = [],
    row: Int? = nil, column: Int? = nil
  ) {
    self.title = title
    self.x = x
    self.y = y
    self.layers = layers
    self.row = row
    self.column = column
  }
}

/// How one axis of a panel is scaled and labelled.
///
/// By default the interval covers every layer (and 0 when `includesZero`), is widened by
/// `padding` × its width on each side, then to whole 1-2-5 steps when that adds at most 12%.
/// With `lower` and `upper` both given it is used as is. Custom `ticks` (e.g. category
/// names) are thinned when their labels would overlap.
public struct Axis: Sendable {
  public var label: String
  public var lower: Double?
  public var upper: Double?
  public var ticks: [Tick]?
  public var includesZero: Bool
  public var padding: Double
  /// Keeps the tick step at 1 or more (counts, symbols, K).
  public var integer: Bool
  public var showsTickLabels: Bool
  /// Slants x tick labels (long category names) instead of thinning them.
  public var slantsTickLabels: Bool
  public var grid: Bool

  public init(
    label: String = "", lower: Double? = nil, upper: Double? = nil, ticks: [Tick]? = nil,
    includesZero: Bool = false, padding: Double = 0, integer: Bool = false,
    showsTickLabels: Bool = true, slantsTickLabels: Bool = false, grid: Bool = true
  ) {
    self.label = label
    self.lower = lower
    self.upper = upper
    self.ticks = ticks
    self.includesZero = includesZero
    self.padding = padding
    self.integer = integer
    self.showsTickLabels = showsTickLabels
    self.slantsTickLabels = slantsTickLabels
    self.grid = grid
  }
}

/// The key drawn to the right of the panels; empty entries: no legend.
public struct Legend: Sendable {
  public var title: String
  public var entries: [LegendEntry]

  public init(title: String = "", entries: [LegendEntry] = []) {
    self.title = title
    self.entries = entries
  }
}

/// One line of a legend: a symbol in a colour and a label.
public struct LegendEntry: Sendable {
  /// What the symbol looks like.
  public enum Symbol: Sendable, Hashable {
    case line(width: Double, dash: String?)
    case point(radius: Double, hollow: Bool)
    case box
  }

  public var label: String
  public var color: Color
  public var symbol: Symbol
  public var opacity: Double

  public init(label: String, color: Color, symbol: Symbol, opacity: Double = 1) {
    self.label = label
    self.color = color
    self.symbol = symbol
    self.opacity = opacity
  }
}
