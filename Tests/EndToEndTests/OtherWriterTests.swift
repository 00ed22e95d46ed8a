import Foundation
import Glibc
import Testing

/// A running daemon and another process that writes to the same store. The daemon must ingest
/// again once the other writer has committed.
@Suite("Another writer beside a running daemon", .serialized)
struct OtherWriterTests {
    @Test("ingests after a reprice")
    func ingestsAfterReprice() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(["cliproxyapi/usage-queue.jsonl"])
        let daemon = try Daemon(harness, extra: ["--poll-interval", "200ms", "--fold-interval", "200ms"])
        #expect(try harness.waitUntil { try harness.eventCount() == 400 })
        // Let the daemon fold once and go idle before the other writer commits.
        let manifest = harness.state.appendingPathComponent("ledger/manifest.json").path
        #expect(harness.waitUntil { FileManager.default.fileExists(atPath: manifest) })
        sleep(2)

        let reprice = try harness.run(["reprice", "--state-dir", harness.state.path])
        #expect(reprice.status == 0)
        try harness.write(Records.usageLines(1...1), to: "b.jsonl")
        // The retry backoff starts at 0.2 s, so 20 s leaves room for several attempts.
        #expect(try harness.waitUntil { try harness.eventCount() == 401 })
        #expect(daemon.stop() == 0)
        // SQLite's code 517 is SQLITE_BUSY_SNAPSHOT: a read transaction older than the last commit.
        #expect(!daemon.stderr.contains("code 517"))
    }

    @Test("ingests after a foreign commit")
    func ingestsAfterForeignCommit() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let daemon = try Daemon(harness, extra: ["--poll-interval", "200ms", "--fold-interval", "200ms"])
        try harness.write(Records.usageLines(1...5), to: "a.jsonl")
        #expect(try harness.waitUntil { try harness.eventCount() == 5 })
        // Let the daemon fold once and go idle before the other writer commits.
        let manifest = harness.state.appendingPathComponent("ledger/manifest.json").path
        #expect(harness.waitUntil { FileManager.default.fileExists(atPath: manifest) })
        sleep(2)

        _ = try harness.query("INSERT INTO fold_state (name, value) VALUES ('other-writer', '1')")
        try harness.append(Records.usageLines(6...6), to: "a.jsonl")
        #expect(try harness.waitUntil { try harness.eventCount() == 6 })
        #expect(daemon.stop() == 0)
    }

    @Test("ingests after an export")
    func ingestsAfterExport() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(["cliproxyapi/usage-queue.jsonl"])
        let daemon = try Daemon(harness, extra: ["--poll-interval", "200ms"])
        #expect(try harness.waitUntil { try harness.eventCount() == 400 })
        sleep(2)

        // With the default fold interval, this event stays unpriced until the export prices it.
        try harness.write(Records.usageLines(1...1), to: "b.jsonl")
        #expect(try harness.waitUntil { try harness.eventCount() == 401 })
        let export = try harness.run(["export", "--state-dir", harness.state.path, "--out", harness.out.path])
        #expect(export.status == 0)

        try harness.write(Records.usageLines(2...2), to: "c.jsonl")
        #expect(try harness.waitUntil { try harness.eventCount() == 402 })
        #expect(daemon.stop() == 0)
    }
}
