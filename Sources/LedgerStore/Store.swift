import CSQLite
import Glibc
import LedgerCore

/// The write-ahead SQLite store of files, events and quarantined lines.
///
/// The exactly-once rule lives here: ``commit(_:)`` writes a batch's events, its quarantine rows
/// and its file's new offset in one transaction, so a crash keeps all of them or none.
public final class Store {
    /// The connection.
    public let database: Database
    /// Called after each successful ``commit(_:)`` with its duration in nanoseconds, for metrics.
    public var commitObserver: ((Int64) -> Void)?

    /// Opens the store at `path`, creating and migrating it as needed.
    ///
    /// `beforeMigrating` is called with the store's schema version and this build's before an
    /// existing store is migrated, which can take long on a large store.
    /// - Throws: ``StoreError``; `corrupt` when the file is not a usable database.
    public init(path: String, beforeMigrating: (_ from: Int, _ to: Int) -> Void = { _, _ in }) throws(StoreError) {
        database = try Database(path: path)
        try database.execute("PRAGMA busy_timeout = 5000")
        let mode = try database.scalarText("PRAGMA journal_mode = WAL")
        guard mode == "wal" else {
            throw StoreError(
                code: .openFailed, message: "cannot switch \(path) to WAL mode (mode is \(mode ?? "unknown"))")
        }
        try database.execute("PRAGMA synchronous = NORMAL")
        try database.execute("PRAGMA foreign_keys = ON")
        try migrate(beforeMigrating: beforeMigrating)
    }

    /// The schema version this build writes.
    public static var schemaVersion: Int { SchemaVersion.current }

