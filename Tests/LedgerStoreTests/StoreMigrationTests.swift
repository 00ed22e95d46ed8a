import Foundation
import LedgerCore
import Testing

@testable import LedgerStore

@Suite("Store schema migrations")
struct StoreMigrationTests {
    /// 2026-06-01T10:00:00Z in nanoseconds since the epoch.
    static let startedAt: Int64 = 1_780_308_000_000_000_000
    static let pricedKey = EventKey(high: 0x0011_2233_4455_6677, low: 0x8899_aabb_ccdd_eeff)
    static let unpricedKey = EventKey(high: 1, low: 2)

    /// Creates a store at schema version 1 with one file, one priced and one unpriced event, as
    /// the first release wrote it.
    static func makeVersionOneStore(at path: String) throws {
        let database = try Database(path: path)
        try database.execute("PRAGMA journal_mode = WAL")
        try database.execute(Schema.migrations[0].sql)
        try database.execute("PRAGMA user_version = 1")
        try database.execute(
            """
            INSERT INTO files (file_id, path, device, inode, birth_ns, modified_ns, compression, size,
                               committed_offset, head_length, head_hash, tail_hash, state, first_seen_ns, updated_ns)
            VALUES (1, '/spool/events.jsonl', 7, 9, NULL, 5, 'none', 600, 600, 600, X'01', NULL, 'active', 5, 5);
            INSERT INTO events (event_key, shape, provider, model, requested_model, session_id, request_id,
                                started_at_ns, latency_ms, ttft_ms, status, status_code, input_uncached, cache_read,
                                cache_write, output, reasoning, unclassified, usage_state, quality, client_key_id,
                                account_id, auth_index, service_name, host_name, file_id, line_offset, cost_nanos,
                                cost_estimated, price_ref, priced_at_ns)
            VALUES (X'00112233445566778899aabbccddeeff', 'tokenledger.event', 'codex', 'gpt-5', NULL, 's-1', NULL,
                    \(startedAt), NULL, NULL, 'succeeded', NULL, 1300000, 400000, 100000, 250000, 0, 0, 'present',
                    'complete', NULL, NULL, NULL, NULL, NULL, 1, 0, 4930000000, 0, 'tokenledger:codex/gpt-5@sha256:ab',
                    \(startedAt + 1)),
                   (X'00000000000000010000000000000002', 'cliproxyapi.usage_queue', 'claude', 'claude-sonnet-4-5',
                    'sonnet', NULL, 'r-1', \(startedAt + 60_000_000_000), 812, 90, 'failed', 502, 12, 0, 0, 640, 40,
                    0, 'present', 'complete', 'c', 'a', '3f9c', NULL, NULL, 1, 300, NULL, NULL, NULL, NULL);
            """)
    }

    static func temporaryPath() throws -> (path: String, directory: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (directory.appendingPathComponent("tokenledgerd.sqlite3").path, directory)
    }

