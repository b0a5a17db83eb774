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
  let (spec, kind, path) = try group.agreeing { try specKindAndDataPath(specPath, data: dataPath, output: output) }
  var table = try DistributedReader.read(path: path, columns: spec.columns, sequence: spec.sequenceColumn, group: group)
  let model = try group.agreeing { try makeModel(kind, spec: spec, table: table) }
  if table.held != nil, !((model as? any RowWindowFitting)?.fitsRowWindows ?? false) {
    table = table.gatheringRows(group: group)
  }
  try group.agreeing { try checkMemory(model, spec: spec, table: table) }
  return (spec, table, model)
}
