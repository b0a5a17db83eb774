public import EMZooModels

extension SpecifiedKind: RowWindowFitting {
  /// Whether the wrapped model fits row windows (`RowWindowFitting`); false for any other.
  public var fitsRowWindows: Bool { (model as? any RowWindowFitting)?.fitsRowWindows ?? false }
  public var windowsFollowSequences: Bool { (model as? any RowWindowFitting)?.windowsFollowSequences ?? false }
}
