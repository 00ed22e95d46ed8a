import Foundation
import LedgerCore
import Testing

/// Runs the real binary over the accounting-event fixture and compares every exported event with
/// the fixture's expected truth.
@Suite("Accounting fixture end to end", .serialized)
struct AccountingTruthTests {
    /// The event key of an accounting line: the hash of its `execution_id`.
    static func accountingKey(_ line: [UInt8]) throws -> String {
        let record = try JSONParser.parse(line)
        let executionID = try #require(record["execution_id"]?.stringValue)
        return EventKey(namespace: SourceShape.accountingEvent.rawValue, bytes: Array(executionID.utf8)).description
    }

    @Test("accounting fixture matches its truth")
    func fixtureMatchesTruth() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(["cliproxyapi/accounting-v1.jsonl"])
        let run = try harness.runOnce()
        #expect(run.status == 0, "\(run.stderr)")
        let events = try harness.exportEvents()
        #expect(events.count == 120)

        let lines = try fixtureLines("cliproxyapi/accounting-v1.jsonl")
        let truths = try fixtureLines("cliproxyapi/accounting-v1.jsonl.expected.jsonl").map { try JSONParser.parse($0) }
        #expect(lines.count == 120)
        #expect(truths.count == 120)
        for (index, (line, truth)) in zip(lines, truths).enumerated() {
            let context = "accounting line \(index + 1)"
            let record = try JSONParser.parse(line)
            let event = try #require(events[try Self.accountingKey(line)], "\(context) has no event")
            let usage = try #require(event["usage"])
            #expect(usage["input_tokens"]?.int64Value == truth["input_uncached"]?.int64Value, "\(context)")
            #expect(usage["cache_read_tokens"]?.int64Value == truth["cache_read"]?.int64Value, "\(context)")
            #expect(usage["cache_write_tokens"]?.int64Value == truth["cache_write"]?.int64Value, "\(context)")
            #expect(usage["output_tokens"]?.int64Value == truth["output_total"]?.int64Value, "\(context)")
            #expect(usage["reasoning_tokens"]?.int64Value == truth["reasoning"]?.int64Value, "\(context)")
            let total = try [
                "input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "unclassified_tokens",
            ].reduce(Int64(0)) { sum, name in
                sum + (try #require(usage[name]?.int64Value))
            }
            #expect(total == truth["total"]?.int64Value, "\(context)")
            #expect(event["timestamp"]?.stringValue == truth["started_at_utc"]?.stringValue, "\(context)")
            #expect(event["latency_ms"]?.int64Value == truth["latency_ms"]?.int64Value, "\(context)")
            #expect(event["usage_state"]?.stringValue == truth["usage_state"]?.stringValue, "\(context)")
            #expect(event["model"]?.stringValue == truth["model"]?.stringValue, "\(context)")
            #expect(event["upstream_provider"]?.stringValue == truth["provider"]?.stringValue, "\(context)")
            #expect(event["status_code"]?.int64Value == truth["status_code"]?.int64Value, "\(context)")
            let failed = truth["failed"]?.boolValue == true
            #expect((event["status"]?.stringValue != "succeeded") == failed, "\(context)")
            #expect(event["source"]?.stringValue == "cliproxyapi.accounting", "\(context)")
            #expect(event["requested_model"]?.stringValue == record["requested_alias"]?.stringValue, "\(context)")
            #expect(event["session_id"]?.stringValue == record["session_id"]?.stringValue, "\(context)")
            #expect(event["client_key_id"]?.stringValue == record["client_key_id"]?.stringValue, "\(context)")
        }

        let again = try harness.runOnce()
        #expect(again.status == 0)
        #expect(try harness.eventCount() == 120)
    }
}
