import Foundation

// MARK: - Layout constants

private enum Metrics {
  static let tickFont = 11.0
  static let labelFont = 12.0
  static let legendFont = 12.0
  static let legendRow = 18.0
  static let xTickSpacing = 90.0
  static let yTickSpacing = 45.0
}

private func n(_ value: Double) -> String { SVGText.number(value) }

/// A panel's place on the page and its resolved scales.
private struct PanelFrame {
  var cellX = 0.0, cellY = 0.0, cellWidth = 0.0, cellHeight = 0.0
  var top = 0.0, bottom = 0.0, left = 0.0, right = 0.0
  /// Height below the plot area taken by x tick labels.
  var xTickArea = 0.0
  var column = 0
  var x = Scale(lower: 0, upper: 1, start: 0, end: 1, ticks: [])
  var y = Scale(lower: 0, upper: 1, start: 0, end: 1, ticks: [])
}

extension Figure {
  /// The figure as a standalone SVG document.
  public func svg() -> String {
    let width = width.isFinite ? min(max(width, 120), 20_000) : 800
    let height = height.isFinite ? min(max(height, 120), 20_000) : 520
    var out = SVGWriter()
    out.text.reserveCapacity(4096)
    out.open("svg", [
      ("xmlns", "http://www.w3.org/2000/svg"), ("width", n(width)), ("height", n(height)),
      ("viewBox", "0 0 \(n(width)) \(n(height))"), ("font-family", "sans-serif"),
      ("font-size", "12"),
    ])
    out.text += "\n"
    out.element("title", [], content: SVGText.label(title, limit: 200))
    out.element("rect", [
      ("class", "background"), ("width", n(width)), ("height", n(height)), ("fill", "#FFFFFF"),
    ])
    let titleHeight = title.isEmpty ? 10.0 : 34.0
    if !title.isEmpty {
      out.label(
        title, x: width / 2, y: 22, size: 15, cssClass: "title",
        extra: [("font-weight", "bold")], limit: max(10, Int((width - 20) / 9)))
    }
    let legendWidth = drawLegend(into: &out, top: titleHeight, width: width, height: height)
    let frames = layout(
      x: 0, y: titleHeight, width: width - legendWidth, height: height - titleHeight - 4)
    for (panel, frame) in zip(panels, frames) {
      draw(panel, frame: frame, into: &out)
    }
    out.close("svg")
    return out.text
  }

  // MARK: - Layout

