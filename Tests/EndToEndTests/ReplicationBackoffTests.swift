import Foundation
import Glibc
import Testing

/// Checks that the replication thread of `run` keeps its backoff of 0.5 s to 60 s from an
/// unreachable server. Otherwise every commit batch opens another connection to a server that is down.
@Suite("Replication backoff while ingesting", .serialized)
struct ReplicationBackoffTests {
    @Test("commits do not cut the replication backoff short")
    func commitsKeepTheBackoff() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        // Port 1 on loopback refuses at once, as a stopped server does.
        let target = harness.root.appendingPathComponent("replication-target")
        try Data("host=127.0.0.1 port=1 dbname=x user=u password=unused connect_timeout=2\n".utf8).write(to: target)
        chmod(target.path, 0o600)
        let config = harness.root.appendingPathComponent("tokenledgerd.conf")
        try Data(
            """
            [daemon]
            poll_interval = 500ms
            fold_interval = 60
            [replication]
            target = @\(target.path)

            """.utf8
        ).write(to: config)

        let daemon = try Daemon(harness, extra: ["--config", config.path])
        #expect(
            harness.waitUntil { FileManager.default.fileExists(atPath: harness.state.path + "/tokenledgerd.sqlite3") })
        // About 3 seconds of traffic in 60 small appends, so that the ingest loop commits often.
        let file = harness.path("growing.jsonl")
        #expect(FileManager.default.createFile(atPath: file, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        for batch in 0..<60 {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(Records.usageLines(batch * 5...batch * 5 + 4).utf8))
            usleep(50_000)
        }
        try handle.close()
        #expect(try harness.waitUntil { try harness.eventCount() == 300 })
        #expect(daemon.stop() == 0)

        // With 0.5 s doubling (±20 %), the fourth retry is due after at least 2.8 s, so a few
        // seconds give well under 10 failures. The daemon logs the first failure and every tenth.
        let failures = daemon.stderr.split(separator: "\n").compactMap { line -> Int? in
            guard let range = line.range(of: "retry.failures=") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(failures.first == 1)
        #expect(failures.allSatisfy { $0 < 10 }, "connection attempts logged: \(failures)")
    }
}
