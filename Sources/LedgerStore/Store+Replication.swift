import LedgerCore

/// How far one replication target is behind the store.
public struct ReplicationLag: Sendable, Equatable {
    /// The target's identifier: user, host, port and database, never the password.
    public var targetID: String
    /// The highest local `event_id` the target has committed.
    public var lastEventID: Int64
    /// Stored events with a higher `event_id`, which the target does not have yet.
    public var eventsBehind: Int64
    /// When the watermark last advanced, in nanoseconds since the epoch.
    public var updatedNanoseconds: Int64
}

extension StoredEvent {
    /// Creates a stored event, for event sources other than the local store.
    public init(event: CanonicalEvent, eventID: Int64, filePath: String?, lineOffset: Int64?, cost: RecordedCost?) {
        self.event = event
        self.filePath = filePath
        self.lineOffset = lineOffset
        self.eventID = eventID
        self.cost = cost
    }
}

extension Store {
    /// Returns the watermark of `targetID`: the highest local `event_id` it has committed, 0 when it
    /// has none yet.
    public func replicationWatermark(targetID: String) throws(StoreError) -> Int64 {
        let statement = try database.cachedStatement(
            "SELECT last_event_id FROM replication_watermarks WHERE target_id = ?")
        statement.bind(targetID, at: 0)
        guard try statement.step() else { return 0 }
        return statement.int64(0)
    }

    /// Stores the watermark of `targetID`. Callers advance it only after the remote COMMIT of
    /// every event up to `lastEventID`; a lower value than the stored one is ignored.
    public func setReplicationWatermark(targetID: String, lastEventID: Int64, now: Int64) throws(StoreError) {
        let statement = try database.cachedStatement(
            """
            INSERT INTO replication_watermarks (target_id, last_event_id, updated_ns) VALUES (?, ?, ?)
            ON CONFLICT(target_id) DO UPDATE SET last_event_id = max(last_event_id, excluded.last_event_id),
                                                  updated_ns = excluded.updated_ns
            """)
        statement.bind(targetID, at: 0)
        statement.bind(lastEventID, at: 1)
        statement.bind(now, at: 2)
        try statement.run()
    }

    /// Reads up to `limit` events with an `event_id` above `afterID`, in `event_id` order.
    public func events(afterID: Int64, limit: Int) throws -> [StoredEvent] {
        let statement = try database.cachedStatement(
            """
            SELECT \(Self.replicatedColumns)
            FROM events e LEFT JOIN files f ON f.file_id = e.file_id
            WHERE e.event_id > ? ORDER BY e.event_id LIMIT ?
            """)
        statement.bind(afterID, at: 0)
        statement.bind(limit, at: 1)
        var events: [StoredEvent] = []
        while try statement.step() {
            events.append(Self.readReplicatedEvent(statement))
        }
        statement.reset()
        return events
    }

    /// Returns the lag of every target that has a watermark, ordered by target.
    public func replicationLags() throws(StoreError) -> [ReplicationLag] {
        let statement = try database.makeStatement(
            """
            SELECT w.target_id, w.last_event_id, w.updated_ns,
                   (SELECT count(*) FROM events e WHERE e.event_id > w.last_event_id)
            FROM replication_watermarks w ORDER BY w.target_id
            """)
        var lags: [ReplicationLag] = []
        while try statement.step() {
            lags.append(
                ReplicationLag(
                    targetID: statement.text(0) ?? "", lastEventID: statement.int64(1),
                    eventsBehind: statement.int64(3), updatedNanoseconds: statement.int64(2)))
        }
        return lags
    }

    /// Returns the number of events with an `event_id` above `afterID`.
    public func eventCount(afterID: Int64) throws(StoreError) -> Int64 {
        let statement = try database.cachedStatement("SELECT count(*) FROM events WHERE event_id > ?")
        statement.bind(afterID, at: 0)
        _ = try statement.step()
        let count = statement.int64(0)
        statement.reset()
        return count
    }

    // NOTE: these mirror the private column list and reader of `forEachEvent` in
    // Store+Queries.swift; a column added there must be added here too.
    private static let replicatedColumns = """
        e.event_key, e.shape, e.provider, e.model, e.requested_model, e.session_id, e.request_id, e.started_at_ns,
        e.latency_ms, e.ttft_ms, e.status, e.status_code, e.input_uncached, e.cache_read, e.cache_write, e.output,
        e.reasoning, e.unclassified, e.usage_state, e.quality, e.client_key_id, e.account_id, e.auth_index,
        e.service_name, e.host_name, f.path, e.line_offset, e.event_id, e.cost_nanos, e.cost_estimated,
        e.price_ref, e.priced_at_ns
        """

    private static func readReplicatedEvent(_ statement: Statement) -> StoredEvent {
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
        var cost: RecordedCost?
        if let pricedAt = statement.optionalInt64(31), let reference = statement.text(30) {
            cost = RecordedCost(
                nanos: statement.optionalInt64(28), isEstimated: statement.int64(29) != 0, priceReference: reference,
                pricedAtNanoseconds: pricedAt)
        }
        return StoredEvent(
            event: event, eventID: statement.int64(27), filePath: statement.text(25),
            lineOffset: statement.optionalInt64(26), cost: cost)
    }
}

extension PricingCandidate {
    /// The pricing fields of `stored`, for pricing an event read from another source than the store.
    public init(stored: StoredEvent) {
        self.init(
            eventID: stored.eventID, provider: stored.event.provider, model: stored.event.model,
            startedAtNanoseconds: stored.event.startedAtNanoseconds, buckets: stored.event.buckets,
            usageState: stored.event.usageState, cost: stored.cost)
    }
}