  private func layout(x: Double, y: Double, width: Double, height: Double) -> [PanelFrame] {
    let columns = max(1, columns)
    let cells = panels.enumerated().map { index, panel in
      (row: max(0, panel.row ?? index / columns), column: max(0, panel.column ?? index % columns))
    }
    let rows = (cells.map(\.row).max() ?? 0) + 1
    let gridColumns = max(columns, (cells.map(\.column).max() ?? 0) + 1)
    let weights = rowWeights.count == rows && rowWeights.allSatisfy({ $0 > 0 && $0.isFinite })
      ? rowWeights : [Double](repeating: 1, count: rows)
    let total = weights.reduce(0, +)
    var rowTops = [y]
    for weight in weights { rowTops.append((rowTops.last ?? y) + height * weight / total) }
    let cellWidth = width / Double(gridColumns)

    var frames: [PanelFrame] = []
    for (panel, cell) in zip(panels, cells) {
      var frame = PanelFrame()
      frame.column = cell.column
      frame.cellX = x + Double(cell.column) * cellWidth
      frame.cellY = rowTops[cell.row]
      frame.cellWidth = cellWidth
      frame.cellHeight = rowTops[cell.row + 1] - rowTops[cell.row]
      frame.top = frame.cellY + (panel.title.isEmpty ? 10 : 24)
      frame.xTickArea = panel.x.showsTickLabels ? 20 : 4
      if panel.x.showsTickLabels && panel.x.slantsTickLabels {
        let widest = (panel.x.ticks ?? []).map {
          SVGText.width(SVGText.clean($0.label, limit: 16), size: Metrics.tickFont)
        }.max() ?? 0
        frame.xTickArea = 14 + widest * 0.64
      }
      frame.bottom =
        frame.cellY + frame.cellHeight - frame.xTickArea - (panel.x.label.isEmpty ? 4 : 20)
      if frame.bottom - frame.top < 20 { frame.bottom = frame.top + 20 }
      let (xExtent, yExtent) = panel.extents()
      frame.y = resolve(panel.y, extent: yExtent, start: frame.bottom, end: frame.top, isX: false)
      let widest = panel.y.showsTickLabels
        ? frame.y.ticks.map { SVGText.width(SVGText.clean($0.label), size: Metrics.tickFont) }
          .max() ?? 0 : 0
      frame.left = 8 + (panel.y.label.isEmpty ? 0 : 18) + widest + 8
      frame.x = Scale(lower: xExtent.lower, upper: xExtent.upper, start: 0, end: 1, ticks: [])
      frames.append(frame)
    }
    // Panels in one grid column share their left edge, so stacked panels line up.
    let margins = frames.map { frame in
      frames.filter { $0.column == frame.column }.map(\.left).max() ?? 0
    }
    for (index, margin) in margins.enumerated() {
      frames[index].left = frames[index].cellX + min(margin, frames[index].cellWidth / 2)
      frames[index].right = max(frames[index].left + 20, frames[index].cellX + cellWidth - 18)
      let (xExtent, _) = panels[index].extents()
      frames[index].x = resolve(
        panels[index].x, extent: xExtent, start: frames[index].left, end: frames[index].right,
        isX: true)
    }
    return frames
  }

  private func resolve(_ axis: Axis, extent: Extent, start: Double, end: Double, isX: Bool)
    -> Scale
  {
    var extent = extent
    if axis.includesZero { extent.add(0) }
    var lower = axis.lower ?? (extent.isEmpty ? 0 : extent.lower)
    var upper = axis.upper ?? (extent.isEmpty ? 1 : extent.upper)
    let pad = (upper - lower) * max(axis.padding, 0)
    if axis.lower == nil { lower -= pad }
    if axis.upper == nil { upper += pad }
    (lower, upper) = Scale.padded(lower: lower, upper: upper)
    let length = abs(end - start)
    if let ticks = axis.ticks {
      let inside = ticks.filter { $0.value >= lower && $0.value <= upper && $0.value.isFinite }
      let perUnit = length / (upper - lower)
      let gap = zip(inside.dropFirst(), inside).map { abs($0.value - $1.value) }.min() ?? 1
      let needed = isX && !axis.slantsTickLabels
        ? (inside.map { SVGText.width($0.label, size: Metrics.tickFont) }.max() ?? 0) + 8 : 14
      let every = max(1, Int((needed / max(gap * perUnit, 1e-9)).rounded(.up)))
      let kept = inside.enumerated().filter { $0.offset % every == 0 }.map(\.element)
      return Scale(lower: lower, upper: upper, start: start, end: end, ticks: kept)
    }
    let fixed = axis.lower != nil && axis.upper != nil
    // Fewer ticks while x labels would overlap; more while fewer than 3 fall inside.
    var count = max(2, Int(length / (isX ? Metrics.xTickSpacing : Metrics.yTickSpacing)))
    var fewer = false
    while true {
      let nice = Scale.nice(
        lower: lower, upper: upper, count: count, widen: !fixed, integer: axis.integer)
      let spacing = length / Double(max(nice.ticks.count - 1, 1))
      let widest = nice.ticks.map { SVGText.width($0.label, size: Metrics.tickFont) }.max() ?? 0
      if isX && count > 1 && widest + 10 > spacing && nice.ticks.count > 2 {
        count -= 1
        fewer = true
      } else if nice.ticks.count < 3 && !fewer && count < 12 {
        count += 1
      } else {
        return Scale(
          lower: nice.lower, upper: nice.upper, start: start, end: end, ticks: nice.ticks)
      }
    }
  }

