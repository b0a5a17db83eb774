import Foundation
import Testing
import EMZooCore
@testable import EMZooModels

/// The rows an HMM's starts draw from (`HiddenMarkovModel.withoutMissingRows`): the data set
/// itself, not a copy, when no row is entirely missing; else a copy without those rows.
@Suite struct ObservedRowsTests {
  typealias Model = HiddenMarkovModel<PoissonFamily>

  @Test func rowsWithNothingObservedAreLeftOut() throws {
    let nan = Double.nan
    let data = DataSet(source: "t", columns: ["a", "b"], values: [1, 2, nan, nan, 3, nan, nan, 4, 5, 6])
    let observed = Model.withoutMissingRows(data)
    #expect(observed.rows == 4)
    #expect(observed.values.elementsEqual([1, 2, 3, nan, nan, 4, 5, 6]) { $0 == $1 || ($0.isNaN && $1.isNaN) })
    func address(_ s: DataSet) -> UnsafePointer<Double>? { s.values.withUnsafeBufferPointer { $0.baseAddress } }
    let complete = DataSet(source: "t", columns: ["a"], values: [1, 2, 3])
    #expect(address(Model.withoutMissingRows(complete)) == address(complete))
  }
}
