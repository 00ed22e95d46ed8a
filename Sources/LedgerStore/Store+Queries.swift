import LedgerCore

/// An event as stored, with its position in the spool.
public struct StoredEvent: Sendable {
    /// The event.
    public var event: CanonicalEvent
    /// The path of the file the event was first read from, when known.
    public var filePath: String?
    /// The byte offset of its line in that file.
    public var lineOffset: Int64?
    /// The store's row id, which grows with insertion order.
    public var eventID: Int64 = 0
    /// The cost recorded when the event was priced; `nil` while it is unpriced.
    public var cost: RecordedCost?
}

/// Event counts for one combination of shape, status and usage state.
public struct EventCount: Sendable, Equatable {
    public var shape: String
    public var status: String
    public var usageState: String
    public var count: Int64
}

/// Quarantine counts for one reason.
public struct QuarantineCount: Sendable, Equatable {
    public var reason: String
    public var count: Int64

    /// Creates a count.
    public init(reason: String, count: Int64) {
        self.reason = reason
        self.count = count
    }
}

extension Store {
    /// The columns ``readEvent(_:)`` reads, in its order; `e` is `events` and `f` is `files`.
    static let eventColumns = """
        e.event_key, e.shape, e.provider, e.model, e.requested_model, e.session_id, e.request_id, e.started_at_ns,
        e.latency_ms, e.ttft_ms, e.status, e.status_code, e.input_uncached, e.cache_read, e.cache_write, e.output,
        e.reasoning, e.unclassified, e.usage_state, e.quality, e.client_key_id, e.account_id, e.auth_index,
        e.service_name, e.host_name, f.path, e.line_offset, e.event_id, e.cost_nanos, e.cost_estimated,
        e.price_ref, e.priced_at_ns, e.tool_input_tokens, e.tool_output_tokens
        """

    /// Calls `body` for every event in timestamp order, ties broken by event key.
    ///
    /// Rows are read one at a time, so memory does not grow with the table.
    public func forEachEvent(_ body: (StoredEvent) throws -> Void) throws {
        let statement = try database.makeStatement(
            """
            SELECT \(Self.eventColumns)
            FROM events e LEFT JOIN files f ON f.file_id = e.file_id
            ORDER BY e.started_at_ns, e.event_key
            """)
        while try statement.step() {
            try body(Self.readEvent(statement))
        }
    }

    /// Reads an event from a row selected with ``eventColumns``.
    static func readEvent(_ statement: Statement) -> StoredEvent {
        let buckets = TokenBuckets(
            inputUncached: statement.int64(12), cacheRead: statement.int64(13), cacheWrite: statement.int64(14),
            output: statement.int64(15), reasoning: statement.int64(16), unclassified: statement.int64(17))
        var event = CanonicalEvent(
            key: EventKeyCoding.key(statement.blob(0) ?? []) ?? EventKey(high: 0, low: 0),
            shape: SourceShape(rawValue: statement.text(1) ?? "") ?? .usageQueue,
            provider: statement.text(2) ?? "", model: statement.text(3) ?? "",
            startedAtNanoseconds: statement.int64(7),
            status: EventStatus(rawValue: statement.text(10) ?? "") ?? .failed, buckets: buckets,
            usageState: UsageState(rawValue: statement.text(18) ?? "") ?? .missing,
            quality: UsageQuality(rawValue: statement.text(19) ?? "") ?? .complete)
        event.requestedModel = statement.text(4)
        event.sessionID = statement.text(5)
        event.requestID = statement.text(6)
        event.latencyMilliseconds = statement.optionalInt64(8)
        event.timeToFirstTokenMilliseconds = statement.optionalInt64(9)
        event.statusCode = statement.optionalInt64(11).map { Int($0) }
        event.clientKeyID = statement.text(20)
        event.accountID = statement.text(21)
        event.authIndex = statement.text(22)
        event.serviceName = statement.text(23)
        event.hostName = statement.text(24)
        event.toolInputTokens = statement.int64(32)
        event.toolOutputTokens = statement.int64(33)
        var stored = StoredEvent(event: event, filePath: statement.text(25), lineOffset: statement.optionalInt64(26))
        stored.eventID = statement.int64(27)
        if let pricedAt = statement.optionalInt64(31), let reference = statement.text(30) {
            stored.cost = RecordedCost(
                nanos: statement.optionalInt64(28), isEstimated: statement.int64(29) != 0, priceReference: reference,
                pricedAtNanoseconds: pricedAt)
        }
        return stored
    }

    /// The number of stored events.
    public func eventTotal() throws(StoreError) -> Int64 {
        try database.scalarInt("SELECT count(*) FROM events")
    }

    /// Returns whether any accounting event is stored. It reads the partial index that holds only
    /// accounting events, so it costs one index seek however many other events are stored.
    public func containsAccountingEvent() throws(StoreError) -> Bool {
        let statement = try database.cachedStatement(
            """
            SELECT 1 FROM events INDEXED BY events_accounting_attempts
            WHERE shape = '\(SourceShape.accountingEvent.rawValue)' LIMIT 1
            """)
        // The reset ends the read, so no snapshot stays open after the step.
        defer { statement.reset() }
        return try statement.step()
    }

    /// Event counts by shape, status and usage state, in that order.
    public func eventCounts() throws(StoreError) -> [EventCount] {
        let statement = try database.makeStatement(
            """
            SELECT shape, status, usage_state, count(*) FROM events
            GROUP BY shape, status, usage_state ORDER BY shape, status, usage_state
            """)
        var counts: [EventCount] = []
        while try statement.step() {
            counts.append(
                EventCount(
                    shape: statement.text(0) ?? "", status: statement.text(1) ?? "",
                    usageState: statement.text(2) ?? "", count: statement.int64(3)))
        }
        return counts
    }

    /// Quarantine counts by reason, in reason order.
    public func quarantineCounts() throws(StoreError) -> [QuarantineCount] {
        let statement = try database.makeStatement(
            "SELECT reason, count(*) FROM quarantine GROUP BY reason ORDER BY reason")
        var counts: [QuarantineCount] = []
        while try statement.step() {
            counts.append(QuarantineCount(reason: statement.text(0) ?? "", count: statement.int64(1)))
        }
        return counts
    }

    /// Every quarantine row with the path of its file, oldest first.
    public func quarantineRows() throws(StoreError) -> [(path: String?, row: QuarantineRow)] {
        let statement = try database.makeStatement(
            """
            SELECT f.path, q.line_offset, q.line_length, q.line_hash, q.reason, q.detail, q.sample
            FROM quarantine q LEFT JOIN files f ON f.file_id = q.file_id ORDER BY q.quarantine_id
            """)
        var rows: [(path: String?, row: QuarantineRow)] = []
        while try statement.step() {
            rows.append(
                (
                    statement.text(0),
                    QuarantineRow(
                        lineOffset: statement.int64(1), lineLength: statement.int64(2),
                        lineHash: statement.blob(3) ?? [], reason: statement.text(4) ?? "",
                        detail: statement.text(5) ?? "", sample: statement.text(6) ?? "")
                ))
        }
        return rows
    }
}