  // MARK: - Panels and axes

  private func draw(_ panel: Axes, frame: PanelFrame, into out: inout SVGWriter) {
    let (x, y) = (frame.x, frame.y)
    out.open("g", [("class", "panel")])
    if !panel.title.isEmpty {
      out.label(
        panel.title, x: (frame.left + frame.right) / 2, y: frame.top - 8, size: 12,
        cssClass: "panel-title", limit: max(8, Int((frame.right - frame.left) / 7)))
    }
    var grid = ""
    for tick in panel.x.grid ? x.ticks : [] {
      grid += "M\(n(x(tick.value))) \(n(frame.top))V\(n(frame.bottom))"
    }
    for tick in panel.y.grid ? y.ticks : [] {
      grid += "M\(n(frame.left)) \(n(y(tick.value)))H\(n(frame.right))"
    }
    if !grid.isEmpty {
      out.element("path", [("class", "grid"), ("d", grid), ("stroke", "#E5E5E5"), ("fill", "none")])
    }
    for layer in panel.layers {
      draw(layer, x: x, y: y, frame: frame, into: &out)
    }
    out.element("rect", [
      ("class", "frame"), ("x", n(frame.left)), ("y", n(frame.top)),
      ("width", n(frame.right - frame.left)), ("height", n(frame.bottom - frame.top)),
      ("fill", "none"), ("stroke", "#888888"),
    ])
    drawAxes(panel, frame: frame, into: &out)
    out.close("g")
  }

  private func drawAxes(_ panel: Axes, frame: PanelFrame, into out: inout SVGWriter) {
    let (x, y) = (frame.x, frame.y)
    out.open("g", [("class", "axis x"), ("font-size", n(Metrics.tickFont))])
    out.element("path", [
      ("class", "ticks"), ("stroke", "#555555"),
      ("d", x.ticks.map { "M\(n(x($0.value))) \(n(frame.bottom))v5" }.joined()),
    ])
    if panel.x.showsTickLabels {
      for tick in x.ticks {
        if panel.x.slantsTickLabels {
          let (labelX, labelY) = (x(tick.value) + 3, frame.bottom + 13)
          out.label(
            tick.label, x: labelX, y: labelY, anchor: "end", cssClass: "tick-label",
            extra: [("transform", "rotate(-40 \(n(labelX)) \(n(labelY)))")], limit: 16)
        } else {
          out.label(
            tick.label, x: x(tick.value), y: frame.bottom + 17, cssClass: "tick-label", limit: 16)
        }
      }
    }
    if !panel.x.label.isEmpty {
      out.label(
        panel.x.label, x: (frame.left + frame.right) / 2,
        y: frame.bottom + frame.xTickArea + 15, size: Metrics.labelFont,
        cssClass: "axis-label", limit: min(40, Int((frame.right - frame.left) / 7.2)))
    }
    out.close("g")
    out.open("g", [("class", "axis y"), ("font-size", n(Metrics.tickFont))])
    out.element("path", [
      ("class", "ticks"), ("stroke", "#555555"),
      ("d", y.ticks.map { "M\(n(frame.left)) \(n(y($0.value)))h-5" }.joined()),
    ])
    if panel.y.showsTickLabels {
      for tick in y.ticks {
        out.label(
          tick.label, x: frame.left - 7, y: y(tick.value) + 4, anchor: "end",
          cssClass: "tick-label")
      }
    }
    if !panel.y.label.isEmpty {
      let (labelX, labelY) = (frame.cellX + 14, (frame.top + frame.bottom) / 2)
      out.label(
        panel.y.label, x: labelX, y: labelY, size: Metrics.labelFont, cssClass: "axis-label",
        extra: [("transform", "rotate(-90 \(n(labelX)) \(n(labelY)))")],
        limit: min(40, Int((frame.bottom - frame.top) / 7.2)))
    }
    out.close("g")
  }

