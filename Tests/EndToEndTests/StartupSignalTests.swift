import Foundation
import Glibc
import Testing

@testable import LedgerStore

@Suite("Signals during start-up", .serialized)
struct StartupSignalTests {
    /// Writes a schema version 1 store of `count` events, large enough that its migration takes a
    /// noticeable time.
    static func writeVersionOneStore(at path: String, count: Int) throws {
        let database = try Database(path: path)
        try database.execute("PRAGMA journal_mode = WAL")
        try database.execute(Schema.migrations[0].sql)
        try database.execute("PRAGMA user_version = 1")
        try database.execute(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(count))
            INSERT INTO events (event_key, shape, provider, model, session_id, request_id, started_at_ns, latency_ms,
                status, input_uncached, cache_read, cache_write, output, reasoning, unclassified, usage_state,
                quality)
            SELECT randomblob(16), 'cliproxyapi.usage_queue', 'claude', 'claude-sonnet-4-5', 'session-' || (i % 97),
                printf('%08x', i), 1780308000000000000 + i * 1000000000, 100 + i % 900, 'succeeded', 1000 + i, 0,
                0, i % 500, 0, 0, 'present', 'complete'
            FROM n
            """)
    }

    @Test("SIGTERM during a migration stops cleanly")
    func termDuringMigration() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try FileManager.default.createDirectory(at: harness.state, withIntermediateDirectories: true)
        let databasePath = harness.state.appendingPathComponent("tokenledgerd.sqlite3").path
        try Self.writeVersionOneStore(at: databasePath, count: 300_000)

        let daemon = try Daemon(harness)
        // The lock file appears after the signal handlers are installed and before the store opens.
        let lock = harness.state.appendingPathComponent("lock").path
        #expect(harness.waitUntil(timeout: 20) { FileManager.default.fileExists(atPath: lock) })
        let status = daemon.stop(signal: SIGTERM, timeout: 120)
        #expect(status == 0, "\(daemon.stderr)")
        #expect(daemon.process.terminationReason == .exit)
        #expect(daemon.stderr.contains("migrating the store to a new schema"))
        #expect(try harness.query("PRAGMA user_version") == "\(Store.schemaVersion)")
        #expect(try harness.query("SELECT count(*) FROM events") == "300000")
    }
}
