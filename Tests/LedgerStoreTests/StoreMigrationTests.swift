import Foundation
import LedgerCore
import Testing

@testable import LedgerStore

@Suite("Store schema migrations")
struct StoreMigrationTests {
    /// Creates a store at schema version 1, as the first release wrote it, with two events.
    static func versionOneStore(at path: String) throws {
        let database = try Database(path: path)
        try database.execute("PRAGMA journal_mode = WAL")
        try database.execute(Schema.migrations[0])
        try database.execute("PRAGMA user_version = 1")
        try database.execute(
            """
            INSERT INTO events (event_key, shape, provider, model, started_at_ns, status, input_uncached,
                cache_read, cache_write, output, reasoning, unclassified, usage_state, quality, cost_nanos)
            VALUES
                (x'0102', 'usage_queue', 'claude', 'claude-sonnet-4-5', 2000, 'succeeded', 5, 0, 0, 10, 0, 0,
                 'present', 'complete', 1500),
                (x'0304', 'otlp_span', 'codex', 'gpt-5', 1000, 'failed', 0, 0, 0, 0, 0, 0, 'missing',
                 'complete', NULL)
            """)
    }

    @Test("version 1 store migrates with its events")
    func migratesVersionOne() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.sqlite3").path
        try Self.versionOneStore(at: path)

        var announced: [(Int, Int)] = []
        let store = try Store(path: path) { announced.append(($0, $1)) }
        #expect(announced.map(\.0) == [1])
        #expect(announced.map(\.1) == [Store.schemaVersion])
        #expect(try store.database.scalarInt("PRAGMA user_version") == Int64(Store.schemaVersion))
        #expect(try store.eventTotal() == 2)
        #expect(
            try store.database.scalarText(
                "SELECT group_concat(hex(event_key) || ':' || started_at_ns || ':' || ifnull(cost_nanos, 'null'), ',') "
                    + "FROM (SELECT * FROM events ORDER BY event_id)") == "0102:2000:1500,0304:1000:null")
        // The unique index on (started_at_ns, event_key) replaced the one on event_key alone.
        #expect(
            try store.database.scalarText(
                "SELECT group_concat(name || ':' || \"unique\", ',') FROM (SELECT * FROM pragma_index_list('events') "
                    + "ORDER BY name)") == "events_started_key:1,events_unpriced:0")
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("new store announces no migration")
    func newStoreIsSilent() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var announced = 0
        let path = directory.appendingPathComponent("store.sqlite3").path
        _ = try Store(path: path) { _, _ in announced += 1 }
        _ = try Store(path: path) { _, _ in announced += 1 }
        #expect(announced == 0)
    }

    @Test("duplicate key at one instant is ignored")
    func duplicateAtInstant() throws {
        let (store, directory) = try StoreCommitTests.temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let event = StoreCommitTests.event("a")
        let first = try store.commit(
            IngestBatch(
                file: StoreCommitTests.file(offset: 40), events: [PositionedEvent(event: event, lineOffset: 0)],
                quarantine: [], now: 1))
        #expect(first.insertedEvents == 1)

        // The same key at the same instant is the same event; the planner uses the unique index.
        let again = try store.commit(
            IngestBatch(
                file: first.file, events: [PositionedEvent(event: event, lineOffset: 0)], quarantine: [], now: 2))
        #expect(again.insertedEvents == 0)
        #expect(try store.eventTotal() == 1)
        let explain = try store.database.makeStatement(
            "EXPLAIN QUERY PLAN SELECT 1 FROM events WHERE started_at_ns = 1 AND event_key = x'00'")
        var plan: [String] = []
        while try explain.step() {
            plan.append(explain.text(3) ?? "")
        }
        #expect(plan == ["SEARCH events USING COVERING INDEX events_started_key (started_at_ns=? AND event_key=?)"])
    }
}
