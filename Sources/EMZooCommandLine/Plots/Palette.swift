/// A colour written as `#RRGGBB`.
public struct Color: Sendable, Hashable {
  public var hex: String

  public init(hex: String) {
    self.hex = hex
  }

  public static let black = Color(hex: "#000000")
  public static let gray = Color(hex: "#999999")
  public static let lightGray = Color(hex: "#E5E5E5")

  /// This colour moved a fraction `amount` (0...1) towards `target`.
  func mixed(with target: (Int, Int, Int), amount: Double) -> Color {
    let digits = Array(hex.utf8.dropFirst())
    func channel(_ index: Int) -> Int {
      guard digits.count == 6 else { return 0 }
      return Int(String(decoding: digits[(2 * index)..<(2 * index + 2)], as: UTF8.self), radix: 16)
        ?? 0
    }
    let targets = [target.0, target.1, target.2]
    var result = "#"
    for index in 0..<3 {
      let value = Double(channel(index)) * (1 - amount) + Double(targets[index]) * amount
      let byte = min(max(Int(value.rounded()), 0), 255)
      let text = String(byte, radix: 16, uppercase: true)
      result += text.count < 2 ? "0" + text : text
    }
    return Color(hex: result)
  }
}

/// The Okabe–Ito colour-blind-safe palette, cycled with lightness and dashes beyond 8.
///
/// Index k uses colour `k mod 8`; the second round of 8 is lightened 45% towards white, the
/// third darkened 35% towards black, and so on alternately. Lines also change dash pattern
/// every round (solid, `6 3`, `2 2`, `8 3 2 3`), so 32 series stay distinct.
///
/// [Okabe & Ito 2008]: https://jfly.uni-koeln.de/color/
public enum Palette {
  public static let okabeIto: [Color] = [
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000",
  ].map { Color(hex: $0) }

  /// The colour of series `index` (negative indices give grey).
  public static func color(_ index: Int) -> Color {
    guard index >= 0 else { return Color.gray }
    let base = okabeIto[index % okabeIto.count]
    let round = index / okabeIto.count
    if round == 0 { return base }
    return round % 2 == 1
      ? base.mixed(with: (255, 255, 255), amount: 0.45)
      : base.mixed(with: (0, 0, 0), amount: 0.35)
  }

  /// The dash pattern of line `index`, or nil for a solid line.
  public static func dash(_ index: Int) -> String? {
    let patterns: [String?] = [nil, "6 3", "2 2", "8 3 2 3"]
    return patterns[(max(index, 0) / okabeIto.count) % patterns.count]
  }
}
