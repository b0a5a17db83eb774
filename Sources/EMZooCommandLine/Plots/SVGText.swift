// MARK: - Numbers and text for SVG output

/// Locale-independent, deterministic formatting of numbers and text for SVG output.
///
/// Coordinates are written with at most two decimals and no trailing zeros (`12.5`, `-3`,
/// `0`); non-finite values are written as `0` and magnitudes are clamped to 10¹². Text is
/// cleaned of control characters, truncated, and escaped for XML.
public enum SVGText {
  private static let powersOfTen: [Int64] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]

  /// `x` with at most `decimals` (0...6) decimals, trailing zeros dropped, never `-0`.
  public static func number(_ x: Double, decimals: Int = 2) -> String {
    guard x.isFinite else { return "0" }
    let digits = min(max(decimals, 0), 6)
    let scale = powersOfTen[digits]
    let scaled = Int64((min(max(x, -1e12), 1e12) * Double(scale)).rounded())
    if scaled == 0 { return "0" }
    let magnitude = scaled.magnitude
    var text = scaled < 0 ? "-" : ""
    text += String(magnitude / UInt64(scale))
    var fraction = magnitude % UInt64(scale)
    if fraction != 0 {
      var width = digits
      while fraction % 10 == 0 {
        fraction /= 10
        width -= 1
      }
      let tail = String(fraction)
      text += "." + String(repeating: "0", count: width - tail.count) + tail
    }
    return text
  }

  /// `text` without control characters (tabs and newlines become spaces), cut to `limit`
  /// characters with a trailing `…` when longer.
  public static func clean(_ text: String, limit: Int = 40) -> String {
    var scalars = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      switch scalar.value {
      case 0x09, 0x0A, 0x0D: scalars.append(" ")
      case 0x00..<0x20, 0x7F...0x9F, 0xFFFE, 0xFFFF: continue
      default: scalars.append(scalar)
      }
    }
    let cleaned = String(scalars)
    guard cleaned.count > limit, limit > 1 else { return cleaned }
    return String(cleaned.prefix(limit - 1)) + "…"
  }

  /// `text` with `&`, `<`, `>`, `"` and `'` replaced by XML entities.
  public static func escape(_ text: String) -> String {
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count)
    for character in text {
      switch character {
      case "&": escaped += "&amp;"
      case "<": escaped += "&lt;"
      case ">": escaped += "&gt;"
      case "\"": escaped += "&quot;"
      case "'": escaped += "&apos;"
      default: escaped.append(character)
      }
    }
    return escaped
  }

  /// Cleaned and escaped text, ready to stand between tags or in an attribute.
  static func label(_ text: String, limit: Int = 40) -> String {
    escape(clean(text, limit: limit))
  }

  /// Estimated width in pixels of `text` in a sans-serif font of `size` pixels.
  static func width(_ text: String, size: Double) -> Double {
    Double(text.count) * size * 0.6
  }
}

// MARK: - Writer

/// Appends SVG elements to a string; attributes keep the order they are given in.
struct SVGWriter {
  var text = ""

  /// Appends `<name a="v" …/>`, or `<name …>content</name>` when `content` is given
  /// (content must be escaped already).
  mutating func element(_ name: String, _ attributes: [(String, String)], content: String? = nil) {
    open(name, attributes, selfClosing: content == nil)
    if let content {
      text += content
      close(name)
    }
  }

  mutating func open(_ name: String, _ attributes: [(String, String)], selfClosing: Bool = false) {
    text += "<" + name
    for (key, value) in attributes {
      text += " " + key + "=\"" + value + "\""
    }
    text += selfClosing ? "/>\n" : ">"
    if !selfClosing && name == "g" { text += "\n" }
  }

  mutating func close(_ name: String) {
    text += "</" + name + ">\n"
  }

  /// Appends a `<text>` element with cleaned, escaped content.
  mutating func label(
    _ content: String, x: Double, y: Double, anchor: String = "middle", size: Double? = nil,
    cssClass: String, extra: [(String, String)] = [], limit: Int = 40
  ) {
    var attributes = [("class", cssClass), ("x", SVGText.number(x)), ("y", SVGText.number(y))]
    if anchor != "start" { attributes.append(("text-anchor", anchor)) }
    if let size { attributes.append(("font-size", SVGText.number(size))) }
    element("text", attributes + extra, content: SVGText.label(content, limit: limit))
  }
}
