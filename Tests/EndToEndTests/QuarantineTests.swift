import Foundation
import LedgerCore
import Testing

/// `tokenledgerd quarantine list|export|retry` on a real store.
@Suite("Quarantine tools end to end", .serialized)
struct QuarantineTests {
    /// A usage-queue line padded past 2 KiB with an extra member, so a 2 KiB line limit rejects it
    /// while the 1083-byte template passes.
    static let longLine: String = {
        let padding = String(repeating: "x", count: 1200)
        return Records.usageLine(7).replacingOccurrences(
            of: "\"request_id\"", with: "\"endpoint_note\":\"\(padding)\",\"request_id\"")
    }()

    static let secretLine =
        #"{"api_key":"sk-FAKE-quarantine-secret","timestamp":"nope","provider":"codex","tokens":{}}"#

    func prepare(_ harness: Harness) throws {
        try harness.write(Records.usageLine(1) + "\n" + Self.longLine + "\n" + Self.secretLine + "\n", to: "q.jsonl")
        let run = try harness.run(
            ["run", "--once", "--spool", harness.spool.path, "--state-dir", harness.state.path],
            environment: ["TOKENLEDGERD_MAX_LINE_LENGTH": "2048"])
        #expect(run.status == 0, "\(run.stderr)")
    }

    @Test("list and export show samples only")
    func listAndExport() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try prepare(harness)
        let list = try harness.run(["quarantine", "list", "--state-dir", harness.state.path])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("line_too_long"))
        #expect(list.stdout.contains("invalid_field"))
        #expect(!list.stdout.contains("sk-FAKE-quarantine-secret"))

        let out = harness.root.appendingPathComponent("quarantine.jsonl")
        let export = try harness.run(["quarantine", "export", "--state-dir", harness.state.path, "--out", out.path])
        #expect(export.status == 0, "\(export.stderr)")
        let lines = try Data(contentsOf: out).split(separator: 0x0A).map { try JSONParser.parse(Array($0)) }
        #expect(lines.count == 2)
        #expect(lines.map { $0["reason"]?.stringValue ?? "" }.sorted() == ["invalid_field", "line_too_long"])
        let text = String(decoding: try Data(contentsOf: out), as: UTF8.self)
        #expect(!text.contains("sk-FAKE-quarantine-secret"))
        #expect(text.contains("<redacted>"))

        let filtered = try harness.run(
            ["quarantine", "list", "--json", "--reason", "line_too_long", "--state-dir", harness.state.path])
        #expect(filtered.stdout.split(separator: "\n").count == 1)
    }

    @Test("retry decodes with current limits once")
    func retry() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try prepare(harness)
        #expect(try harness.eventCount() == 1)

        let first = try harness.run(["quarantine", "retry", "--state-dir", harness.state.path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(
            first.stdout
                == "lines: 2 examined, 1 decoded differently, 1 unchanged, 0 unreadable or changed on disk; "
                + "events: 1 new; quarantine rows: 1 deleted\n")
        #expect(try harness.eventCount() == 2)
        #expect(try harness.query("SELECT reason FROM quarantine") == "invalid_field")
        #expect(try harness.query("SELECT DISTINCT request_id FROM events ORDER BY 1") == "00000001\n00000007")

        let second = try harness.run(["quarantine", "retry", "--state-dir", harness.state.path])
        #expect(
            second.stdout
                == "lines: 1 examined, 0 decoded differently, 1 unchanged, 0 unreadable or changed on disk; "
                + "events: 0 new; quarantine rows: 0 deleted\n")
        #expect(try harness.eventCount() == 2)
    }

    /// Pads `line` past 2 KiB with an extra member at its end.
    static func padded(_ line: String) -> String {
        let padding = String(repeating: "x", count: 2048)
        var text = line
        text.removeLast()
        return text + ",\"padding_note\":\"\(padding)\"}"
    }

    @Test("retried twin counts once")
    func retriedTwin() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        // Stored: a usage-queue record at 23:00 and an accounting event at 23:05. Quarantined as too
        // long: the other channel's event of each of those attempts, and an accounting event at
        // 23:10 that has no twin.
        let stored = [
            DocumentSpoolTests.usageRecord(start: "2026-11-30T23:00:00Z"),
            DocumentSpoolTests.accountingEvent(start: "2026-11-30T23:05:00Z", executionID: "exec-b"),
        ]
        let quarantined = [
            Self.padded(DocumentSpoolTests.accountingEvent(start: "2026-11-30T23:00:00Z", executionID: "exec-a")),
            Self.padded(DocumentSpoolTests.usageRecord(start: "2026-11-30T23:05:00Z")),
            Self.padded(DocumentSpoolTests.accountingEvent(start: "2026-11-30T23:10:00Z", executionID: "exec-c")),
        ]
        try harness.write((stored + quarantined).joined(separator: "\n") + "\n", to: "twins.jsonl")
        let run = try harness.run(
            ["run", "--once", "--spool", harness.spool.path, "--state-dir", harness.state.path],
            environment: ["TOKENLEDGERD_MAX_LINE_LENGTH": "2048"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try harness.eventCount() == 2)
        #expect(try harness.query("SELECT count(*) FROM quarantine WHERE reason = 'line_too_long'") == "3")

        let retry = try harness.run(["quarantine", "retry", "--state-dir", harness.state.path])
        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(
            retry.stdout
                == "lines: 3 examined, 3 decoded differently, 0 unchanged, 0 unreadable or changed on disk; "
                + "events: 1 new; quarantine rows: 3 deleted\n")
        #expect(try harness.eventCount() == 3)
        #expect(
            try harness.query("SELECT shape || ' ' || started_at_ns FROM events ORDER BY started_at_ns")
                == "cliproxyapi.usage_queue 1796079600000000000\n"
                + "cliproxyapi.accounting 1796079900000000000\n"
                + "cliproxyapi.accounting 1796080200000000000")
        #expect(try harness.query("SELECT count(*) FROM quarantine") == "0")
    }

    @Test("retry skips lines changed on disk")
    func retryChangedFile() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try prepare(harness)
        try harness.write(String(repeating: " ", count: 4000) + "\n", to: "q.jsonl")
        let run = try harness.run(["quarantine", "retry", "--state-dir", harness.state.path])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("lines: 2 examined, 0 decoded differently, 0 unchanged, 2 unreadable"))
        #expect(try harness.query("SELECT count(*) FROM quarantine") == "2")
    }
}