  // MARK: - Legend

  /// Draws the legend at the right edge and returns the width it takes.
  private func drawLegend(into out: inout SVGWriter, top: Double, width: Double, height: Double)
    -> Double
  {
    let entries = legend.entries
    guard !entries.isEmpty else { return 0 }
    let labels = entries.map { SVGText.clean($0.label) }
    let titleRow = legend.title.isEmpty ? 0.0 : Metrics.legendRow + 2
    let perColumn = max(1, Int((height - top - 10 - titleRow) / Metrics.legendRow))
    let columns = (entries.count + perColumn - 1) / perColumn
    let widest = labels.map { SVGText.width($0, size: Metrics.legendFont) }.max() ?? 0
    let columnWidth = min(36 + widest, width / 3, width / 2 / Double(columns))
    let legendWidth = max(
      Double(columns) * columnWidth, SVGText.width(legend.title, size: Metrics.legendFont)) + 16
    let left = width - legendWidth + 4
    out.open("g", [("class", "legend"), ("font-size", n(Metrics.legendFont))])
    if !legend.title.isEmpty {
      out.label(
        legend.title, x: left, y: top + 14, anchor: "start", cssClass: "legend-title",
        extra: [("font-weight", "bold")])
    }
    for (index, entry) in entries.enumerated() {
      let x = left + Double(index / perColumn) * columnWidth
      let y = top + titleRow + 10 + Double(index % perColumn) * Metrics.legendRow
      out.open("g", [("class", "legend-entry")])
      var opacity: [(String, String)] = entry.opacity < 1 ? [("opacity", n(entry.opacity))] : []
      switch entry.symbol {
      case .line(let lineWidth, let dash):
        if let dash { opacity.append(("stroke-dasharray", dash)) }
        out.element("line", [
          ("x1", n(x)), ("y1", n(y)), ("x2", n(x + 24)), ("y2", n(y)), ("stroke", entry.color.hex),
          ("stroke-width", n(lineWidth)),
        ] + opacity)
      case .point(let radius, let hollow):
        out.element("circle", [
          ("cx", n(x + 12)), ("cy", n(y)), ("r", n(radius)),
          hollow ? ("fill", "none") : ("fill", entry.color.hex),
        ] + (hollow ? [("stroke", entry.color.hex), ("stroke-width", "2")] : []) + opacity)
      case .box:
        out.element("rect", [
          ("x", n(x + 4)), ("y", n(y - 6)), ("width", "16"), ("height", "12"),
          ("fill", entry.color.hex),
        ] + opacity)
      }
      out.label(
        labels[index], x: x + 30, y: y + 4, anchor: "start", cssClass: "legend-label",
        limit: max(4, Int(((columnWidth - 36) / 7.2).rounded())))
      out.close("g")
    }
    out.close("g")
    return legendWidth
  }
}

extension Axes {
  /// The data extents of all layers.
  fileprivate func extents() -> (Extent, Extent) {
    var x = Extent()
    var y = Extent()
    for layer in layers { layer.extend(x: &x, y: &y) }
    return (x, y)
  }
}

// MARK: - Layers

