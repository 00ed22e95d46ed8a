import Foundation
import LedgerCore
import Testing

/// Whole-document `.json` spool files, and attempts shipped through both CLIProxyAPI channels.
@Suite("Document files and twin channels end to end", .serialized)
struct DocumentSpoolTests {
    static func usageLines(_ count: Int) throws -> [String] {
        try fixtureLines("cliproxyapi/usage-queue.jsonl").prefix(count).map { String(decoding: $0, as: UTF8.self) }
    }

    static func prettyArray(_ lines: [String]) -> String {
        "[\n    " + lines.joined(separator: ",\n    ") + "\n]\n"
    }

    @Test("json array is read whole once")
    func arrayDocument() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let lines = try Self.usageLines(4)
        try harness.write(Self.prettyArray(Array(lines.prefix(3))), to: "queue.json")
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.eventCount() == 3)
        #expect(try harness.query("SELECT count(*) FROM quarantine") == "0")
        let size = try FileManager.default.attributesOfItem(atPath: harness.path("queue.json"))[.size] as? Int
        #expect(try harness.query("SELECT committed_offset FROM files") == "\(size ?? -1)")

        #expect(try harness.runOnce().status == 0)
        #expect(try harness.eventCount() == 3)

        // The writer replaces the document with a longer one: only the new record is added.
        try harness.write(Self.prettyArray(lines), to: "queue.json")
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.eventCount() == 4)
    }

    @Test("incomplete document waits")
    func incompleteDocument() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let text = Self.prettyArray(try Self.usageLines(2))
        let half = String(text.prefix(text.count / 2))
        try harness.write(half, to: "queue.json")
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.eventCount() == 0)
        #expect(try harness.query("SELECT count(*) FROM quarantine") == "0")

        try harness.write(text, to: "queue.json")
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.eventCount() == 2)
    }

    @Test("invalid document is quarantined once")
    func invalidDocument() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.write("{\"a\": 1} trailing\n", to: "bad.json")
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.query("SELECT reason, line_offset, line_length FROM quarantine") == "invalid_json|0|18")
    }

    static let clientKey = "sk-client-FAKE-twin-01"

    static func usageRecord(start: String) -> String {
        """
        {"timestamp":"\(start)","latency_ms":900,"source":"acct-twin@example.invalid","auth_index":"3f9c2a7d11e04b5c",\
        "tokens":{"input_tokens":1000,"output_tokens":300,"reasoning_tokens":0,"cached_tokens":600,\
        "cache_read_tokens":600,"cache_read_tokens_present":true,"cache_creation_tokens":0,"total_tokens":1300},\
        "failed":false,"fail":{"status_code":200,"body":""},"provider":"codex","executor_type":"CodexExecutor",\
        "model":"gpt-5","alias":"gpt-5","endpoint":"POST /v1/responses","auth_type":"oauth",\
        "api_key":"\(clientKey)","request_id":"0a0b0c0d"}
        """
    }

    static func accountingEvent(start: String, executionID: String) -> String {
        """
        {"schema_version":1,"execution_id":"\(executionID)","trace_id":"t-1","started_at":"\(start)",\
        "latency_ms":900,"provider":"codex","executor_type":"CodexExecutor","requested_alias":"gpt-5",\
        "executed_model":"gpt-5","status":"succeeded","client_key_id":"\(SecretHasher.clientKeyID(clientKey))",\
        "tokens":{"input":1000,"output":300,"reasoning":0,"cached":600,"cache_read":600,"cache_creation":0,\
        "total":1300}}
        """
    }

    @Test("attempt in both channels counts once")
    func twinChannels() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        // The same instant written with two offsets, as the two channels may write it.
        try harness.write(
            Self.accountingEvent(start: "2026-11-30T22:00:48.505978Z", executionID: "exec-twin-1") + "\n",
            to: "a-accounting.jsonl")
        try harness.write(
            Self.usageRecord(start: "2026-12-01T06:00:48.505978+08:00") + "\n"
                + Self.usageRecord(start: "2026-12-01T06:00:49.1+08:00") + "\n", to: "b-usage.jsonl")
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.eventCount() == 2)
        #expect(
            try harness.query("SELECT shape FROM events ORDER BY started_at_ns")
                == "cliproxyapi.accounting\ncliproxyapi.usage_queue")

        // The usage-queue twin first, then its accounting event: the one stored first stays.
        try harness.write(
            Self.accountingEvent(start: "2026-11-30T22:00:49.1Z", executionID: "exec-twin-2") + "\n",
            to: "c-accounting.jsonl")
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.eventCount() == 2)
    }

    @Test("twins in one file count once")
    func twinsInOneBatch() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.write(
            Self.usageRecord(start: "2026-12-01T06:00:48.505978+08:00") + "\n"
                + Self.accountingEvent(start: "2026-11-30T22:00:48.505978Z", executionID: "exec-twin-3") + "\n",
            to: "mixed.jsonl")
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.query("SELECT shape FROM events") == "cliproxyapi.usage_queue")
    }
}
