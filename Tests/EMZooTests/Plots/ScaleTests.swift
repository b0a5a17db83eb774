import Testing
@testable import EMZooCommandLine

@Suite struct ScaleTests {
  @Test func unitIntervalTicks() {
    let nice = Scale.nice(lower: 0, upper: 1, count: 5)
    #expect(nice.ticks.map(\.label) == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
    #expect(nice.lower == 0 && nice.upper == 1)
  }

  @Test func decimalStepsAreExact() {
    let nice = Scale.nice(lower: 0.1, upper: 0.7, count: 6)
    #expect(nice.ticks.map(\.label) == ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"])
    #expect(nice.ticks[2].value == 0.3)
  }

  @Test func widensToWholeStepsWhenCheap() {
    let nice = Scale.nice(lower: 0.3, upper: 9.7, count: 5)
    #expect(nice.lower == 0 && nice.upper == 10)
    #expect(nice.ticks.map(\.label) == ["0", "2", "4", "6", "8", "10"])
  }

  @Test func largeAndSmallUseExponents() {
    #expect(Scale.nice(lower: 0, upper: 500_000, count: 5).ticks.map(\.label)
      == ["0", "1e+05", "2e+05", "3e+05", "4e+05", "5e+05"])
    #expect(Scale.label(15_000_000, step: 5_000_000, magnitude: 2e7) == "1.5e+07")
    #expect(Scale.label(0.00025, step: 0.00005, magnitude: 0.0003) == "2.5e-04")
    #expect(Scale.label(-1200, step: 100, magnitude: 1500) == "-1200")
    #expect(Scale.label(2.5, step: 0.5, magnitude: 5) == "2.5")
  }

  @Test func degenerateIntervalsArePadded() {
    #expect(Scale.padded(lower: 3, upper: 3) == (2.85, 3.15))
    #expect(Scale.padded(lower: 0, upper: 0) == (-0.5, 0.5))
    #expect(Scale.padded(lower: .nan, upper: 1) == (0, 1))
    #expect(Scale.nice(lower: 5, upper: 5, count: 4).ticks.count >= 2)
  }

  @Test func integerAxesKeepWholeSteps() {
    let nice = Scale.nice(lower: 0, upper: 2, count: 8, integer: true)
    #expect(nice.ticks.map(\.label) == ["0", "1", "2"])
  }
}
