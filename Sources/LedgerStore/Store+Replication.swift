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
            SELECT \(Self.eventColumns)
            FROM events e LEFT JOIN files f ON f.file_id = e.file_id
            WHERE e.event_id > ? ORDER BY e.event_id LIMIT ?
            """)
        statement.bind(afterID, at: 0)
        statement.bind(limit, at: 1)
        var events: [StoredEvent] = []
        while try statement.step() {
            events.append(Self.readEvent(statement))
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
}

extension PricingCandidate {
    /// The pricing fields of `stored`, for pricing an event read from another source than the store.
    public init(stored: StoredEvent) {
        self.init(
            eventID: stored.eventID, provider: stored.event.provider, model: stored.event.model,
            startedAtNanoseconds: stored.event.startedAtNanoseconds, buckets: stored.event.buckets,
            usageState: stored.event.usageState, cost: stored.cost, toolInputTokens: stored.event.toolInputTokens,
            toolOutputTokens: stored.event.toolOutputTokens)
    }
}
