import Foundation
import Testing

@testable import EMZoo

/// Every bad spec gets one line naming the file and the field, and what was expected.
@Suite struct SpecTests {
  func error(_ text: some StringProtocol, dimension: Int? = nil) -> String {
    do {
      let s = try spec(String(text))
      let m = try model(s, dimension: dimension)
      _ = try m.specParameters(s)
      return "no error"
    } catch let error as InputError {
      return error.message
    } catch {
      return "unexpected \(error)"
    }
  }

  let valid = """
    { "model": "gaussian-mixture", "options": { "components": 2 },
      "parameters": { "weights": [0.5, 0.5], "means": [[0], [1]], "covariances": [[[1]], [[1]]] } }
    """

  @Test func validSpecLoads() { #expect(error(valid) == "no error") }

  @Test func malformedJSONNamesLineAndColumn() {
    #expect(error("{\n  \"model\": \"gaussian-mixture\",\n  \"options\": { \"components\": 2, }\n}")
      == "test.json: line 3, column 33: malformed JSON: expected a quoted key, found '}'")
  }

  @Test func unknownKindListsTheKnownOnes() {
    #expect(error(#"{ "model": "gausian-mixture" }"#).hasPrefix(
      "test.json: model: unknown model kind \"gausian-mixture\"; expected one of gaussian-mixture"))
  }

  @Test func unknownAndMissingOptions() {
    #expect(error(valid.replacingOccurrences(of: "\"components\": 2", with: "\"components\": 2, \"colour\": 1"))
      == "test.json: options.colour: unknown key; expected one of components, covariance, missing")
    #expect(error(valid.replacingOccurrences(of: "\"components\": 2", with: "\"covariance\": \"full\""))
      == "test.json: options.components: expected an integer ≥ 1, it is missing")
    #expect(error(valid.replacingOccurrences(of: "\"components\": 2", with: "\"components\": 2, \"covariance\": \"round\""))
      == "test.json: options.covariance: expected one of \"full\", \"diagonal\", \"spherical\", \"tied\", found \"round\"")
  }

  @Test func wrongShapes() {
    #expect(error(valid.replacingOccurrences(of: "[[0], [1]]", with: "[[0], [1], [2]]"))
      == "test.json: parameters.means: expected 2 rows of 1 numbers, found an array of 3")
    #expect(error(valid.replacingOccurrences(of: "[[[1]], [[1]]]", with: "[[[1]], [[1, 0]]]"))
      == "test.json: parameters.covariances[1][0]: expected an array of 1 numbers, found an array of 2")
  }

  @Test func weightsMustBeProbabilities() {
    #expect(error(valid.replacingOccurrences(of: "[0.5, 0.5]", with: "[0.5, 0.4]"))
      == "test.json: parameters.weights: expected probabilities summing to 1, found sum 0.9")
    #expect(error(valid.replacingOccurrences(of: "[0.5, 0.5]", with: "[1.5, -0.5]"))
      == "test.json: parameters.weights: expected probabilities ≥ 0; entry [1] is -0.5")
  }

  @Test func covariancesMustBePositiveDefinite() {
    let twoD = """
      { "model": "gaussian-mixture", "options": { "components": 1 },
        "parameters": { "weights": [1], "means": [[0, 0]], "covariances": [[[1, 2], [2, 1]]] } }
      """
    #expect(error(twoD) == "test.json: parameters.covariances[0]: expected a positive-definite covariance matrix")
    #expect(error(twoD.replacingOccurrences(of: "[[1, 2], [2, 1]]", with: "[[1, 0.2], [0.3, 1]]"))
      == "test.json: parameters.covariances[0]: expected a symmetric matrix; entry [1][0] = 0.3 but [0][1] = 0.2")
  }

  @Test func unknownKeysInsideBlocks() {
    #expect(error(valid.replacingOccurrences(of: "\"weights\"", with: "\"weigths\""))
      == "test.json: parameters.weigths: unknown key; expected one of weights, means, covariances")
    #expect(error(valid.dropLast() + #", "fit": { "maxIter": 3 } }"#)
      == "test.json: fit.maxIter: unknown key; expected one of maxIterations, tolerance, restarts, seed, init, covarianceFloor, threads, shortRuns, shortIterations, accelerate, fixed, standardErrors")
    #expect(error(valid.dropLast() + #", "check": { "n": 0 } }"#)
      == "test.json: check.n: expected an integer ≥ 1, found 0")
  }

  @Test func unknownTopLevelKeysAreIgnored() {
    #expect(error(valid.dropLast() + #", "logLikelihood": -3, "trace": [] }"#) == "no error")
  }

  @Test func jsonRoundTripsThroughTheWriter() throws {
    let value = try JSONValue.parse(#"{"a": [1, 2.5, -3e-7], "b": {"c": "x\"y\n"}, "d": [[1, 2], [3, 4]], "e": null, "f": true}"#)
    #expect(try JSONValue.parse(value.formatted()) == value)
    #expect(JSONValue.format(0.1) == "0.1" && JSONValue.format(3) == "3" && JSONValue.format(.nan) == "null")
  }
}

