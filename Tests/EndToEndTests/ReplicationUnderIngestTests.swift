import Foundation
import Glibc
import Testing

/// Tests of continuous replication in `run` while the ingest loop commits often.
/// The replication thread writes only its watermark, so that write must not fail against the daemon's own commits.
@Suite("Replication under steady ingest", .serialized)
struct ReplicationUnderIngestTests {
    @Test("replication keeps up with ingest")
    func replicationKeepsUp() throws {
        guard let server = try ReplicationTests.startServer() else { return }
        defer { server.tearDown() }
        let harness = try Harness()
        defer { harness.cleanUp() }
        let target = try ReplicationTests.writeTarget(server, in: harness)
        let config = harness.root.appendingPathComponent("tokenledgerd.conf")
        try Data(
            """
            [daemon]
            poll_interval = 500ms
            fold_interval = 5
            [replication]
            target = @\(target)

            """.utf8
        ).write(to: config)

        let daemon = try Daemon(harness, extra: ["--config", config.path])
        #expect(
            harness.waitUntil { FileManager.default.fileExists(atPath: harness.state.path + "/tokenledgerd.sqlite3") })
        // About 6 seconds of steady traffic: 600 appends of 10 lines, 10 ms apart.
        let file = harness.path("steady.jsonl")
        #expect(FileManager.default.createFile(atPath: file, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        for batch in 0..<600 {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(Records.usageLines(batch * 10...batch * 10 + 9).utf8))
            usleep(10_000)
        }
        try handle.close()
        #expect(try harness.waitUntil(timeout: 60) { try harness.eventCount() == 6000 })

        // The server is up the whole time, so the watermark reaches the last event soon after
        // ingest ends, not after a backoff of up to 60 s.
        let caughtUp = try harness.waitUntil(timeout: 10) {
            try harness.query("SELECT max(last_event_id) FROM replication_watermarks")
                == harness.query("SELECT max(event_id) FROM events")
        }
        #expect(caughtUp)
        #expect(daemon.stop() == 0)
        #expect(!daemon.stderr.contains("database is locked"))
    }

    @Test("replicate succeeds beside an ingesting daemon")
    func oneShotBesideIngest() throws {
        guard let server = try ReplicationTests.startServer() else { return }
        defer { server.tearDown() }
        let harness = try Harness()
        defer { harness.cleanUp() }
        let target = try ReplicationTests.writeTarget(server, in: harness)
        let daemon = try Daemon(harness, extra: ["--poll-interval", "0.5", "--fold-interval", "5"])
        #expect(
            harness.waitUntil { FileManager.default.fileExists(atPath: harness.state.path + "/tokenledgerd.sqlite3") })

        // `replicate` runs while a writer appends 10 lines every 10 ms for about 6 seconds.
        let writer = Thread {
            let file = harness.path("steady.jsonl")
            _ = FileManager.default.createFile(atPath: file, contents: nil)
            guard let handle = try? FileHandle(forWritingTo: URL(fileURLWithPath: file)) else { return }
            for batch in 0..<600 {
                _ = try? handle.seekToEnd()
                try? handle.write(contentsOf: Data(Records.usageLines(batch * 10...batch * 10 + 9).utf8))
                usleep(10_000)
            }
            try? handle.close()
        }
        writer.start()
        #expect(harness.waitUntil { (try? harness.eventCount()) ?? 0 >= 1000 })
        let run = try harness.run([
            "replicate", "--state-dir", harness.state.path, "--to", "@" + target, "--timeout", "30",
        ])
        #expect(run.status == 0, "replicate: \(run.stderr)")
        #expect(try harness.waitUntil(timeout: 60) { try harness.eventCount() == 6000 })
        #expect(daemon.stop() == 0)
    }
}
