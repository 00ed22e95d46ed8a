import Foundation
import LedgerCore
import Testing

@Suite("JSONTestSuite conformance")
struct JSONTestSuiteTests {
    static let suiteDirectory = FixturePaths.fixture("json-test-suite")

    static func caseNames(prefix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: suiteDirectory.path)) ?? []
        return names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".json") }.sorted()
    }

    @Test("suite is present")
    func suiteIsPresent() {
        #expect(Self.caseNames(prefix: "y_").count == 95)
        #expect(Self.caseNames(prefix: "n_").count == 188)
    }

    @Test("accepts every y_ case", arguments: caseNames(prefix: "y_"))
    func acceptsValid(name: String) throws {
        let bytes = try Data(contentsOf: Self.suiteDirectory.appendingPathComponent(name))
        #expect(throws: Never.self) { try JSONParser.parse(bytes) }
    }

    @Test("rejects every n_ case", arguments: caseNames(prefix: "n_"))
    func rejectsInvalid(name: String) throws {
        let bytes = try Data(contentsOf: Self.suiteDirectory.appendingPathComponent(name))
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
    }

    @Test("implementation-defined cases return or throw")
    func implementationDefined() throws {
        for name in Self.caseNames(prefix: "i_") {
            let bytes = try Data(contentsOf: Self.suiteDirectory.appendingPathComponent(name))
            do {
                _ = try JSONParser.parse(bytes)
            } catch {
                #expect(error.code != .empty, "\(name)")
            }
        }
    }
}

@Suite("JSON reader values")
struct JSONValueTests {
    @Test("int64 numbers stay exact")
    func int64Exact() throws {
        let value = try JSONParser.parse(#"{"a":9223372036854775807,"b":-9223372036854775808,"c":1.5,"d":1e3}"#)
        #expect(value["a"]?.int64Value == Int64.max)
        #expect(value["b"]?.int64Value == Int64.min)
        #expect(value["c"]?.int64Value == nil)
        #expect(value["c"]?.doubleValue == 1.5)
        #expect(value["d"]?.int64Value == nil)
    }

    @Test("escapes decode to scalars")
    func escapes() throws {
        let value = try JSONParser.parse(#"["a\"b\\\/\n\u00e9\ud83d\ude00\ud800x"]"#)
        #expect(value.arrayValue?.first?.stringValue == "a\"b\\/\n\u{E9}\u{1F600}\u{FFFD}x")
    }

    @Test("error names the offset")
    func errorOffset() {
        #expect(throws: JSONParseError(code: .unexpectedByte, offset: 5)) {
            try JSONParser.parse(#"{"a":x}"#)
        }
        #expect(throws: JSONParseError(code: .trailingData, offset: 4)) {
            try JSONParser.parse("[1] 2")
        }
        #expect(throws: JSONParseError(code: .invalidUTF8, offset: 2)) {
            try JSONParser.parse([0x5B, 0x22, 0xFF, 0x22, 0x5D])
        }
    }

    @Test("nesting past the limit is rejected")
    func depthLimit() {
        let deep =
            String(repeating: "[", count: JSONParser.maximumDepth + 1)
            + String(repeating: "]", count: JSONParser.maximumDepth + 1)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let allowed =
            String(repeating: "[", count: JSONParser.maximumDepth)
            + String(repeating: "]", count: JSONParser.maximumDepth)
        #expect(throws: Never.self) { try JSONParser.parse(allowed) }
    }

    @Test("duplicate names resolve to the last")
    func duplicateNames() throws {
        let value = try JSONParser.parse(#"{"k":1,"k":2}"#)
        #expect(value["k"]?.int64Value == 2)
        #expect(value.objectValue?.keys == ["k", "k"])
    }
}
