import Foundation
public import EMZooCore
public import EMZooModels

/// A C family's parameters as unconstrained coordinates, block by block from each block's
/// declared constraint: real numbers as they are, positive and non-negative ones by their
/// logarithm, probabilities by their logit. With them a plugin family gets SQUAREM and
/// standard errors like a built-in one (an entry at 0 or a probability at 0 or 1 lies on the
/// boundary: its standard error is null).
extension CPluginFamily: CoordinatizedFamily {
  public var coordinateCount: Int { parameterSize }

  public func coordinates(_ p: Parameters) -> [Double] {
    var c = p
    for b in plugin.blocks.indices {
      let range = offsets[b]..<(offsets[b] + widths[b] * components)
      switch plugin.blocks[b].constraint {
      case .real: break
      case .positive, .nonNegative: for e in range { c[e] = log(max(p[e], 1e-300)) }
      case .probability: for e in range { c[e] = Coordinates.logit(p[e]) }
      }
    }
    return c
  }

  public func parameters(fromCoordinates c: ArraySlice<Double>, like p: Parameters) -> Parameters? {
    guard c.count == parameterSize else { return nil }
    var values = Array(c)
    for b in plugin.blocks.indices {
      let block = plugin.blocks[b]
      for e in offsets[b]..<(offsets[b] + widths[b] * components) {
        switch block.constraint {
        case .real: break
        case .positive, .nonNegative: values[e] = exp(values[e])
        case .probability: values[e] = Coordinates.logistic(values[e])
        }
        guard values[e].isFinite, block.constraint.admits(values[e]) else { return nil }
      }
    }
    // A plugin may restrict its parameters further (check_parameters).
    return checkMessage(values) == nil ? values : nil
  }

  public var coordinateBlocks: [CoordinateBlock] {
    plugin.blocks.indices.map { b in
      let transform: CoordinateBlock.Transform
      switch plugin.blocks[b].constraint {
      case .real: transform = .identity
      case .positive, .nonNegative: transform = .log
      case .probability: transform = .logit
      }
      return CoordinateBlock(name: plugin.blocks[b].name, range: offsets[b]..<(offsets[b] + widths[b] * components),
                             transform: transform)
    }
  }
}
