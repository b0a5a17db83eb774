// emzoo for library users: the engine, the model kinds and the spec layer in one import.
@_exported import EMZooCore
@_exported import EMZooModels
@_exported import EMZooSpec
