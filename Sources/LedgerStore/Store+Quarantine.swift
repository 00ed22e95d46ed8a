import LedgerCore

/// A stored quarantine row with its id, file and creation time.
public struct QuarantineEntry: Sendable, Equatable {
    /// The row id (`quarantine_id`).
    public var id: Int64
    /// The file the line was read from; `nil` for rows stored without a file.
    public var fileID: Int64?
    /// The path the file was last seen at.
    public var path: String?
    /// Whether that file is gzip-compressed, so that the row's offset counts decompressed bytes.
    public var isCompressed: Bool
    /// The row.
    public var row: QuarantineRow
    /// When the row was stored, in nanoseconds since the epoch.
    public var createdNanoseconds: Int64
}

/// The result of decoding one quarantined line again, applied by
/// ``Store/applyQuarantineRetries(_:now:)``.
public struct QuarantineRetry: Sendable {
    /// The file of the line.
    public var fileID: Int64
    /// The rows of the line that the new outcome replaces.
    public var retiredRowIDs: [Int64]
    /// The events the line decodes to now, with the line's offset.
    public var events: [PositionedEvent]
    /// Rows for the parts of the line that are still rejected.
    public var quarantine: [QuarantineRow]

    /// Creates a retry result.
    public init(fileID: Int64, retiredRowIDs: [Int64], events: [PositionedEvent], quarantine: [QuarantineRow]) {
        self.fileID = fileID
        self.retiredRowIDs = retiredRowIDs
        self.events = events
        self.quarantine = quarantine
    }
}

extension Store {
    /// Quarantine rows in id order, optionally only those with reason code `reason`, at most
    /// `limit` of them.
    public func quarantineEntries(reason: String? = nil, limit: Int? = nil) throws(StoreError) -> [QuarantineEntry] {
        let statement = try database.makeStatement(
            """
            SELECT q.quarantine_id, q.file_id, f.path, f.compression, q.line_offset, q.line_length, q.line_hash,
                   q.reason, q.detail, q.sample, q.created_ns
            FROM quarantine q LEFT JOIN files f ON f.file_id = q.file_id
            WHERE ?1 IS NULL OR q.reason = ?1
            ORDER BY q.quarantine_id
            LIMIT ?2
            """)
        statement.bind(reason, at: 0)
        statement.bind(Int64(limit ?? -1), at: 1)
        var entries: [QuarantineEntry] = []
        while try statement.step() {
            let row = QuarantineRow(
                lineOffset: statement.int64(4), lineLength: statement.int64(5), lineHash: statement.blob(6) ?? [],
                reason: statement.text(7) ?? "", detail: statement.text(8) ?? "", sample: statement.text(9) ?? "")
            entries.append(
                QuarantineEntry(
                    id: statement.int64(0), fileID: statement.optionalInt64(1), path: statement.text(2),
                    isCompressed: statement.text(3) == FileRecord.Compression.gzip.rawValue, row: row,
                    createdNanoseconds: statement.int64(10)))
        }
        return entries
    }

    /// Applies the outcomes of re-decoding quarantined lines in one transaction: stores each
    /// line's events (an event whose key is already stored is skipped), deletes the rows they
    /// replace and stores rows for what is still rejected.
    ///
    /// `retaining` runs inside the transaction, once per retried line, and returns the events of
    /// the line to store, like the filter of ``commit(_:retaining:afterInserts:)``.
    /// - Returns: how many events were new and how many rows were deleted.
    /// - Throws: ``StoreError``; nothing is changed when it throws.
    public func applyQuarantineRetries(
        _ retries: [QuarantineRetry], now: Int64,
        retaining: ([PositionedEvent]) throws(StoreError) -> [PositionedEvent] = { events in events }
    ) throws(StoreError) -> (insertedEvents: Int, deletedRows: Int) {
        try database.transaction { () throws(StoreError) in
            var inserted = 0
            var deleted = 0
            let delete = try database.cachedStatement("DELETE FROM quarantine WHERE quarantine_id = ?")
            let insertRow = try database.cachedStatement(
                """
                INSERT INTO quarantine (line_hash, file_id, line_offset, line_length, reason, detail, sample,
                                        created_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(file_id, line_offset, detail) DO NOTHING
                """)
            for retry in retries {
                for id in retry.retiredRowIDs {
                    delete.reset()
                    delete.bind(id, at: 0)
                    try delete.run()
                    deleted += database.changes
                }
                for positioned in try retaining(retry.events) {
                    inserted += try insertEvent(
                        positioned.event, fileID: retry.fileID, lineOffset: positioned.lineOffset)
                }
                for row in retry.quarantine {
                    insertRow.reset()
                    insertRow.bind(row.lineHash, at: 0)
                    insertRow.bind(retry.fileID, at: 1)
                    insertRow.bind(row.lineOffset, at: 2)
                    insertRow.bind(row.lineLength, at: 3)
                    insertRow.bind(row.reason, at: 4)
                    insertRow.bind(row.detail, at: 5)
                    insertRow.bind(row.sample, at: 6)
                    insertRow.bind(now, at: 7)
                    try insertRow.run()
                }
            }
            return (inserted, deleted)
        }
    }

    /// Stores events that come from no spool file, such as those of `tokenledgerd import`, in one
    /// transaction; an event whose key is already stored is skipped.
    /// - Returns: how many events were new.
    public func insertUnfiledEvents(_ events: [CanonicalEvent]) throws(StoreError) -> Int {
        try database.transaction { () throws(StoreError) in
            var inserted = 0
            for event in events {
                inserted += try insertEvent(event, fileID: nil, lineOffset: nil)
            }
            return inserted
        }
    }

    private func insertEvent(_ event: CanonicalEvent, fileID: Int64?, lineOffset: Int64?) throws(StoreError) -> Int {
        try insert(event, fileID: fileID, lineOffset: lineOffset)
    }
}
