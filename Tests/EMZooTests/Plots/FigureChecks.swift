import Foundation
import Testing
@testable import EMZooCommandLine

/// Renders `figure` twice and checks what every emzoo picture must satisfy: the same bytes,
/// well-formed XML, an `svg` root with size and viewBox, a title, a white background, no
/// script or external reference, and both axes in every panel. Returns the parsed document.
func checkFigure(_ figure: Figure, sourceLocation: SourceLocation = #_sourceLocation)
  -> SVGDocument?
{
  let svg = figure.svg()
  #expect(svg == figure.svg(), "same figure, same bytes", sourceLocation: sourceLocation)
  for forbidden in ["<script", "href", "url(", "@import", "@font-face", "<image"] {
    #expect(!svg.contains(forbidden), "no \(forbidden)", sourceLocation: sourceLocation)
  }
  #expect(
    svg.components(separatedBy: "http").count == 2, "only the namespace names a URL",
    sourceLocation: sourceLocation)
  guard let document = SVGDocument.parse(svg) else {
    Issue.record("not well-formed XML", sourceLocation: sourceLocation)
    return nil
  }
  let root = document.elements.first
  #expect(root?.name == "svg", sourceLocation: sourceLocation)
  #expect(root?.attributes["xmlns"] == "http://www.w3.org/2000/svg", sourceLocation: sourceLocation)
  for key in ["width", "height", "viewBox"] {
    #expect(root?.attributes[key] != nil, "svg has \(key)", sourceLocation: sourceLocation)
  }
  #expect(document.count("title") == 1, sourceLocation: sourceLocation)
  #expect(document.count("rect", class: "background") == 1, sourceLocation: sourceLocation)
  let panels = document.count("g", class: "panel")
  #expect(panels == figure.panels.count, sourceLocation: sourceLocation)
  #expect(document.count("g", class: "axis x") == panels, sourceLocation: sourceLocation)
  #expect(document.count("g", class: "axis y") == panels, sourceLocation: sourceLocation)
  return document
}

/// Seeded normal draws for test data.
struct Normals {
  var generator: SplitMix64

  init(seed: UInt64) {
    generator = SplitMix64(seed: seed)
  }

  mutating func uniform() -> Double { Double(generator.next() >> 11) / 9_007_199_254_740_992 }

  mutating func next(_ mean: Double = 0, _ sd: Double = 1) -> Double {
    let (u, v) = (max(uniform(), 1e-300), uniform())
    return mean + sd * (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
  }
}

/// n rows of a d-column, K-component Gaussian mixture with unit covariances, and the labels.
func mixture(n: Int, d: Int, k: Int, seed: UInt64 = 1) -> (points: [[Double]], labels: [Int]) {
  var normals = Normals(seed: seed)
  let labels = (0..<n).map { $0 % max(k, 1) }
  let points = labels.map { label in (0..<d).map { normals.next(Double(label * 4 + $0), 1) } }
  return (points, labels)
}

func identity(_ d: Int) -> [[Double]] {
  (0..<d).map { i in (0..<d).map { $0 == i ? 1 : 0 } }
}