@Suite struct CSVTests {
  func error(_ text: String, columns: [String]? = nil) -> String {
    do {
      _ = try CSVReader.parse(text: text, source: "d.csv", columns: columns)
      return "no error"
    } catch let error as InputError {
      return error.message
    } catch {
      return "unexpected \(error)"
    }
  }

  @Test func readsNumbersMissingValuesAndSequences() throws {
    let data = try CSVReader.parse(text: "sequence,x,y,latent\na,1,2.5,0\na,,NA,1\nb,NaN,-3e2,0\n", source: "d.csv")
    #expect(data.columns == ["x", "y"])
    #expect(data.rows == 3)
    #expect(data[0, 1] == 2.5 && data[1, 0].isNaN && data[1, 1].isNaN && data[2, 0].isNaN && data[2, 1] == -300)
    #expect(data.sequences == [0..<2, 2..<3])
    #expect(data.latent == [0, 1, 0])
  }

  @Test func toleratesBOMAndCRLF() throws {
    let data = try CSVReader.parse(text: "\u{FEFF}x,y\r\n1,2\r\n3,4\r\n", source: "d.csv")
    #expect(data.columns == ["x", "y"] && data.values == [1, 2, 3, 4])
  }

  @Test func picksNamedColumnsAndSkipsTextColumns() throws {
    let data = try CSVReader.parse(text: "id,x,y\nr1,1,2\nr2,3,4\n", source: "d.csv")
    #expect(data.columns == ["x", "y"])
    let picked = try CSVReader.parse(text: "id,x,y\nr1,1,2\n", source: "d.csv", columns: ["y"])
    #expect(picked.values == [2])
  }

  @Test func badFilesNameTheLine() {
    #expect(error("") == "d.csv: empty file; expected a header row of column names")
    #expect(error("x,y\n") == "d.csv: no data rows after the header")
    #expect(error("x,y\n1,2\n3\n") == "d.csv: line 3: expected 2 fields as in the header, found 1")
    #expect(error("x,y\n1,2\n3,abc\n") == "d.csv: line 3, column 'y': expected a number, found 'abc'")
    #expect(error("x,x\n1,2\n") == "d.csv: line 1: duplicate column name 'x' (columns 1 and 2)")
    #expect(error("x,y\n1,2\n", columns: ["z"]) == "d.csv: no column named 'z'; the header has x, y")
    #expect(error("x,y\n1,inf\n").hasPrefix("d.csv: line 2, column 'y': expected a finite number, found 'inf'"))
    #expect(error("x,y\n1,2\n\n3,4\n") == "d.csv: line 3: empty line between rows; expected 2 fields")
  }
}
