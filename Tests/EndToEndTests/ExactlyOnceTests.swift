import Foundation
import LedgerCore
import LedgerStore
import Testing

@Suite("Exactly-once ingestion", .serialized)
struct ExactlyOnceTests {
    @Test("second run adds no events")
    func secondRunAddsNothing() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(FixtureTruthTests.fixtureFiles)
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.query("SELECT count(*) FROM events") == "720")
        let second = try harness.runOnce()
        #expect(second.status == 0)
        #expect(second.stderr.contains("events.new=0"))
        #expect(try harness.query("SELECT count(*) FROM events") == "720")
    }

    @Test("copy under another name adds no events")
    func copiedFileAddsNothing() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(FixtureTruthTests.fixtureFiles)
        #expect(try harness.runOnce().status == 0)
        try FileManager.default.copyItem(
            at: harness.spool.appendingPathComponent("usage-queue.jsonl"),
            to: harness.spool.appendingPathComponent("usage-queue-copy.jsonl"))
        try FileManager.default.copyItem(
            at: harness.spool.appendingPathComponent("genai-traces.jsonl"),
            to: harness.spool.appendingPathComponent("genai-traces.jsonl.1"))
        let run = try harness.runOnce()
        #expect(run.status == 0)
        #expect(run.stderr.contains("events.new=0 events.duplicate=700"))
        #expect(try harness.query("SELECT count(*) FROM events") == "720")
        #expect(try harness.query("SELECT count(*) FROM files WHERE state = 'active'") == "5")
    }

    @Test("unterminated line waits for its newline")
    func partialLineWaits() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let lines = try fixtureLines("cliproxyapi/usage-queue.jsonl")
        let first = String(decoding: lines[0], as: UTF8.self)
        let second = String(decoding: lines[1], as: UTF8.self)
        let splitPoint = second.index(second.startIndex, offsetBy: 100)
        try harness.append(first + "\n" + String(second[..<splitPoint]), to: "live.jsonl")

        #expect(try harness.runOnce().status == 0)
        #expect(try harness.query("SELECT count(*) FROM events") == "1")
        let offset = try harness.query("SELECT committed_offset FROM files")
        #expect(offset == String(lines[0].count + 1))

        #expect(try harness.runOnce().status == 0)
        #expect(try harness.query("SELECT count(*) FROM events") == "1")

        try harness.append(String(second[splitPoint...]) + "\n", to: "live.jsonl")
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.query("SELECT count(*) FROM events") == "2")
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.query("SELECT count(*) FROM events") == "2")
        #expect(try harness.query("SELECT count(*) FROM quarantine") == "0")

        let events = try harness.exportEvents()
        let key = EventKey(namespace: SourceShape.usageQueue.rawValue, bytes: lines[1]).description
        let event = try #require(events[key])
        #expect(event["latency_ms"]?.int64Value == 1428)
        #expect(event["timestamp"]?.stringValue == "2026-11-30T22:01:11.69832Z")
    }

    @Test("store is WAL with a schema version")
    func storeIsWAL() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.query("PRAGMA journal_mode") == "wal")
        #expect(try harness.query("PRAGMA user_version") == "\(Store.schemaVersion)")
        #expect(try harness.query("PRAGMA integrity_check") == "ok")
    }
}
