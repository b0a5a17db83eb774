import Testing

@testable import EMZooCore

/// Error lines: printable whatever the input holds, and within the contract's 300 characters.
@Suite struct QuoteTests {
  @Test func unprintableCharactersAreEscaped() {
    #expect(Quote.text("a\u{0}b\n\u{7F}\u{85}") == #"a\0b\n\u{7f}\u{85}"#)
    // Format (U+200B), private use (U+E000), unassigned (U+BF314: scripts/fuzz.py found it in a
    // mutated .npy header) and separators (U+2028) are escaped; letters and symbols are not.
    #expect(Quote.text("\u{200B}\u{E000}\u{BF314}\u{2028}") == #"\u{200b}\u{e000}\u{bf314}\u{2028}"#)
    #expect(Quote.text("é€😀") == "é€😀")
  }

  @Test func errorLinesStayWithin300Characters() {
    #expect(Quote.errorLine("short") == "emzoo: short")
    let exact = String(repeating: "x", count: 293)
    #expect(Quote.errorLine(exact) == "emzoo: " + exact)
    for long in [String(repeating: "é", count: 1000), String(repeating: "\u{1}", count: 400), exact + "y"] {
      let line = Quote.errorLine(long)
      #expect(line.count == 300 && line.hasPrefix("emzoo: ") && line.hasSuffix("…"), "\(line.count)")
    }
  }
}
