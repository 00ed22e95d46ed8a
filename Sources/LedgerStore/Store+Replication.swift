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
    /// The highest cost change sequence value the target has committed.
    public var lastCostChangeSequence: Int64 = 0
    /// Events whose cost changed after that value, which the target has not received yet.
    public var costChangesBehind: Int64 = 0
}

/// The cost of one event as it is now, to send to a target that may hold an older one.
public struct CostChange: Sendable, Equatable {
    /// The event's cost change sequence value, which orders changes.
    public var sequence: Int64
    /// The event's key.
    public var key: EventKey
    /// The event's start, in nanoseconds since the epoch, which the central ledger's primary key
    /// contains.
    public var startedAtNanoseconds: Int64
    /// The recorded cost; `nil` when the change made the event unpriced.
    public var cost: RecordedCost?
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
        // The reset ends the read, so that no snapshot stays open for a later write to trip on.
        defer { statement.reset() }
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

    /// Returns the cost watermark of `targetID`: the highest cost change sequence value it has
    /// committed, 0 when it has none yet.
    public func costReplicationWatermark(targetID: String) throws(StoreError) -> Int64 {
        let statement = try database.cachedStatement(
            "SELECT last_cost_change_seq FROM replication_watermarks WHERE target_id = ?")
        statement.bind(targetID, at: 0)
        guard try statement.step() else { return 0 }
        let sequence = statement.int64(0)
        statement.reset()
        return sequence
    }

    /// Stores the cost watermark of `targetID`. Callers advance it only after the remote COMMIT of
    /// every change up to `lastSequence`; a lower value than the stored one is ignored.
    public func setCostReplicationWatermark(targetID: String, lastSequence: Int64, now: Int64) throws(StoreError) {
        let statement = try database.cachedStatement(
            """
            INSERT INTO replication_watermarks (target_id, last_event_id, updated_ns, last_cost_change_seq)
            VALUES (?, 0, ?, ?)
            ON CONFLICT(target_id) DO UPDATE SET
                last_cost_change_seq = max(last_cost_change_seq, excluded.last_cost_change_seq),
                updated_ns = excluded.updated_ns
            """)
        statement.bind(targetID, at: 0)
        statement.bind(now, at: 1)
        statement.bind(lastSequence, at: 2)
        try statement.run()
    }

    /// Reads the current costs of up to `limit` events whose cost change sequence value is above
    /// `afterSequence`, in sequence order.
    ///
    /// An event changed twice since then is read once, with its latest cost.
    public func costChanges(afterSequence: Int64, limit: Int) throws(StoreError) -> [CostChange] {
        let statement = try database.cachedStatement(
            """
            SELECT cost_change_seq, event_key, started_at_ns, cost_nanos, cost_estimated, price_ref, priced_at_ns
            FROM events WHERE cost_change_seq > ? ORDER BY cost_change_seq LIMIT ?
            """)
        statement.bind(afterSequence, at: 0)
        statement.bind(limit, at: 1)
        var changes: [CostChange] = []
        while try statement.step() {
            var change = CostChange(
                sequence: statement.int64(0),
                key: EventKeyCoding.key(statement.blob(1) ?? []) ?? EventKey(high: 0, low: 0),
                startedAtNanoseconds: statement.int64(2))
            if let pricedAt = statement.optionalInt64(6), let reference = statement.text(5) {
                change.cost = RecordedCost(
                    nanos: statement.optionalInt64(3), isEstimated: statement.int64(4) != 0,
                    priceReference: reference, pricedAtNanoseconds: pricedAt)
            }
            changes.append(change)
        }
        statement.reset()
        return changes
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
                   (SELECT count(*) FROM events e WHERE e.event_id > w.last_event_id),
                   w.last_cost_change_seq,
                   (SELECT count(*) FROM events e WHERE e.cost_change_seq > w.last_cost_change_seq)
            FROM replication_watermarks w ORDER BY w.target_id
            """)
        var lags: [ReplicationLag] = []
        while try statement.step() {
            lags.append(
                ReplicationLag(
                    targetID: statement.text(0) ?? "", lastEventID: statement.int64(1),
                    eventsBehind: statement.int64(3), updatedNanoseconds: statement.int64(2),
                    lastCostChangeSequence: statement.int64(4), costChangesBehind: statement.int64(5)))
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
        self.init(event: stored.event, eventID: stored.eventID, cost: stored.cost)
    }
}
