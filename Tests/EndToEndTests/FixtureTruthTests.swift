import Foundation
import LedgerCore
import Testing

/// Runs the real binary over the fixture spool and compares every exported event with the
/// fixtures' expected truth files.
@Suite("Fixture truth end to end", .serialized)
struct FixtureTruthTests {
    static let fixtureFiles = [
        "cliproxyapi/usage-queue.jsonl", "otlp/genai-traces.jsonl", "otlp/genai-traces-base64-ids.jsonl",
    ]

    /// The event key of a usage-queue line: the 128-bit hash of its raw bytes.
    static func usageQueueKey(_ line: [UInt8]) -> String {
        EventKey(namespace: SourceShape.usageQueue.rawValue, bytes: line).description
    }

    /// The event keys of an OTLP line's spans, in document order, from `traceId` and `spanId`.
    static func spanKeys(_ line: [UInt8]) throws -> [String] {
        let document = try JSONParser.parse(line)
        var keys: [String] = []
        for resourceSpan in document["resourceSpans"]?.arrayValue ?? [] {
            for scopeSpan in resourceSpan["scopeSpans"]?.arrayValue ?? [] {
                for span in scopeSpan["spans"]?.arrayValue ?? [] {
                    let trace = try #require(span["traceId"]?.stringValue)
                    let spanID = try #require(span["spanId"]?.stringValue)
                    let traceBytes = try #require(HexEncoding.decode(trace) ?? Base64.decode(trace))
                    let spanBytes = try #require(
                        spanID.count == 16 ? HexEncoding.decode(spanID) : Base64.decode(spanID))
                    keys.append(
                        EventKey(namespace: SourceShape.otlpSpan.rawValue, bytes: traceBytes + spanBytes).description)
                }
            }
        }
        return keys
    }

    @Test("usage-queue and OTLP fixtures match their truth")
    func fixturesMatchTruth() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(Self.fixtureFiles)
        let run = try harness.runOnce()
        #expect(run.status == 0, "\(run.stderr)")
        let events = try harness.exportEvents()
        #expect(events.count == 400 + 300 + 20)
        #expect(try harness.exportedEventLines().count == 720)

        try checkUsageQueue(events)
        try checkOTLP(events, file: "otlp/genai-traces.jsonl", expectedCount: 300)
        try checkOTLP(events, file: "otlp/genai-traces-base64-ids.jsonl", expectedCount: 20)
    }

    private func checkUsageQueue(_ events: [String: JSONValue]) throws {
        let lines = try fixtureLines("cliproxyapi/usage-queue.jsonl")
        let truths = try fixtureLines("cliproxyapi/usage-queue.jsonl.expected.jsonl").map { try JSONParser.parse($0) }
        #expect(lines.count == 400)
        #expect(truths.count == 400)
        for (index, (line, truth)) in zip(lines, truths).enumerated() {
            let event = try #require(events[Self.usageQueueKey(line)], "line \(index + 1) has no event")
            let record = try JSONParser.parse(line)
            let usage = try #require(event["usage"])
            let context = "usage-queue line \(index + 1)"
            #expect(usage["input_tokens"]?.int64Value == truth["input_uncached"]?.int64Value, "\(context)")
            #expect(usage["cache_read_tokens"]?.int64Value == truth["cache_read"]?.int64Value, "\(context)")
            #expect(usage["cache_write_tokens"]?.int64Value == truth["cache_write"]?.int64Value, "\(context)")
            #expect(usage["output_tokens"]?.int64Value == truth["output_total"]?.int64Value, "\(context)")
            #expect(usage["reasoning_tokens"]?.int64Value == truth["reasoning"]?.int64Value, "\(context)")
            let total = try [
                "input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens",
                "unclassified_tokens",
            ].reduce(Int64(0)) { sum, name in
                sum + (try #require(usage[name]?.int64Value))
            }
            #expect(total == truth["total"]?.int64Value, "\(context)")
            #expect(event["timestamp"]?.stringValue == truth["started_at_utc"]?.stringValue, "\(context)")
            #expect(event["latency_ms"]?.int64Value == truth["latency_ms"]?.int64Value, "\(context)")
            #expect(event["usage_state"]?.stringValue == truth["usage_state"]?.stringValue, "\(context)")
            #expect(event["model"]?.stringValue == truth["model"]?.stringValue, "\(context)")
            #expect(event["upstream_provider"]?.stringValue == truth["provider"]?.stringValue, "\(context)")
            let failed = truth["failed"]?.boolValue == true
            #expect((event["status"]?.stringValue != "succeeded") == failed, "\(context)")
            if record["fail"] != nil || !failed {
                #expect(event["status_code"]?.int64Value == truth["status_code"]?.int64Value, "\(context)")
            } else {
                // Records before v7.0.0 carry no status code for a failure, so none is exported.
                #expect(event["status_code"]?.isNull == true, "\(context)")
            }
        }
    }

    private func checkOTLP(_ events: [String: JSONValue], file: String, expectedCount: Int) throws {
        let keys = try fixtureLines(file).flatMap { try Self.spanKeys($0) }
        let truths = try fixtureLines(file + ".expected.jsonl").map { try JSONParser.parse($0) }
        #expect(keys.count == expectedCount)
        #expect(truths.count == expectedCount)
        for (key, truth) in zip(keys, truths) {
            let context = "\(file) span \(truth["span"]?.int64Value ?? -1)"
            let event = try #require(events[key], "\(context) has no event")
            let usage = try #require(event["usage"])
            let start = try #require(truth["start_ns"]?.int64Value)
            let end = try #require(truth["end_ns"]?.int64Value)
            #expect(usage["input_tokens"]?.int64Value == truth["input_uncached"]?.int64Value, "\(context)")
            #expect(usage["cache_read_tokens"]?.int64Value == truth["cache_read"]?.int64Value, "\(context)")
            #expect(usage["cache_write_tokens"]?.int64Value == truth["cache_write"]?.int64Value, "\(context)")
            #expect(usage["output_tokens"]?.int64Value == truth["output_tokens"]?.int64Value, "\(context)")
            #expect(usage["reasoning_tokens"]?.int64Value == truth["reasoning"]?.int64Value, "\(context)")
            let timestamp = try #require(event["timestamp"]?.stringValue)
            #expect(Timestamp.parseRFC3339(timestamp) == start, "\(context)")
            #expect(timestamp.hasSuffix("Z"), "\(context)")
            #expect(event["latency_ms"]?.int64Value == (end - start + 500_000) / 1_000_000, "\(context)")
            #expect(event["model"]?.stringValue == truth["model"]?.stringValue, "\(context)")
            #expect(event["upstream_provider"]?.stringValue == truth["provider"]?.stringValue, "\(context)")
            #expect(event["session_id"]?.stringValue == truth["session"]?.stringValue, "\(context)")
            let failed = truth["failed"]?.boolValue == true
            #expect(event["status"]?.stringValue == (failed ? "failed" : "succeeded"), "\(context)")
            let hasUsage = (truth["input_tokens"]?.int64Value ?? 0) + (truth["output_tokens"]?.int64Value ?? 0) > 0
            #expect(event["usage_state"]?.stringValue == (hasUsage ? "present" : "missing"), "\(context)")
        }
    }
}
