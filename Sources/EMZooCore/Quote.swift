/// User values in error messages: at most ~60 characters, every control, format, private-use or
/// unassigned character escaped, so a 100 MB field or a NUL byte never makes an unreadable or
/// endless error line.
public enum Quote {
  /// The text with non-printable characters escaped, cut to `limit` characters ("…" marks a cut).
  public static func text(_ s: String, limit: Int = 60) -> String {
    var out = ""
    var count = 0
    for scalar in s.unicodeScalars {
      if count >= limit {
        out += "…"
        break
      }
      switch scalar {
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "\0": out += "\\0"
      case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
        || [.format, .lineSeparator, .paragraphSeparator, .privateUse, .unassigned, .surrogate]
          .contains(scalar.properties.generalCategory):
        out += "\\u{\(String(scalar.value, radix: 16))}"
      default: out.unicodeScalars.append(scalar)
      }
      count += 1
    }
    return out
  }

  /// `'text'`, escaped and cut as `text(_:limit:)`.
  public static func value(_ s: String, limit: Int = 60) -> String { "'\(text(s, limit: limit))'" }

  /// A list of names, quoted, cut after `limit` characters in all ("… (N in all)").
  public static func list(_ names: [String], limit: Int = 120) -> String {
    var out = ""
    for (i, name) in names.enumerated() {
      let piece = (i > 0 ? ", " : "") + text(name, limit: 40)
      if out.count + piece.count > limit {
        return out + ", … (\(names.count) in all)"
      }
      out += piece
    }
    return out
  }

  /// The command line's error line for `message`: "emzoo: " and the message escaped, at most
  /// `limit` characters in all (the contract's limit), "…" included when the message is cut.
  public static func errorLine(_ message: String, limit: Int = 300) -> String {
    let prefix = "emzoo: "
    let room = limit - prefix.count
    // `text` counts an escape (\u{7f}) as one character of its limit: cut what it returns too.
    let escaped = text(message, limit: room)
    return prefix + (escaped.count <= room ? escaped : escaped.prefix(room - 1) + "…")
  }
}
