import Foundation
import LedgerCore
import Testing

@Suite("Whole-document decoding")
struct DocumentDecoderTests {
    static let now: Int64 = 1_796_400_000_000_000_000

    static func events(_ text: String) -> LineOutcome? {
        guard case .decoded(let outcome) = DocumentDecoder.decode(Array(text.utf8), now: now) else { return nil }
        return outcome
    }

    static func pretty(_ line: [UInt8]) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(line))
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted])
        return String(decoding: data, as: UTF8.self)
    }

    @Test("array of usage-queue records")
    func usageQueueArray() throws {
        let lines = try FixturePaths.lines("cliproxyapi/usage-queue.jsonl").prefix(3)
        let compact = "[" + lines.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ",") + "]"
        let indented = "[\n  " + lines.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ",\n  ") + "\n]\n"
        let first = try #require(Self.events(compact))
        let second = try #require(Self.events(indented))
        #expect(first.events.count == 3)
        #expect(first.rejects.isEmpty)
        #expect(first.events.map(\.key) == second.events.map(\.key))
        let byLine = lines.flatMap { LineDecoder().decode($0, now: Self.now).events }
        #expect(first.events.map(\.buckets) == byLine.map(\.buckets))
    }

    @Test("pretty OTLP export keeps span keys")
    func prettyOTLP() throws {
        let line = try #require(try FixturePaths.lines("otlp/genai-traces.jsonl").first)
        let byLine = LineDecoder().decode(line, now: Self.now)
        let document = try #require(Self.events(try Self.pretty(line)))
        #expect(!byLine.events.isEmpty)
        #expect(document.events.map(\.key) == byLine.events.map(\.key))
        #expect(document.events.map(\.buckets) == byLine.events.map(\.buckets))
    }

    @Test("truncated document is incomplete")
    func truncated() {
        let outcome = DocumentDecoder.decode(Array("[{\"timestamp\":\"2026-11-30T17:01:06Z\",".utf8), now: Self.now)
        guard case .incomplete = outcome else {
            Issue.record("expected incomplete, got \(outcome)")
            return
        }
        guard case .incomplete = DocumentDecoder.decode(Array("  \n".utf8), now: Self.now) else {
            Issue.record("expected a blank document to be incomplete")
            return
        }
    }

    @Test("garbage after the document is invalid")
    func trailingData() throws {
        let outcome = try #require(Self.events("{\"a\":1} x"))
        #expect(outcome.rejects.map(\.code) == [.invalidJSON])
        #expect(outcome.events.isEmpty)
    }

    @Test("array element errors name their index")
    func elementErrors() throws {
        let outcome = try #require(Self.events("[1, {\"x\":2}]"))
        #expect(
            outcome.rejects == [
                DecodeError(.unknownShape, "[0] record is a JSON number, not an object"),
                DecodeError(.unknownShape, "[1] object with keys [x] matches no accepted shape"),
            ])
    }

    @Test("compact bytes round-trip")
    func compactBytes() throws {
        let text = #"{ "b" : [1, 2.50, -0, "q\"\n\u0001"], "a": {"n": null, "t": true} }"#
        let value = try JSONParser.parse(text)
        #expect(
            String(decoding: value.compactBytes, as: UTF8.self)
                == #"{"b":[1,2.50,-0,"q\"\n\u0001"],"a":{"n":null,"t":true}}"#)
        #expect(try JSONParser.parse(value.compactBytes) == value)
    }
}
