import Foundation
import LedgerCore
import LedgerStore
import Testing

@Suite("Store batch commit")
struct StoreCommitTests {
    static func temporaryStore() throws -> (Store, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (try Store(path: directory.appendingPathComponent("test.sqlite3").path), directory)
    }

    static func event(_ seed: String, output: Int64 = 10) -> CanonicalEvent {
        CanonicalEvent(
            key: EventKey(namespace: "test", bytes: Array(seed.utf8)), shape: .usageQueue, provider: "claude",
            model: "claude-sonnet-4-5", startedAtNanoseconds: 1_796_076_066_000_000_000, status: .succeeded,
            buckets: TokenBuckets(inputUncached: 5, output: output), usageState: .present, quality: .complete)
    }

    static func file(offset: Int64) -> FileRecord {
        FileRecord(
            path: "/spool/a.jsonl", device: 1, inode: 2, size: 100, committedOffset: offset, headLength: 4,
            headHash: [1, 2, 3], tailHash: nil, state: .active)
    }

    @Test("events, quarantine and offset commit together")
    func commitsTogether() throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let row = QuarantineRow(
            lineOffset: 10, lineLength: 3, lineHash: [9], reason: "invalid_json", detail: "d", sample: "s")
        let result = try store.commit(
            IngestBatch(
                file: Self.file(offset: 40),
                events: [PositionedEvent(event: Self.event("a"), lineOffset: 0)],
                quarantine: [row], now: 1))
        #expect(result.insertedEvents == 1)
        #expect(result.file.fileID == 1)
        #expect(try store.eventTotal() == 1)
        #expect(try store.quarantineCounts() == [QuarantineCount(reason: "invalid_json", count: 1)])
        #expect(try store.files().map(\.committedOffset) == [40])

        let again = try store.commit(
            IngestBatch(
                file: result.file,
                events: [PositionedEvent(event: Self.event("a"), lineOffset: 0)], quarantine: [], now: 2))
        #expect(again.insertedEvents == 0)
        #expect(try store.eventTotal() == 1)
    }

    @Test("retaining filter runs inside the commit")
    func retainingFilter() throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        var sawTransaction = false
        let result = try store.commit(
            IngestBatch(
                file: Self.file(offset: 40),
                events: [
                    PositionedEvent(event: Self.event("a"), lineOffset: 0),
                    PositionedEvent(event: Self.event("b"), lineOffset: 20),
                ],
                quarantine: [], now: 1)
        ) { events in
            sawTransaction = store.database.isInTransaction
            return events.filter { $0.lineOffset != 0 }
        }
        #expect(sawTransaction)
        #expect(result.insertedEvents == 1)
        #expect(try store.eventTotal() == 1)
        #expect(try store.database.scalarInt("SELECT line_offset FROM events") == 20)
    }

    @Test("a failing batch stores nothing")
    func failingBatchRollsBack() throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try store.commit(
            IngestBatch(
                file: Self.file(offset: 10), events: [PositionedEvent(event: Self.event("a"), lineOffset: 0)],
                quarantine: [], now: 1))
        var advanced = first.file
        advanced.committedOffset = 90
        // The second event violates the non-negative CHECK, so the whole batch must roll back.
        #expect(throws: StoreError.self) {
            try store.commit(
                IngestBatch(
                    file: advanced,
                    events: [
                        PositionedEvent(event: Self.event("b"), lineOffset: 10),
                        PositionedEvent(event: Self.event("c", output: -1), lineOffset: 50),
                    ],
                    quarantine: [], now: 2))
        }
        #expect(try store.eventTotal() == 1)
        #expect(try store.files().map(\.committedOffset) == [10])
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("reopening keeps the schema version")
    func reopen() throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try store.database.scalarInt("PRAGMA user_version") == Int64(Store.schemaVersion))
        let reopened = try Store(path: store.database.path)
        #expect(try reopened.database.scalarText("PRAGMA journal_mode") == "wal")
    }
}
