import Foundation

/// A labelled position on an axis.
public struct Tick: Sendable, Hashable {
  public var value: Double
  public var label: String

  public init(value: Double, label: String) {
    self.value = value
    self.label = label
  }
}

/// A linear map from a data interval to a pixel interval, with its ticks.
///
/// `Scale.nice(lower:upper:count:)` places ticks at multiples of a 1-2-5 step (1, 2 or
/// 5 × 10ᵏ), widening the interval to whole steps when that costs little, and labels the
/// ticks with `Scale.label(_:step:magnitude:)`: fixed notation (`0.5`, `-1200`) unless the
/// largest tick reaches 10⁵ or the step is below 10⁻³, then `1.5e+05` style. An empty or
/// non-finite interval becomes [0, 1]; a zero-width one is padded by 5% of its magnitude (or
/// 0.5 around zero).
public struct Scale: Sendable {
  /// The data interval, `lower < upper`.
  public var lower: Double
  public var upper: Double
  /// Pixel positions of `lower` and `upper` (for a y axis `start` is the bottom).
  public var start: Double
  public var end: Double
  public var ticks: [Tick]

  public init(lower: Double, upper: Double, start: Double, end: Double, ticks: [Tick]) {
    self.lower = lower
    self.upper = upper
    self.start = start
    self.end = end
    self.ticks = ticks
  }

  /// The pixel position of data value `value`.
  public func callAsFunction(_ value: Double) -> Double {
    start + (value - lower) / (upper - lower) * (end - start)
  }

  /// A usable interval around `lower...upper`: finite, ordered and of positive width.
  public static func padded(lower: Double, upper: Double) -> (Double, Double) {
    guard lower.isFinite, upper.isFinite, lower <= upper else { return (0, 1) }
    if upper - lower > max(abs(lower), abs(upper)) * 1e-12 { return (lower, upper) }
    let pad = lower == 0 ? 0.5 : abs(lower) * 0.05
    return (lower - pad, upper + pad)
  }

  /// The 1-2-5 step giving about `count` intervals over `span`, as `factor × 10^exponent`.
  static func niceStep(span: Double, count: Int, integer: Bool) -> (factor: Int, exponent: Int) {
    let raw = span / Double(max(count, 1))
    var exponent = Int(floor(log10(raw)))
    let normalized = raw / pow(10, Double(exponent))
    var factor = normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10
    if factor == 10 {
      factor = 1
      exponent += 1
    }
    if integer && exponent < 0 { return (1, 0) }
    return (factor, exponent)
  }

  /// `multiple × factor × 10^exponent`, computed so that decimal steps stay exact (0.3, not
  /// 0.30000000000000004).
  static func stepValue(_ multiple: Double, factor: Int, exponent: Int) -> Double {
    let scaled = multiple * Double(factor)
    return exponent >= 0
      ? scaled * pow(10, Double(exponent)) : scaled / pow(10, Double(-exponent))
  }

  /// Nice ticks over `lower...upper`, about `count` intervals; `integer` keeps the step at 1
  /// or more. With `widen` the interval grows to whole steps when that adds at most 12%.
  public static func nice(
    lower: Double, upper: Double, count: Int, widen: Bool = true, integer: Bool = false
  ) -> (lower: Double, upper: Double, ticks: [Tick]) {
    var (low, high) = padded(lower: lower, upper: upper)
    let (factor, exponent) = niceStep(span: high - low, count: count, integer: integer)
    let step = stepValue(1, factor: factor, exponent: exponent)
    var first = (low / step - 1e-9).rounded(.up)
    var last = (high / step + 1e-9).rounded(.down)
    let wideFirst = (low / step + 1e-9).rounded(.down)
    let wideLast = (high / step - 1e-9).rounded(.up)
    let (wideLow, wideHigh) = (
      min(low, stepValue(wideFirst, factor: factor, exponent: exponent)),
      max(high, stepValue(wideLast, factor: factor, exponent: exponent))
    )
    if widen && (wideHigh - wideLow) <= 1.12 * (high - low) {
      (first, last, low, high) = (wideFirst, wideLast, wideLow, wideHigh)
    }
    guard last - first < 1000 else { return (low, high, []) }
    let values = stride(from: first, through: last, by: 1).map {
      stepValue($0, factor: factor, exponent: exponent)
    }.filter { $0 >= low - step * 1e-9 && $0 <= high + step * 1e-9 }
    let magnitude = values.map(abs).max() ?? 0
    let ticks = values.map { Tick(value: $0, label: label($0, step: step, magnitude: magnitude)) }
    return (low, high, ticks)
  }

  /// A short label for tick `value` on an axis with 1-2-5 `step` whose largest tick has
  /// absolute value `magnitude`: `0.5`, `-1200`, `1e+05`, `2.5e-04`.
  public static func label(_ value: Double, step: Double, magnitude: Double) -> String {
    guard value.isFinite, step > 0 else { return "" }
    if abs(value) < step * 1e-6 { return "0" }
    let stepExponent = Int(floor(log10(step) + 1e-9))
    if magnitude < 1e5 && step >= 1e-3 {
      return SVGText.number(value, decimals: max(0, -stepExponent))
    }
    var exponent = Int(floor(log10(abs(value))))
    let decimals = min(max(0, exponent - stepExponent), 6)
    var mantissa = value / pow(10, Double(exponent))
    if abs((mantissa * pow(10, Double(decimals))).rounded()) >= 10 * pow(10, Double(decimals)) {
      exponent += 1
      mantissa = value / pow(10, Double(exponent))
    }
    let power = String(abs(exponent))
    return SVGText.number(mantissa, decimals: decimals) + "e" + (exponent < 0 ? "-" : "+")
      + (power.count < 2 ? "0" + power : power)
  }
}
