import Foundation
import Testing
import EMZooCore
@testable import EMZooModels

/// The rows an HMM's starts draw from (`HiddenMarkovModel.withoutMissingRows`): the data set
/// itself when no row is entirely missing, else a copy without those rows, made once per data
/// set and kept in its memo.
@Suite struct ObservedRowsTests {
  typealias Model = HiddenMarkovModel<PoissonFamily>

  @Test func rowsWithAnObservedEntryAreCopiedOncePerDataSet() throws {
    let nan = Double.nan
    let values: [Double] = [1, 2, nan, nan, 3, nan, nan, 4, 5, 6]
    let data = DataSet(source: "t", columns: ["a", "b"], values: values)
    let first = Model.withoutMissingRows(data), again = Model.withoutMissingRows(data)
    func address(_ s: DataSet) -> UnsafePointer<Double>? { s.values.withUnsafeBufferPointer { $0.baseAddress } }
    #expect(first.rows == 4 && first.values.elementsEqual([1, 2, 3, nan, nan, 4, 5, 6]) { $0 == $1 || ($0.isNaN && $1.isNaN) })
    #expect(address(first) == address(again))
    // A copy with another matrix shares the memo but gets its own rows.
    var changed = data
    changed.values[0] = 7
    #expect(Model.withoutMissingRows(changed).values.first == 7)
    // Without a missing row: the data set itself, nothing copied or kept.
    let complete = DataSet(source: "t", columns: ["a"], values: [1, 2, 3])
    #expect(address(Model.withoutMissingRows(complete)) == address(complete))
    #expect(complete.memo.value(ObservedRows.self) == nil)
  }
}
