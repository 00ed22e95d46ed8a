import LedgerCore
import Testing

@Suite("Line decoding")
struct DecoderTests {
    static let now: Int64 = 1_796_400_000_000_000_000
    static let decoder = LineDecoder()

    static func decode(_ line: String) -> LineOutcome {
        decoder.decode(Array(line.utf8), now: now)
    }

    static func usageRecord(tokens: String, extra: String = "") -> String {
        """
        {"timestamp":"2026-11-30T17:01:06.5-05:00","latency_ms":1200,"provider":"codex","model":"gpt-5",\
        "failed":false,"tokens":\(tokens)\(extra)}
        """
    }

    @Test("subset class keeps cache inside input")
    func subsetClass() throws {
        let outcome = Self.decode(
            Self.usageRecord(
                tokens:
                    #"{"input_tokens":1000,"output_tokens":300,"reasoning_tokens":120,"cached_tokens":600,"total_tokens":1300}"#
            ))
        let event = try #require(outcome.events.first)
        #expect(event.buckets == TokenBuckets(inputUncached: 400, cacheRead: 600, output: 300, reasoning: 120))
        #expect(event.buckets.total == 1300)
        #expect(event.usageState == .present)
        #expect(event.quality == .complete)
        #expect(event.statusCode == 200)
    }

    @Test("out-of-range token counts are rejected")
    func hugeCounts() {
        for count in ["5000000000000000000", "-5", "\"100\"", "1.5"] {
            let outcome = Self.decode(Self.usageRecord(tokens: "{\"input_tokens\":\(count),\"output_tokens\":1}"))
            #expect(outcome.events.isEmpty, "\(count)")
            #expect(outcome.rejects.map(\.code) == [.invalidField], "\(count)")
        }
        let message = Self.decode(Self.usageRecord(tokens: #"{"input_tokens":5000000000000000000}"#)).rejects.first
        #expect(message?.detail == "tokens.input_tokens is 5000000000000000000, outside 0 to 1000000000000")
    }

    @Test("negative or string latency is rejected")
    func badLatency() {
        let negative = Self.decode(
            #"{"timestamp":"2026-11-30T17:01:06Z","latency_ms":-1,"provider":"codex","tokens":{}}"#)
        #expect(negative.rejects.first?.detail == "latency_ms is -1, outside 0 to 604800000")
        let text = Self.decode(
            #"{"timestamp":"2026-11-30T17:01:06Z","latency_ms":"12","provider":"codex","tokens":{}}"#)
        #expect(text.rejects.first?.detail == "latency_ms is not a 64-bit integer")
    }

    @Test("timestamp errors show the source spelling")
    func timestampSpelling() {
        let future = Self.decode(#"{"timestamp":"2999-05-01T00:00:00Z","provider":"codex","tokens":{}}"#)
        #expect(future.rejects.first?.code == .timestampOutOfRange)
        #expect(
            future.rejects.first?.detail == "timestamp 2999-05-01T00:00:00Z is outside 2015-01-01 to one day after now")
        let epochText = Self.decode(#"{"timestamp":"1764806400","provider":"codex","tokens":{}}"#)
        #expect(epochText.rejects.first?.code == .invalidField)
        let epochNumber = Self.decode(#"{"timestamp":1764806400,"provider":"codex","tokens":{}}"#)
        #expect(epochNumber.events.first?.startedAtNanoseconds == 1_764_806_400_000_000_000)
    }

    @Test("surrounding whitespace and BOM keep the key")
    func keyIgnoresWhitespace() throws {
        let line = Self.usageRecord(tokens: #"{"input_tokens":5,"output_tokens":1}"#)
        let plain = try #require(Self.decode(line).events.first)
        let padded = try #require(Self.decode("\u{FEFF}  " + line + " \t\r").events.first)
        #expect(plain.key == padded.key)
    }

    @Test("agent span with children counts leaves only")
    func agentSpans() {
        func span(_ id: String, parent: String?, operation: String, input: Int, output: Int) -> String {
            let parentField = parent.map { "\"parentSpanId\":\"\($0)\"," } ?? ""
            return """
                {"traceId":"0123456789abcdef0123456789abcdef","spanId":"\(id)",\(parentField)\
                "startTimeUnixNano":"1764806400000000000","endTimeUnixNano":"1764806401000000000","attributes":[\
                {"key":"gen_ai.operation.name","value":{"stringValue":"\(operation)"}},\
                {"key":"gen_ai.provider.name","value":{"stringValue":"anthropic"}},\
                {"key":"gen_ai.request.model","value":{"stringValue":"claude-sonnet-4-5"}},\
                {"key":"gen_ai.usage.input_tokens","value":{"intValue":"\(input)"}},\
                {"key":"gen_ai.usage.output_tokens","value":{"intValue":"\(output)"}}]}
                """
        }
        let spans = [
            span("00000000000000a1", parent: nil, operation: "invoke_agent", input: 300, output: 30),
            span("00000000000000b1", parent: "00000000000000a1", operation: "chat", input: 100, output: 10),
            span("00000000000000b2", parent: "00000000000000a1", operation: "chat", input: 200, output: 20),
        ]
        let line = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[" + spans.joined(separator: ",") + "]}]}]}"
        let outcome = Self.decode(line)
        #expect(outcome.events.count == 2)
        #expect(outcome.events.map(\.buckets.inputUncached).reduce(0, +) == 300)
        #expect(outcome.events.map(\.buckets.output).reduce(0, +) == 30)
        #expect(outcome.aggregatingSpansSkipped == 1)
    }

    @Test("invalid UTF-8 is reported at its byte")
    func utf8Offset() {
        var bytes = Array(#"{"model":"abcdefghij"}"#.utf8)
        bytes[14] = 0xFF
        #expect(throws: JSONParseError(code: .invalidUTF8, offset: 14)) { try JSONParser.parse(bytes) }
        var escaped = Array(#"{"model":"a\nbcdefghij"}"#.utf8)
        escaped[16] = 0xC0
        #expect(throws: JSONParseError(code: .invalidUTF8, offset: 16)) { try JSONParser.parse(escaped) }
    }
}
