import Testing
@testable import EMZooCommandLine

@Suite struct SVGTextTests {
  @Test func numbersAreShortAndFixed() {
    #expect(SVGText.number(0.1 + 0.2) == "0.3")
    #expect(SVGText.number(12.5) == "12.5")
    #expect(SVGText.number(3.14159) == "3.14")
    #expect(SVGText.number(-2) == "-2")
    #expect(SVGText.number(-0.001) == "0")
    #expect(SVGText.number(0.05) == "0.05")
    #expect(SVGText.number(1.005, decimals: 1) == "1")
    #expect(SVGText.number(.nan) == "0")
    #expect(SVGText.number(.infinity) == "0")
    #expect(SVGText.number(1e20) == "1000000000000")
  }

  @Test func textIsEscapedAndCleaned() {
    #expect(SVGText.escape("a<b & \"c\" > 'd'") == "a&lt;b &amp; &quot;c&quot; &gt; &apos;d&apos;")
    #expect(SVGText.clean("a\u{0}b\u{7}c\td\ne") == "abc d e")
    let long = String(repeating: "x", count: 100)
    #expect(SVGText.clean(long).count == 40)
    #expect(SVGText.clean(long).hasSuffix("…"))
    #expect(SVGText.clean("short") == "short")
  }
}