extension Figure {
  private func draw(
    _ layer: Layer, x: Scale, y: Scale, frame: PanelFrame, into out: inout SVGWriter
  ) {
    switch layer {
    case .line(let line):
      // A lone point between gaps becomes a zero-length segment, drawn as a dot by round caps.
      var path = ""
      var run = 0
      var singles = false
      for (u, v) in zip(line.x, line.y) + [(Double.nan, Double.nan)] {
        guard u.isFinite && v.isFinite else {
          if run == 1 {
            path += "h0"
            singles = true
          }
          run = 0
          continue
        }
        path += (run == 0 ? "M" : "L") + n(x(u)) + " " + n(y(v))
        run += 1
      }
      guard !path.isEmpty else { return }
      var attributes = [
        ("class", line.cssClass), ("d", path), ("fill", "none"), ("stroke", line.color.hex),
        ("stroke-width", n(line.width)), ("stroke-linejoin", "round"),
      ]
      if singles { attributes.append(("stroke-linecap", "round")) }
      if let dash = line.dash { attributes.append(("stroke-dasharray", dash)) }
      if line.opacity < 1 { attributes.append(("stroke-opacity", n(line.opacity))) }
      out.element("path", attributes)
      if line.markers {
        let points = ScatterSeries(
          x: line.x, y: line.y, color: line.color, radius: line.width + 1.5,
          opacity: line.opacity, cssClass: "markers")
        draw(.scatter(points), x: x, y: y, frame: frame, into: &out)
      }
    case .scatter(let scatter):
      drawScatter(scatter, x: x, y: y, into: &out)
    case .ellipse(let ellipse):
      guard let outline = ellipse.outline() else { return }
      let path = outline.enumerated().map { index, point in
        (index == 0 ? "M" : "L") + n(x(point.0)) + " " + n(y(point.1))
      }.joined() + "Z"
      out.element("path", [
        ("class", ellipse.cssClass), ("d", path), ("fill", "none"),
        ("stroke", ellipse.color.hex), ("stroke-width", n(ellipse.width)),
      ])
    case .histogram(let histogram):
      out.open("g", [
        ("class", histogram.cssClass), ("fill", histogram.color.hex), ("stroke", "#FFFFFF"),
        ("stroke-width", "0.5"),
      ] + (histogram.opacity < 1 ? [("fill-opacity", n(histogram.opacity))] : []))
      for (index, height) in histogram.heights.enumerated()
      where index + 1 < histogram.edges.count && height.isFinite && height > 0 {
        let (left, right) = (histogram.edges[index], histogram.edges[index + 1])
        rect(from: (left, 0), to: (right, height), x, y, &out)
      }
      out.close("g")
    case .bars(let bars):
      let width = bars.groupWidth / Double(max(bars.series.count, 1))
      for (index, values) in bars.series.enumerated() {
        let color = index < bars.colors.count ? bars.colors[index] : Palette.color(index)
        let name = index < bars.classes.count ? bars.classes[index] : "bars"
        out.open("g", [("class", name), ("fill", color.hex)])
        for (category, value) in values.enumerated() where value.isFinite {
          let left = Double(category) - bars.groupWidth / 2 + Double(index) * width
          rect(from: (left, 0), to: (left + width, value), x, y, &out)
        }
        out.close("g")
      }
    case .stackedArea(let area):
      var cumulative = [Double](repeating: 0, count: area.x.count)
      var tops: [[Double]] = []
      for values in area.series {
        for index in cumulative.indices where index < values.count && values[index].isFinite {
          cumulative[index] += max(values[index], 0)
        }
        tops.append(cumulative)
      }
      let columns = area.x.indices.filter { area.x[$0].isFinite }
      guard let first = columns.first, let last = columns.last else { return }
      for index in tops.indices.reversed() {
        var path = "M\(n(x(area.x[first]))) \(n(y(0)))"
        for column in columns { path += "L\(n(x(area.x[column]))) \(n(y(tops[index][column])))" }
        path += "L\(n(x(area.x[last]))) \(n(y(0)))Z"
        let color = index < area.colors.count ? area.colors[index] : Palette.color(index)
        out.element("path", [("class", area.cssClass), ("d", path), ("fill", color.hex)])
      }
    case .intervals(let intervals):
      var path = ""
      var dots = ""
      for (index, position) in intervals.positions.enumerated() where position.isFinite {
        let values = [intervals.lower, intervals.upper, intervals.estimates].map {
          index < $0.count ? $0[index] : .nan
        }
        let point = { (value: Double) in
          intervals.horizontal ? (x(value), y(position)) : (x(position), y(value))
        }
        if values[0].isFinite && values[1].isFinite {
          let (a, b) = (point(values[0]), point(values[1]))
          path += "M\(n(a.0)) \(n(a.1))L\(n(b.0)) \(n(b.1))"
        }
        if values[2].isFinite {
          let c = point(values[2])
          dots += "<circle cx=\"\(n(c.0))\" cy=\"\(n(c.1))\" r=\"3.5\"/>\n"
        }
      }
      out.open("g", [("class", intervals.cssClass), ("fill", intervals.color.hex)])
      if !path.isEmpty {
        out.element("path", [("d", path), ("stroke", intervals.color.hex), ("stroke-width", "2")])
      }
      out.text += dots
      out.close("g")
    case .reference(let line):
      guard line.value.isFinite else { return }
      let (x1, y1, x2, y2) = line.vertical
        ? (x(line.value), frame.top, x(line.value), frame.bottom)
        : (frame.left, y(line.value), frame.right, y(line.value))
      out.element("line", [
        ("class", line.cssClass), ("x1", n(x1)), ("y1", n(y1)), ("x2", n(x2)), ("y2", n(y2)),
        ("stroke", line.color.hex), ("stroke-width", "1.2"),
      ] + (line.dash.map { [("stroke-dasharray", $0)] } ?? []))
    }
  }

