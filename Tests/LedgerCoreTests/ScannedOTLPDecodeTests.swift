import Foundation
import Testing

@testable import LedgerCore

@Suite("Scanned OTLP decoding")
struct ScannedOTLPDecodeTests {
    static let now: Int64 = 1_796_400_000_000_000_000

    /// Decodes `line` through the scanned path alone, `nil` when it leaves the line to the tree.
    static func scannedOutcome(_ line: String, cache: DecodeCache = DecodeCache()) -> LineOutcome? {
        Array(line.utf8).withUnsafeBufferPointer { buffer in
            OTLPTraceDecoder.decodeScanned(LineDecoder.trimmed(buffer), now: now, cache: cache)
        }
    }

    static func treeOutcome(_ line: String) -> LineOutcome {
        ScannedDecodeTests.treeOutcome(Array(line.utf8))
    }

    static func attribute(_ key: String, _ value: String) -> String {
        #"{"key":"\#(key)","value":\#(value)}"#
    }

    static let usageAttributes = [
        attribute("gen_ai.operation.name", #"{"stringValue":"chat"}"#),
        attribute("gen_ai.provider.name", #"{"stringValue":"anthropic"}"#),
        attribute("gen_ai.request.model", #"{"stringValue":"claude-sonnet-4-5"}"#),
        attribute("gen_ai.usage.input_tokens", #"{"intValue":"1000"}"#),
        attribute("gen_ai.usage.output_tokens", #"{"intValue":"50"}"#),
    ]

    static func span(
        traceID: String = #""0123456789abcdef0123456789abcdef""#, spanID: String = #""00000000000000a1""#,
        start: String = #""1764806400000000000""#, attributes: [String] = usageAttributes, extra: String = ""
    ) -> String {
        """
        {"traceId":\(traceID),"spanId":\(spanID),"startTimeUnixNano":\(start),\
        "endTimeUnixNano":"1764806401250000000","attributes":[\(attributes.joined(separator: ","))]\(extra)}
        """
    }

    static func line(_ spans: [String], resource: String = #"{"attributes":[]}"#) -> String {
        #"{"resourceSpans":[{"resource":\#(resource),"scopeSpans":[{"spans":[\#(spans.joined(separator: ","))]}]}]}"#
    }

    static func expectSameOutcome(_ scanned: LineOutcome, _ tree: LineOutcome, _ comment: Comment) {
        #expect(scanned.events == tree.events, comment)
        #expect(scanned.rejects == tree.rejects, comment)
        #expect(scanned.aggregatingSpansSkipped == tree.aggregatingSpansSkipped, comment)
    }

    @Test(
        "OTLP fixture lines are scanned",
        arguments: [
            ("otlp/genai-traces.jsonl", 30, 300), ("otlp/genai-traces-base64-ids.jsonl", 4, 20),
        ])
    func fixtures(file: String, lineCount: Int, eventCount: Int) throws {
        let lines = try FixturePaths.lines(file)
        #expect(lines.count == lineCount)
        let cache = DecodeCache()
        var events = 0
        for (number, line) in lines.enumerated() {
            let text = String(decoding: line, as: UTF8.self)
            let scanned = try #require(Self.scannedOutcome(text, cache: cache), "line \(number + 1)")
            Self.expectSameOutcome(scanned, Self.treeOutcome(text), "line \(number + 1)")
            events += scanned.events.count
        }
        #expect(events == eventCount)
    }

    @Test("span fields read from bytes")
    func exactValues() throws {
        let resource = """
            {"attributes":[\(Self.attribute("service.name", #"{"stringValue":"proxy"}"#)),\
            \(Self.attribute("host.name", #"{"stringValue":"h1"}"#)),\
            \(Self.attribute("service.name", #"{"stringValue":"cliproxyapi"}"#))]}
            """
        let attributes =
            Self.usageAttributes + [
                Self.attribute("gen_ai.response.model", #"{"stringValue":"claude-sonnet-4-5-20250929"}"#),
                Self.attribute("gen_ai.conversation.id", #"{"stringValue":"sess-7"}"#),
                Self.attribute("gen_ai.usage.cache_read.input_tokens", #"{"intValue":600}"#),
                Self.attribute("gen_ai.usage.cache_write.input_tokens", #"{"intValue":"+100"}"#),
                Self.attribute("http.response.status_code", #"{"intValue":"529"}"#),
                Self.attribute("gen_ai.usage.output_tokens", #"{"intValue":"70"}"#),
            ]
        let line = Self.line(
            [Self.span(attributes: attributes, extra: #","status":{"code":"STATUS_CODE_ERROR"}"#)],
            resource: resource)

        let outcome = try #require(Self.scannedOutcome(line))
        #expect(outcome.rejects.isEmpty)
        let event = try #require(outcome.events.first)
        #expect(outcome.events.count == 1)
        #expect(
            event.key
                == EventKey(
                    namespace: "otlp.span",
                    bytes: [
                        0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
                    ]
                        + [0, 0, 0, 0, 0, 0, 0, 0xA1]))

        #expect(event.shape == .otlpSpan)
        #expect(event.provider == "anthropic")
        #expect(event.model == "claude-sonnet-4-5-20250929")
        #expect(event.requestedModel == "claude-sonnet-4-5")
        #expect(event.sessionID == "sess-7")
        #expect(event.requestID == "0123456789abcdef0123456789abcdef:00000000000000a1")

        #expect(event.startedAtNanoseconds == 1_764_806_400_000_000_000)
        #expect(event.latencyMilliseconds == 1250)
        #expect(event.status == .failed)
        #expect(event.statusCode == 529)
        #expect(
            event.buckets == TokenBuckets(inputUncached: 300, cacheRead: 600, cacheWrite: 100, output: 70, reasoning: 0)
        )
        #expect(event.usageState == .present)
        #expect(event.quality == .complete)
        #expect(event.serviceName == "cliproxyapi")
        #expect(event.hostName == "h1")
        Self.expectSameOutcome(outcome, Self.treeOutcome(line), "exact values")
    }

    static let scannedCases: [(String, String)] = [
        ("base64 ids", line([span(traceID: #""ASNFZ4mrze8BI0VniavN7w==""#, spanID: #""AAAAAAAAAKE""#)])),
        ("upper-case hex ids", line([span(traceID: #""0123456789ABCDEF0123456789ABCDEF""#)])),
        ("start time as a number", line([span(start: "1764806400000000000")])),
        (
            "intValue as a number",
            line([span(attributes: usageAttributes + [attribute("gen_ai.usage.input_tokens", #"{"intValue":7}"#)])])
        ),
        (
            "a later duplicate attribute wins",
            line([span(attributes: usageAttributes + [attribute("gen_ai.provider.name", #"{"stringValue":"openai"}"#)])]
            )
        ),
        (
            "a later attribute without a value is dropped",
            line([span(attributes: usageAttributes + [attribute("gen_ai.provider.name", "{}")])])
        ),
        (
            "attribute members in another order",
            line([
                span(
                    attributes: usageAttributes + [#"{"value":{"stringValue":"openai"},"key":"gen_ai.provider.name"}"#])
            ])
        ),
        (
            "a later key in one attribute",
            line([
                span(
                    attributes: usageAttributes + [
                        #"{"key":"gen_ai.provider.name","value":{"stringValue":"x"},"key":"gen_ai.system"}"#
                    ])
            ])
        ),
        (
            "an empty attribute key",
            line([span(attributes: usageAttributes + [attribute("", #"{"stringValue":"x"}"#)])])
        ),
        (
            "a value's first member counts",
            line([
                span(
                    attributes: usageAttributes + [
                        attribute("gen_ai.response.model", #"{"x":"m1","stringValue":"m2"}"#)
                    ])
            ])
        ),
        (
            "a non-string provider falls back",
            line([
                span(
                    attributes: usageAttributes + [
                        attribute("gen_ai.provider.name", #"{"intValue":5}"#),
                        attribute("gen_ai.system", #"{"stringValue":"openai"}"#),
                    ])
            ])
        ),
        (
            "an escape in an unread value",
            line([span(attributes: usageAttributes + [attribute("gen_ai.prompt", #"{"stringValue":"a\"b\\c\n"}"#)])])
        ),
        (
            "non-ASCII values",
            line([
                span(
                    attributes: usageAttributes + [attribute("gen_ai.conversation.id", #"{"stringValue":"séance ✓"}"#)])
            ])
        ),
        ("status code 2", line([span(extra: #","status":{"code":2}"#)])),
        ("status not an object", line([span(extra: #","status":5"#)])),
        ("a later status wins", line([span(extra: #","status":{"code":2},"status":{}"#)])),
        (
            "a span without GenAI attributes keeps no check",
            line([span(traceID: #""bad""#, attributes: [attribute("other", #"{"stringValue":"x"}"#)])])
        ),
        (
            "whitespace between tokens",
            line([span()]).replacingOccurrences(of: ":", with: " : ").replacingOccurrences(of: ",", with: " ,\t")
        ),
        (
            "spans that are not objects in other places",
            #"{"resourceSpans":[5,{"scopeSpans":7},{"scopeSpans":[1,{"spans":{}}]}]}"#
        ),
        (
            "an agent span over its children",
            line([
                span(spanID: #""00000000000000a1""#),
                span(spanID: #""00000000000000b1""#, extra: #","parentSpanId":"00000000000000a1""#),
            ])
        ),
        ("only the last resourceSpans member", String(line([span()]).dropLast()) + #","resourceSpans":[]}"#),
    ]

    @Test("scanned lines match the tree", arguments: scannedCases)
    func scanned(name: String, line: String) throws {
        let outcome = try #require(Self.scannedOutcome(line), "\(name)")
        Self.expectSameOutcome(outcome, Self.treeOutcome(line), "\(name)")
    }

    /// Every attribute name that decoding reads, with a value that changes the event when read.
    static let readAttributes = [
        ("gen_ai.operation.name", #"{"stringValue":"chat"}"#),
        ("gen_ai.provider.name", #"{"stringValue":"openai"}"#),
        ("gen_ai.system", #"{"stringValue":"openai"}"#),
        ("gen_ai.request.model", #"{"stringValue":"gpt-5"}"#),
        ("gen_ai.response.model", #"{"stringValue":"gpt-5-mini"}"#),
        ("gen_ai.conversation.id", #"{"stringValue":"sess-7"}"#),
        ("http.response.status_code", #"{"intValue":"429"}"#),
        ("gen_ai.usage.input_tokens", #"{"intValue":"11"}"#),
        ("gen_ai.usage.prompt_tokens", #"{"intValue":"12"}"#),
        ("gen_ai.usage.output_tokens", #"{"intValue":"13"}"#),
        ("gen_ai.usage.completion_tokens", #"{"intValue":"14"}"#),
        ("gen_ai.usage.cache_read.input_tokens", #"{"intValue":"15"}"#),
        ("gen_ai.usage.cache_creation.input_tokens", #"{"intValue":"16"}"#),
        ("gen_ai.usage.cache_write.input_tokens", #"{"intValue":"17"}"#),
        ("gen_ai.usage.reasoning.output_tokens", #"{"intValue":"18"}"#),
    ]

    @Test("each read attribute matches the tree", arguments: readAttributes)
    func readAttribute(key: String, value: String) throws {
        let operation = Self.attribute("gen_ai.operation.name", #"{"stringValue":"embeddings"}"#)
        let alone = Self.line([Self.span(attributes: [operation, Self.attribute(key, value)])])
        let outcome = try #require(Self.scannedOutcome(alone), "\(key)")
        Self.expectSameOutcome(outcome, Self.treeOutcome(alone), "\(key)")

        // The same key once more, later in the list, is the one that counts.
        let repeated = Self.line([
            Self.span(attributes: [operation, Self.attribute(key, value), Self.attribute(key, #"{"intValue":"3"}"#)])
        ])
        let repeatedOutcome = try #require(Self.scannedOutcome(repeated), "\(key) repeated")
        Self.expectSameOutcome(repeatedOutcome, Self.treeOutcome(repeated), "\(key) repeated")

        // The value changes the event, so the first check fails for a name that the byte path skips.
        if key != "gen_ai.operation.name" {
            let without = Self.line([Self.span(attributes: [operation])])
            #expect(Self.treeOutcome(without).events != outcome.events, "\(key)")
        }
    }

    static let treeCases: [(String, String)] = [
        (
            "an escape in a read value",
            line([
                span(
                    attributes: usageAttributes + [attribute("gen_ai.request.model", #"{"stringValue":"gpt\u002d5"}"#)])
            ])
        ),
        ("an escape in a key", line([span(extra: #","trace\u0049d":"00112233445566778899aabbccddeeff""#)])),
        (
            "an escape in an attribute key",
            line([
                span(
                    attributes: usageAttributes + [attribute(#"gen_ai.usage.input\u005ftokens"#, #"{"intValue":"3"}"#)])
            ])
        ),
        (
            "a non-ASCII attribute key",
            line([span(attributes: usageAttributes + [attribute("gen_ai.usage.é", #"{"intValue":"3"}"#)])])
        ),
        (
            "an escape in an intValue",
            line([
                span(attributes: usageAttributes + [attribute("gen_ai.usage.input_tokens", #"{"intValue":"\u0035"}"#)])
            ])
        ),
        ("an invalid trace id", line([span(traceID: #""0123""#)])),
        ("an all-zero span id", line([span(spanID: #""0000000000000000""#)])),
        ("a missing start", line([span(start: "null")])),
        ("a start out of range", line([span(start: #""1000""#)])),
        (
            "a count that is not an integer",
            line([span(attributes: usageAttributes + [attribute("gen_ai.usage.input_tokens", #"{"intValue":5.0}"#)])])
        ),
        (
            "a negative count",
            line([span(attributes: usageAttributes + [attribute("gen_ai.usage.input_tokens", #"{"intValue":"-1"}"#)])])
        ),
        ("a span that is not an object", line(["5", span()])),
        ("resourceSpans not an array", #"{"resourceSpans":{}}"#),
        ("invalid JSON", String(line([span()]).dropLast())),
        ("resourceSpans not first", #"{"x":1,"resourceSpans":[]}"#),
    ]

    @Test("unreadable lines go to the tree", arguments: treeCases)
    func leftToTree(name: String, line: String) {
        #expect(Self.scannedOutcome(line) == nil, "\(name)")
        let full = LineDecoder().decode(Array(line.utf8), now: Self.now)
        Self.expectSameOutcome(full, Self.treeOutcome(line), "\(name)")
    }
}

extension ScannedOTLPDecodeTests {
    static let replacements = [#"null"#, #"5"#, #""x""#, #"{}"#, #"[]"#, #""\u0041""#, #""+7""#, #"-1"#, #"2.5"#]

    /// Returns the end of the JSON value that starts at `start` in `line`, a valid JSON text.
    static func valueEnd(_ line: [UInt8], from start: Int) -> Int {
        var index = start
        var depth = 0
        var inString = false
        while index < line.count {
            let byte = line[index]
            if inString {
                if byte == UInt8(ascii: "\\") {
                    index += 1
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    if depth == 0 { return index + 1 }
                }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return index }
                    depth -= 1
                    if depth == 0 { return index + 1 }
                case UInt8(ascii: ","):
                    if depth == 0 { return index }
                default: break
                }
            }
            index += 1
        }
        return index
    }

    @Test(
        "replaced member values match the tree",
        arguments: [
            "otlp/genai-traces.jsonl", "otlp/genai-traces-base64-ids.jsonl",
        ])
    func replacedValues(file: String) throws {
        let line = try #require(try FixturePaths.lines(file).first)
        var scanned = 0
        var rejected = 0
        var mutations = 0
        for index in 1..<line.count where line[index - 1] == UInt8(ascii: "\"") && line[index] == UInt8(ascii: ":") {
            let end = Self.valueEnd(line, from: index + 1)
            for replacement in Self.replacements {
                let mutated = Array(line[...index]) + Array(replacement.utf8) + Array(line[end...])
                let text = String(decoding: mutated, as: UTF8.self)
                let tree = Self.treeOutcome(text)
                Self.expectSameOutcome(
                    LineDecoder().decode(mutated, now: Self.now), tree, "\(file) byte \(index): \(replacement)")
                mutations += 1
                scanned += Self.scannedOutcome(text) == nil ? 0 : 1
                rejected += tree.rejects.isEmpty ? 0 : 1
            }
        }
        // Both paths must be exercised: lines read from bytes and lines with a rejected span.
        #expect(mutations > 1000)
        #expect(scanned > mutations / 2)
        #expect(rejected > 0)
    }
}
