import Testing
@testable import EMZooCommandLine

@Suite struct SubsampleTests {
  @Test func splitMix64ReferenceValues() {
    // The reference sequence of SplitMix64 from seed 0 (Vigna's splitmix64.c).
    var generator = SplitMix64(seed: 0)
    #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
    #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
    #expect(generator.next() == 0x06C4_5D18_8009_454F)
  }

  @Test func smallCountsAreKeptWhole() {
    #expect(Subsample.indices(count: 5, limit: 10, seed: 1) == [0, 1, 2, 3, 4])
    #expect(Subsample.indices(count: 0, limit: 10, seed: 1).isEmpty)
    #expect(Subsample.indices(count: 10, limit: 0, seed: 1).isEmpty)
  }

  @Test func largeCountsGiveSortedDistinctFixedIndices() {
    let first = Subsample.indices(count: 1_000_000, limit: 20_000, seed: 7)
    #expect(first.count == 20_000)
    #expect(zip(first, first.dropFirst()).allSatisfy { $0 < $1 })
    #expect(first.first ?? -1 >= 0 && first.last ?? Int.max < 1_000_000)
    #expect(first == Subsample.indices(count: 1_000_000, limit: 20_000, seed: 7))
    #expect(first != Subsample.indices(count: 1_000_000, limit: 20_000, seed: 8))
    // Roughly uniform: each tenth of the range holds 2 000 ± 10%.
    let tenths = (0..<10).map { t in first.filter { $0 / 100_000 == t }.count }
    #expect(tenths.allSatisfy { abs($0 - 2_000) < 200 })
  }
}