  private func rect(
    from a: (Double, Double), to b: (Double, Double), _ x: Scale, _ y: Scale,
    _ out: inout SVGWriter
  ) {
    let (x1, x2) = (x(a.0), x(b.0))
    let (y1, y2) = (y(a.1), y(b.1))
    out.text += "<rect x=\"\(n(min(x1, x2)))\" y=\"\(n(min(y1, y2)))\" width=\"\(n(abs(x2 - x1)))\""
      + " height=\"\(n(abs(y2 - y1)))\"/>\n"
  }

  private func drawScatter(
    _ scatter: ScatterSeries, x: Scale, y: Scale, into out: inout SVGWriter
  ) {
    // Group points by (colour index, opacity in tenths); groups are written in sorted order.
    var groups: [Int: [Int]] = [:]
    for index in scatter.x.indices where index < scatter.y.count {
      guard scatter.x[index].isFinite && scatter.y[index].isFinite else { continue }
      let colorIndex = scatter.colors.isEmpty ? -2 : (index < scatter.colors.count
        ? max(scatter.colors[index], -1) : -1)
      let opacity = index < scatter.opacities.count ? scatter.opacities[index] : scatter.opacity
      let tenths = opacity.isFinite ? min(max(Int((opacity * 10).rounded()), 1), 10) : 10
      groups[(colorIndex + 2) * 16 + tenths, default: []].append(index)
    }
    for key in groups.keys.sorted() {
      let (colorIndex, tenths) = (key / 16 - 2, key % 16)
      let color = colorIndex == -2 ? scatter.color : Palette.color(colorIndex)
      var attributes = [("class", scatter.cssClass)]
      if scatter.hollow {
        attributes += [("fill", "none"), ("stroke", color.hex), ("stroke-width", "2")]
      } else {
        attributes.append(("fill", color.hex))
      }
      if tenths < 10 { attributes.append(("opacity", n(Double(tenths) / 10))) }
      out.open("g", attributes)
      for index in groups[key] ?? [] {
        let radius = index < scatter.radii.count ? scatter.radii[index] : scatter.radius
        let r = SVGText.number(radius.isFinite ? max(radius, 0.3) : scatter.radius, decimals: 1)
        let (cx, cy) = (n(x(scatter.x[index])), n(y(scatter.y[index])))
        out.text += "<circle cx=\"\(cx)\" cy=\"\(cy)\" r=\"\(r)\"/>\n"
      }
      out.close("g")
    }
  }
}