    @Test("version 1 store migrates intact")
    func versionOneMigrates() throws {
        let (path, directory) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.makeVersionOneStore(at: path)

        var announced: [(Int, Int)] = []
        let store = try Store(path: path) { announced.append(($0, $1)) }
        #expect(announced.map(\.0) == [1])
        #expect(announced.map(\.1) == [Store.schemaVersion])
        #expect(try store.database.scalarInt("PRAGMA user_version") == Int64(Store.schemaVersion))
        // The unique index on (started_at_ns, event_key) replaced the one on event_key alone.
        #expect(
            try store.database.scalarText(
                "SELECT group_concat(name || ':' || \"unique\", ',') FROM (SELECT * FROM pragma_index_list('events') "
                    + "ORDER BY name)")
                == "events_accounting_attempts:0,events_cost_changes:0,events_started_key:1,events_unpriced:0")
        #expect(try store.integrityCheck() == "ok")
        let events = try store.events(afterID: 0, limit: 10)
        #expect(events.count == 2)
        let priced = try #require(events.first)
        #expect(priced.event.key == Self.pricedKey)
        #expect(priced.event.shape == .normalizedEvent)
        #expect(
            priced.event.buckets
                == TokenBuckets(inputUncached: 1_300_000, cacheRead: 400_000, cacheWrite: 100_000, output: 250_000))
        #expect(priced.event.toolInputTokens == 0)
        #expect(priced.event.toolOutputTokens == 0)
        #expect(priced.event.sessionID == "s-1")
        #expect(priced.filePath == "/spool/events.jsonl")
        #expect(priced.lineOffset == 0)
        #expect(
            priced.cost
                == RecordedCost(
                    nanos: 4_930_000_000, isEstimated: false, priceReference: "tokenledger:codex/gpt-5@sha256:ab",
                    pricedAtNanoseconds: Self.startedAt + 1))

        let unpriced = try #require(events.last)
        #expect(unpriced.event.key == Self.unpricedKey)
        #expect(unpriced.event.buckets == TokenBuckets(inputUncached: 12, output: 640, reasoning: 40))
        #expect(unpriced.event.status == .failed)
        #expect(unpriced.event.statusCode == 502)
        #expect(unpriced.event.requestedModel == "sonnet")
        #expect(unpriced.event.latencyMilliseconds == 812)
        #expect(unpriced.event.authIndex == "3f9c")
        #expect(unpriced.lineOffset == 300)
        #expect(unpriced.cost == nil)
        #expect(try store.files().map(\.committedOffset) == [600])

        // The cost recorded under version 1 counts as a change, so every target receives it once.
        #expect(try store.costChanges(afterSequence: 0, limit: 10).map(\.sequence) == [1])
        #expect(try store.database.scalarInt("SELECT last_value FROM cost_change_sequence") == 1)
    }

    @Test("migrated store keeps tool tokens")
    func toolTokensRoundTrip() throws {
        let (path, directory) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.makeVersionOneStore(at: path)
        let store = try Store(path: path)
        var event = CanonicalEvent(
            key: EventKey(high: 3, low: 4), shape: .normalizedEvent, provider: "codex", model: "gpt-5",
            startedAtNanoseconds: Self.startedAt + 120_000_000_000, status: .succeeded,
            buckets: TokenBuckets(inputUncached: 1_300_000, cacheRead: 400_000, cacheWrite: 100_000, output: 250_000),
            usageState: .present, quality: .complete)
        event.toolInputTokens = 300_000
        event.toolOutputTokens = 50_000
        #expect(try store.insertUnfiledEvents([event]) == 1)

        let stored = try #require(try store.events(afterID: 2, limit: 10).first)
        #expect(stored.event == event)
        var ordered: [StoredEvent] = []
        try store.forEachEvent { ordered.append($0) }
        #expect(ordered.map(\.event.toolInputTokens) == [0, 0, 300_000])
        #expect(ordered.map(\.event.toolOutputTokens) == [0, 0, 50_000])
        var foldRows: [FoldRow] = []
        try store.forEachFoldRow { foldRows.append($0) }
        #expect(foldRows.map(\.toolInputTokens) == [0, 0, 300_000])
        #expect(foldRows.map(\.toolOutputTokens) == [0, 0, 50_000])
        #expect(foldRows.last?.billableTokens == event.billableTokens)

        let candidate = try #require(try store.pricingCandidates(afterID: 2, limit: 10, unpricedOnly: true).first)
        #expect(candidate.toolInputTokens == 300_000)
        #expect(candidate.toolOutputTokens == 50_000)
        #expect(
            candidate.billableTokens
                == BillableTokens(
                    buckets: TokenBuckets(
                        inputUncached: 1_000_000, cacheRead: 400_000, cacheWrite: 100_000, output: 200_000),
                    toolInput: 300_000, toolOutput: 50_000))
        #expect(PricingCandidate(stored: stored) == candidate)
    }

    @Test("negative tool tokens are rejected")
    func negativeToolTokens() throws {
        let (path, directory) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Store(path: path)
        var event = CanonicalEvent(
            key: EventKey(high: 5, low: 6), shape: .normalizedEvent, provider: "codex", model: "gpt-5",
            startedAtNanoseconds: Self.startedAt, status: .succeeded, buckets: TokenBuckets(inputUncached: 10),
            usageState: .present, quality: .complete)
        event.toolInputTokens = -1
        let error = try #require(throws: StoreError.self) { try store.insertUnfiledEvents([event]) }
        #expect(error.message.contains("CHECK constraint failed"))
        #expect(try store.eventTotal() == 0)
    }

    @Test("enumeration checks need no temporary index", arguments: [false, true])
    func enumerationChecks(migrated: Bool) throws {
        let (path, directory) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        if migrated {
            try Self.makeVersionOneStore(at: path)
        }
        let store = try Store(path: path)
        let before = try store.eventTotal()
        #expect(
            try store.database.scalarInt("SELECT count(*) FROM sqlite_schema WHERE sql LIKE '% IN (%'") == 0)

        // An IN list in a CHECK constraint compiles to OpenEphemeral, run for every row written.
        for insert in [Self.eventInsert, Self.fileInsert] {
            let opcodes = try Self.opcodes(of: insert, in: store.database)
            #expect(opcodes.contains("OpenWrite"))
            #expect(!opcodes.contains("OpenEphemeral"))
        }

        // The rewritten constraints accept the same values and reject the same ones.
        let good = CanonicalEvent(
            key: EventKey(high: 9, low: 9), shape: .usageQueue, provider: "codex", model: "gpt-5",
            startedAtNanoseconds: Self.startedAt, status: .interrupted, buckets: TokenBuckets(),
            usageState: .zero, quality: .unclassified)
        #expect(try store.insertUnfiledEvents([good]) == 1)

        let rejected = [
            ("status", "done", "(status = 'succeeded' OR status = 'failed' OR status = 'interrupted')"),
            ("usage_state", "Present", "(usage_state = 'present' OR usage_state = 'zero' OR usage_state = 'missing')"),
            ("quality", "", "(quality = 'complete' OR quality = 'inconsistent' OR quality = 'unclassified')"),
        ]
        for (column, value, constraint) in rejected {
            let error = try #require(throws: StoreError.self) {
                try store.database.execute("UPDATE events SET \(column) = '\(value)'")
            }
            #expect(error.message.contains("CHECK constraint failed: \(constraint)"))
        }

        let error = try #require(throws: StoreError.self) {
            try store.database.execute(
                """
                INSERT INTO files (path, device, inode, modified_ns, compression, size, committed_offset,
                                   head_length, head_hash, state, first_seen_ns, updated_ns)
                VALUES ('/x', 1, 2, 0, 'zstd', 0, 0, 0, X'00', 'active', 0, 0)
                """)
        }
        #expect(error.message.contains("CHECK constraint failed: (compression = 'none' OR compression = 'gzip')"))

        #expect(try store.eventTotal() == before + 1)
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("a connection opened before the check rewrite sees it")
    func otherConnectionReloads() throws {
        let (path, directory) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.makeVersionOneStore(at: path)
        let earlier = try Database(path: path)
        #expect(try earlier.scalarInt("SELECT count(*) FROM sqlite_schema WHERE sql LIKE '% IN (%'") == 2)
        let schemaVersion = try earlier.scalarInt("PRAGMA schema_version")
        _ = try Store(path: path)
        #expect(try earlier.scalarInt("PRAGMA schema_version") > schemaVersion)
        // The next statement run on the earlier connection finds the changed schema cookie and
        // reloads the definitions.
        #expect(try earlier.scalarInt("SELECT count(*) FROM events") == 2)
        let opcodes = try Self.opcodes(of: Self.eventInsert, in: earlier)
        #expect(opcodes.contains("OpenWrite"))
        #expect(!opcodes.contains("OpenEphemeral"))
    }

    static let eventInsert = """
        INSERT INTO events (event_key, shape, provider, model, started_at_ns, status, input_uncached, cache_read,
                            cache_write, output, reasoning, unclassified, usage_state, quality)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let fileInsert = """
        INSERT INTO files (path, device, inode, modified_ns, compression, size, committed_offset, head_length,
                           head_hash, state, first_seen_ns, updated_ns)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// Returns the opcodes of the program SQLite compiles for `sql`.
    static func opcodes(of sql: String, in database: Database) throws -> [String] {
        let explain = try database.makeStatement("EXPLAIN " + sql)
        var opcodes: [String] = []
        while try explain.step() {
            opcodes.append(explain.text(1) ?? "")
        }
        return opcodes
    }

    @Test("concurrent opener migrates once")
    func concurrentMigration() throws {
        let (path, directory) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.makeVersionOneStore(at: path)
        var other: Store?
        // A second connection migrates the store after this one has read version 1.
        let store = try Store(path: path) { _, _ in other = try? Store(path: path) }
        #expect(other != nil)
        #expect(try store.database.scalarInt("PRAGMA user_version") == Int64(Store.schemaVersion))
        #expect(try store.eventTotal() == 2)
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
