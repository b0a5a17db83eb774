import Foundation
import Testing

@testable import EMZoo

/// The bad-input corpus (`Tests/Fixtures/bad-input.json`): every case writes its files into a
/// fresh folder, runs `emzoo` there, and must exit with its status (2 for bad input) and print
/// exactly its one error line, naming the file and the field or line, and what was expected.
@Suite(.serialized) struct BadInputCorpusTests {
  struct Case: Decodable, CustomStringConvertible {
    var name: String
    var files: [String: String]
    var args: [String]
    var status: Int32
    var stderr: String
    var description: String { name }
  }

  static let cases: [Case] = {
    let url = repositoryRoot.appendingPathComponent("Tests/Fixtures/bad-input.json")
    guard let data = try? Data(contentsOf: url), let cases = try? JSONDecoder().decode([Case].self, from: data) else {
      return []
    }
    return cases
  }()

  @Test func corpusIsPresent() { #expect(Self.cases.count >= 40) }

  @Test(arguments: cases)
  func exitsWithTheExpectedLine(_ c: Case) throws {
    let dir = try temporaryDirectory()
    for (name, text) in c.files {
      try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    let before = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    let r = try runEMZoo(c.args, in: dir)
    #expect(r.status == c.status, "\(c.name): status \(r.status), stderr \(r.stderr)")
    #expect(r.stderr.trimmingCharacters(in: .newlines) == c.stderr, "\(c.name)")
    if c.status != 0 {
      // A failed run leaves the folder as it found it: no partial or temporary file.
      #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == before, "\(c.name)")
    }
  }
}