    private func migrate(beforeMigrating: (Int, Int) -> Void) throws(StoreError) {
        let version = Int(try database.scalarInt("PRAGMA user_version"))
        guard version <= Schema.migrations.count else {
            throw StoreError(
                code: .unsupportedSchema,
                message: "schema version \(version) is newer than this build's \(Schema.migrations.count); "
                    + "upgrade tokenledgerd or point it at another state directory")
        }
        if version > 0 && version < Schema.migrations.count {
            beforeMigrating(version, Schema.migrations.count)
        }
        for (index, migration) in Schema.migrations.enumerated().dropFirst(version) {
            try database.transaction { () throws(StoreError) in
                // Another process opening the same store may have run this step since the version
                // was read: the version read under the write lock decides.
                guard try database.scalarInt("PRAGMA user_version") == Int64(index) else { return }
                if migration.editsDefinitions {
                    try editDefinitions(migration)
                } else {
                    try database.execute(migration.sql)
                }
                try database.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }

    /// Runs a step that edits table definitions in `sqlite_schema`, inside the step's transaction.
    private func editDefinitions(_ migration: Migration) throws(StoreError) {
        let schemaVersion = try database.scalarInt("PRAGMA schema_version")
        try database.execute(migration.sql)
        try database.execute("PRAGMA schema_version = \(schemaVersion + 1)")
        // Reading every table definition makes SQLite parse them again; a definition that no
        // longer parses fails here and rolls the step back.
        let leftover = try database.scalarInt(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND sql LIKE '% IN (%'")
        guard leftover == 0 else {
            throw StoreError(
                code: .unsupportedSchema,
                message: "\(leftover) table definitions kept an IN list that the schema step replaces; "
                    + "the store was changed by something other than tokenledgerd")
        }
    }

    /// Runs SQLite's integrity check; returns its first message, `ok` when the file is sound.
    public func integrityCheck() throws(StoreError) -> String {
        try database.scalarText("PRAGMA integrity_check") ?? "no result"
    }

    // MARK: Files

    /// Every tracked file identity.
    public func files() throws(StoreError) -> [FileRecord] {
        let statement = try database.cachedStatement(
            """
            SELECT file_id, path, device, inode, size, committed_offset, head_length, head_hash, tail_hash, state,
                   birth_ns, modified_ns, compression
            FROM files ORDER BY file_id
            """)
        var records: [FileRecord] = []
        while try statement.step() {
            records.append(
                FileRecord(
                    fileID: statement.int64(0), path: statement.text(1) ?? "",
                    device: UInt64(bitPattern: statement.int64(2)), inode: UInt64(bitPattern: statement.int64(3)),
                    size: statement.int64(4), committedOffset: statement.int64(5), headLength: statement.int64(6),
                    headHash: statement.blob(7) ?? [], tailHash: statement.blob(8),
                    state: FileRecord.State(rawValue: statement.text(9) ?? "") ?? .active))
            records[records.count - 1].birthNanoseconds = statement.optionalInt64(10)
            records[records.count - 1].modifiedNanoseconds = statement.int64(11)
            records[records.count - 1].compression = FileRecord.Compression(rawValue: statement.text(12) ?? "") ?? .none
        }
        return records
    }

    /// Inserts or updates a file row outside a batch, returning it with its id.
    @discardableResult
    public func save(_ record: FileRecord, now: Int64) throws(StoreError) -> FileRecord {
        try database.transaction { () throws(StoreError) in try upsert(record, now: now) }
    }

    private func upsert(_ record: FileRecord, now: Int64) throws(StoreError) -> FileRecord {
        var record = record
        if record.fileID == 0 {
            let insert = try database.cachedStatement(
                """
                INSERT INTO files (path, device, inode, size, committed_offset, head_length, head_hash, tail_hash,
                                   state, birth_ns, modified_ns, compression, first_seen_ns, updated_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            bindFile(record, to: insert)
            insert.bind(now, at: 12)
            insert.bind(now, at: 13)
            try insert.run()
            record.fileID = sqlite3_last_insert_rowid(database.handle)
        } else {
            let update = try database.cachedStatement(
                """
                UPDATE files SET path = ?, device = ?, inode = ?, size = ?, committed_offset = ?, head_length = ?,
                                 head_hash = ?, tail_hash = ?, state = ?, birth_ns = ?, modified_ns = ?,
                                 compression = ?, updated_ns = ?
                WHERE file_id = ?
                """)
            bindFile(record, to: update)
            update.bind(now, at: 12)
            update.bind(record.fileID, at: 13)
            try update.run()
        }
        return record
    }

    private func bindFile(_ record: FileRecord, to statement: Statement) {
        statement.bind(record.path, at: 0)
        statement.bind(Int64(bitPattern: record.device), at: 1)
        statement.bind(Int64(bitPattern: record.inode), at: 2)
        statement.bind(record.size, at: 3)
        statement.bind(record.committedOffset, at: 4)
        statement.bind(record.headLength, at: 5)
        statement.bind(record.headHash, at: 6)
        statement.bind(record.tailHash, at: 7)
        statement.bind(record.state.rawValue, at: 8)
        statement.bind(record.birthNanoseconds, at: 9)
        statement.bind(record.modifiedNanoseconds, at: 10)
        statement.bind(record.compression.rawValue, at: 11)
    }

    // MARK: Batches

    /// Commits one batch of one file in a single transaction: its events (an event whose key is
    /// already stored is skipped), its quarantine rows and the file's new offset and hashes.
    ///
    /// `retaining` runs inside the transaction, before the inserts, and returns the events to
    /// insert: its queries see the store as the inserts will find it, and no other writer can
    /// change it in between. An event with a ``PositionedEvent/cost`` is stored priced, with a value
    /// of the cost change sequence of its own, as ``recordCost(_:eventID:)`` would store it. The
    /// sequence advances once per batch, by the number of priced events. The value of an event
    /// whose key is already stored stays unused. `afterInserts` runs inside the transaction after
    /// the inserts, so what it writes commits with them.
    /// - Returns: the file row as stored and how many events were new.
    /// - Throws: ``StoreError``; nothing of the batch is stored when it throws.
    public func commit(
        _ batch: IngestBatch,
        retaining: ([PositionedEvent]) throws(StoreError) -> [PositionedEvent] = { events in events },
        afterInserts: () throws(StoreError) -> Void = {}
    ) throws(StoreError) -> (file: FileRecord, insertedEvents: Int) {
        let started = Self.monotonicNanoseconds()
        defer {
            if let commitObserver {
                commitObserver(Self.monotonicNanoseconds() - started)
            }
        }
        return try database.transaction { () throws(StoreError) in
            let file = try upsert(batch.file, now: batch.now)
            var inserted = 0
            let events = try retaining(batch.events)
            if !events.isEmpty {
                var costChangeSequence = try reserveCostChangeSequence(count: events.count { $0.cost != nil })
                // One statement lookup per batch, because the statement cache hashes the whole SQL text.
                let statement = try eventInsertStatement()
                // Each event is passed inout from the array's storage and never written. An inout
                // argument is not copied, and unlike a pointer's pointee the compiler may assume
                // that the SQLite calls do not write it, so the insert binds its strings without
                // retaining them. A loop over the array copied each event and retained its strings.
                try events.withUnsafeBufferPointer { (events) throws(StoreError) in
                    guard let first = events.baseAddress else { return }
                    let storage = UnsafeMutablePointer(mutating: first)
                    for index in 0..<events.count {
                        var sequence: Int64?
                        if storage[index].cost != nil {
                            sequence = costChangeSequence
                            costChangeSequence += 1
                        }
                        inserted += try insert(
                            &storage[index], fileID: file.fileID, lineOffset: storage[index].lineOffset,
                            costChangeSequence: sequence, using: statement)
                    }
                }
            }
            for row in batch.quarantine {
                try insert(row, fileID: file.fileID, now: batch.now)
            }
            try afterInserts()
            return (file, inserted)
        }
    }

    /// Inserts one unpriced event unless its key is stored. Returns 1 when it was new, else 0.
    func insert(_ event: CanonicalEvent, fileID: Int64?, lineOffset: Int64?) throws(StoreError) -> Int {
        let statement = try eventInsertStatement()
        // The insert binds `lineOffset`, which may be nil, and never reads the wrapper's offset of 0.
        var positioned = PositionedEvent(event: event, lineOffset: 0)
        return try insert(
            &positioned, fileID: fileID, lineOffset: lineOffset,
            costChangeSequence: nil, using: statement)
    }

    /// Advances the cost change sequence by `count` values and returns the first of them, or
    /// returns 0 and changes nothing when `count` is 0. Call it inside a transaction, so that the
    /// values and the costs that take them become visible together.
    private func reserveCostChangeSequence(count: Int) throws(StoreError) -> Int64 {
        guard count > 0 else { return 0 }
        let advance = try database.cachedStatement("UPDATE cost_change_sequence SET last_value = last_value + ?")
        advance.bind(count, at: 0)
        try advance.run()
        let read = try database.cachedStatement("SELECT last_value FROM cost_change_sequence")
        defer { read.reset() }
        guard try read.step() else {
            throw StoreError(
                code: .stepFailed,
                message: "the cost_change_sequence row is missing, so something other than tokenledgerd changed "
                    + "the store; restore it from a backup")
        }
        return read.int64(0) - Int64(count) + 1
    }

    /// Returns the cached statement that inserts one event.
    private func eventInsertStatement() throws(StoreError) -> Statement {
        try database.cachedStatement(
            """
            INSERT INTO events (event_key, shape, provider, model, requested_model, session_id, request_id,
                                started_at_ns, latency_ms, ttft_ms, status, status_code, input_uncached, cache_read,
                                cache_write, output, reasoning, unclassified, usage_state, quality, client_key_id,
                                account_id, auth_index, service_name, host_name, file_id, line_offset,
                                tool_input_tokens, tool_output_tokens, cost_nanos, cost_estimated, price_ref,
                                priced_at_ns, cost_change_seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                    ?)
            ON CONFLICT(started_at_ns, event_key) DO NOTHING
            """)
    }

    /// Inserts `positioned` with `statement`, an ``eventInsertStatement()``, at `lineOffset`, priced
    /// with its cost and `costChangeSequence` or unpriced when they are `nil`. Returns 1 when it
    /// was new, else 0. It reads `positioned` and never writes it. The event is inout, so that its
    /// strings are read in place, without a copy of the event or a retain of each string.
    private func insert(
        _ positioned: inout PositionedEvent, fileID: Int64?, lineOffset: Int64?,
        costChangeSequence: Int64?, using statement: Statement
    ) throws(StoreError) -> Int {
        // Every one of the 34 parameters is bound below, so the old bindings need no clearing.
        // Text and the key go through the statement's row buffer, which SQLite reads in place
        // instead of allocating a copy of each value. The enumerations' texts are static, so
        // SQLite reads them where they are.
        statement.rewind()
        statement.beginRow()
        statement.bindRowKey(positioned.event.key, at: 0)
        statement.bindStaticText(positioned.event.shape.storedText, at: 1)
        statement.bindRowText(positioned.event.provider, at: 2)
        statement.bindRowText(positioned.event.model, at: 3)
        statement.bindRowText(positioned.event.requestedModel, at: 4)
        statement.bindRowText(positioned.event.sessionID, at: 5)
        statement.bindRowText(positioned.event.requestID, at: 6)
        statement.bind(positioned.event.startedAtNanoseconds, at: 7)
        statement.bind(positioned.event.latencyMilliseconds, at: 8)
        statement.bind(positioned.event.timeToFirstTokenMilliseconds, at: 9)
        statement.bindStaticText(positioned.event.status.storedText, at: 10)
        statement.bind(positioned.event.statusCode, at: 11)
        statement.bind(positioned.event.buckets.inputUncached, at: 12)
        statement.bind(positioned.event.buckets.cacheRead, at: 13)
        statement.bind(positioned.event.buckets.cacheWrite, at: 14)
        statement.bind(positioned.event.buckets.output, at: 15)
        statement.bind(positioned.event.buckets.reasoning, at: 16)
        statement.bind(positioned.event.buckets.unclassified, at: 17)
        statement.bindStaticText(positioned.event.usageState.storedText, at: 18)
        statement.bindStaticText(positioned.event.quality.storedText, at: 19)
        statement.bindRowText(positioned.event.clientKeyID, at: 20)
        statement.bindRowText(positioned.event.accountID, at: 21)
        statement.bindRowText(positioned.event.authIndex, at: 22)
        statement.bindRowText(positioned.event.serviceName, at: 23)
        statement.bindRowText(positioned.event.hostName, at: 24)
        statement.bind(fileID, at: 25)
        statement.bind(lineOffset, at: 26)
        statement.bind(positioned.event.toolInputTokens, at: 27)
        statement.bind(positioned.event.toolOutputTokens, at: 28)
        statement.bind(positioned.cost?.nanos, at: 29)
        statement.bind(positioned.cost.map { $0.isEstimated ? 1 : 0 }, at: 30)
        statement.bindRowText(positioned.cost?.priceReference, at: 31)
        statement.bind(positioned.cost?.pricedAtNanoseconds, at: 32)
        statement.bind(costChangeSequence, at: 33)
        try statement.run()
        return database.changes
    }

    private func insert(_ row: QuarantineRow, fileID: Int64?, now: Int64) throws(StoreError) {
        let statement = try database.cachedStatement(
            """
            INSERT INTO quarantine (line_hash, file_id, line_offset, line_length, reason, detail, sample, created_ns)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(file_id, line_offset, detail) DO NOTHING
            """)
        statement.bind(row.lineHash, at: 0)
        statement.bind(fileID, at: 1)
        statement.bind(row.lineOffset, at: 2)
        statement.bind(row.lineLength, at: 3)
        statement.bind(row.reason, at: 4)
        statement.bind(row.detail, at: 5)
        statement.bind(row.sample, at: 6)
        statement.bind(now, at: 7)
        try statement.run()
    }

    // MARK: Fold state

    /// Stores a named value of the fold's bookkeeping, such as the last fold time.
    public func setFoldValue(_ value: String, for name: String) throws(StoreError) {
        let statement = try database.cachedStatement(
            "INSERT INTO fold_state (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value")
        statement.bind(name, at: 0)
        statement.bind(value, at: 1)
        try statement.run()
    }

    /// A named value of the fold's bookkeeping.
    public func foldValue(for name: String) throws(StoreError) -> String? {
        let statement = try database.cachedStatement("SELECT value FROM fold_state WHERE name = ?")
        statement.bind(name, at: 0)
        // The reset ends the read, so no snapshot stays open after the value is copied.
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return statement.text(0)
    }
}

extension Store {
    static func monotonicNanoseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}

/// One batch of one file, committed atomically by ``Store/commit(_:)``.
public struct IngestBatch: Sendable {
    /// The file's row with its new offset and hashes.
    public var file: FileRecord
    /// The events decoded from the batch's lines.
    public var events: [PositionedEvent]
    /// The lines and spans that were rejected.
    public var quarantine: [QuarantineRow]
    /// The commit instant, in nanoseconds since the epoch.
    public var now: Int64

    /// Creates a batch.
    public init(file: FileRecord, events: [PositionedEvent], quarantine: [QuarantineRow], now: Int64) {
        self.file = file
        self.events = events
        self.quarantine = quarantine
        self.now = now
    }
}

/// The on-disk form of an event key: 16 bytes, big-endian halves.
public enum EventKeyCoding {
    /// Calls `body` with the key's 16 bytes, without allocating.
    public static func withBytes<Result>(_ key: EventKey, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        var halves = (key.high.bigEndian, key.low.bigEndian)
        return withUnsafeBytes(of: &halves) { body($0) }
    }

    /// The key's 16 bytes.
    public static func bytes(_ key: EventKey) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: key.high >> UInt64(shift)))
        }
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: key.low >> UInt64(shift)))
        }
        return bytes
    }

    /// The key stored as `bytes`; `nil` unless there are exactly 16.
    public static func key(_ bytes: [UInt8]) -> EventKey? {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 {
            high = high << 8 | UInt64(bytes[index])
            low = low << 8 | UInt64(bytes[index + 8])
        }
        return EventKey(high: high, low: low)
    }
}

enum SchemaVersion {
    static var current: Int { Schema.migrations.count }
}
