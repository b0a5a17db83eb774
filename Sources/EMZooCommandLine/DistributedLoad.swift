import EMZooCore
import EMZooModels
import EMZooSpec
import Foundation

/// `loadSpecAndData` for the processes of an MPI launch: each process reads only its own rows
/// of the data file (`DistributedReader`), in windows of the style the spec's model fits (whole
/// sequences for an HMM, `RowWindowFitting.windowsFollowSequences`); when the model cannot fit
/// those windows, every row is then gathered on every process. Every step that can fail is
/// agreed, so all processes fail together with the message a single process would print.
func loadDistributed(_ specPath: String, data dataPath: String?, output: String?,
                     group: any ProcessGroup) throws -> (ModelSpec, DataSet, any SpecifiedModel) {
  let (spec, kind, path) = try group.agreeing { try specKindAndDataPath(specPath, data: dataPath, output: output) }
  // The window style from the model the spec declares (its dimension from its parameters, else
  // any: the style does not depend on it); the model itself is made once the data is read.
  let registry = EMZooCommandLine.registry
  let declared = (try? kind.make(spec, nil, registry)) ?? (try? kind.make(spec, 1, registry))
  let followSequences = (declared as? any RowWindowFitting)?.windowsFollowSequences ?? false
  var table = try DistributedReader.read(
    path: path, columns: spec.columns, sequence: spec.sequenceColumn, followingSequences: followSequences,
    group: group)
  let model = try group.agreeing { try makeModel(kind, spec: spec, table: table) }
  if !((model as? any RowWindowFitting)?.fitsWindows(of: table) ?? (table.held == nil)) {
    table = table.gatheringRows(group: group)
  }
  try group.agreeing { try checkMemory(model, spec: spec, table: table) }
  return (spec, table, model)
}
