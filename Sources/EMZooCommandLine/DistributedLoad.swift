import EMZooCore
import EMZooModels
import EMZooSpec
import Foundation

/// `loadSpecAndData` for the processes of an MPI launch: each process reads only its own rows
/// of the data file (`DistributedReader`); when the model cannot fit row windows
/// (`RowWindowFitting`), every row is then gathered on every process. Every step that can fail
/// is agreed, so all processes fail together with the message a single process would print.
func loadDistributed(_ specPath: String, data dataPath: String?, output: String?,
                     group: any ProcessGroup) throws -> (ModelSpec, DataSet, any SpecifiedModel) {
  let registry = EMZooCommandLine.registry
  let (spec, kind, path) = try group.agreeing { () throws -> (ModelSpec, ModelKind, String) in
    let spec = try ModelSpec.load(path: specPath)
    let kind = try registry.kind(named: spec.model, in: spec)
    guard let path = dataPath ?? spec.dataPath else {
      throw InputError("\(spec.file): no data: give --data FILE.csv or a \"data\" field in the spec")
    }
    try checkOutputPath(output, reading: [specPath, path])
    return (spec, kind, path)
  }
  var table = try DistributedReader.read(path: path, columns: spec.columns, sequence: spec.sequenceColumn, group: group)
  let model = try group.agreeing { () throws -> any SpecifiedModel in
    if let declared = try? kind.make(spec, nil, registry),
       let absent = declared.requiredColumns.first(where: { !table.columns.contains($0.name) }) {
      throw InputError("\(table.source): no column \(Quote.value(absent.name)) (\(absent.field)); the data has \(Quote.list(table.columns))")
    }
    if spec.parameters.isPresent, let declared = try? kind.make(spec, nil, registry), declared.dimension != table.dimension {
      throw InputError("\(table.source): the spec's parameters describe \(declared.dimension) data columns, the data has \(table.dimension) (\(Quote.list(table.columns))); pick columns with the spec's \"columns\"")
    }
    return try kind.make(spec, table.dimension, registry)
  }
  if table.held != nil, !((model as? any RowWindowFitting)?.fitsRowWindows ?? false) {
    table = table.gatheringRows(group: group)
  }
  try group.agreeing {
    try Limits.checkMemory(
      model.memoryEstimate(rows: table.rows, dimension: table.dimension,
                           longestSequence: table.sequences.map(\.count).max() ?? table.rows,
                           threads: ProcessInfo.processInfo.activeProcessorCount, mapped: table.values.isExternal),
      "\(spec.file): \(spec.model) on \(table.rows) rows of \(table.dimension) columns")
  }
  return (spec, table, model)
}
