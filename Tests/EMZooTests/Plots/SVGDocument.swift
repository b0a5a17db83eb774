import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An SVG text parsed with `XMLParser` into a flat list of elements, for assertions.
final class SVGDocument: NSObject, XMLParserDelegate {
  struct Element {
    var name: String
    var attributes: [String: String]
    var parent: Int?
    var text = ""
    var classes: Set<String> {
      Set((attributes["class"] ?? "").split(separator: " ").map(String.init))
    }
  }

  private(set) var elements: [Element] = []
  private var open: [Int] = []

  /// The parsed document, or nil when `svg` is not well-formed XML.
  static func parse(_ svg: String) -> SVGDocument? {
    let document = SVGDocument()
    let parser = XMLParser(data: Data(svg.utf8))
    parser.delegate = document
    return parser.parse() ? document : nil
  }

  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
    qualifiedName: String?, attributes: [String: String] = [:]
  ) {
    elements.append(Element(name: name, attributes: attributes, parent: open.last))
    open.append(elements.count - 1)
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    if let last = open.last { elements[last].text += string }
  }

  func parser(
    _ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?
  ) {
    open.removeLast()
  }

  /// Elements named `name` (any name when nil) whose class list holds every word of `classes`.
  func all(_ name: String? = nil, class classes: String = "") -> [Element] {
    let wanted = Set(classes.split(separator: " ").map(String.init))
    return elements.filter { (name == nil || $0.name == name) && wanted.isSubset(of: $0.classes) }
  }

  func count(_ name: String? = nil, class classes: String = "") -> Int {
    all(name, class: classes).count
  }

  /// Elements named `name` inside an element whose class list holds every word of `classes`.
  func all(_ name: String, within classes: String) -> [Element] {
    let wanted = Set(classes.split(separator: " ").map(String.init))
    return elements.filter { element in
      guard element.name == name else { return false }
      var parent = element.parent
      while let index = parent {
        if wanted.isSubset(of: elements[index].classes) { return true }
        parent = elements[index].parent
      }
      return false
    }
  }
}
