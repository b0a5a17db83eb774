import Testing
@testable import EMZooCommandLine

@Suite struct PaletteTests {
  @Test func okabeItoFirstThenLighterAndDashed() {
    #expect(Palette.color(0).hex == "#E69F00")
    #expect(Palette.color(7).hex == "#000000")
    #expect(Palette.color(8) != Palette.color(0))
    #expect(Palette.color(16) != Palette.color(8))
    #expect(Palette.dash(3) == nil)
    #expect(Palette.dash(8) != nil)
    #expect(Palette.color(-1) == Color.gray)
    #expect(Set((0..<20).map { Palette.color($0).hex }).count == 20)
  }
}
