import LedgerCore

/// The fields of a stored event that pricing reads.
public struct PricingCandidate: Sendable, Equatable {
    /// The store's row id.
    public var eventID: Int64
    /// The provider as the source names it.
    public var provider: String
    /// The model as the source names it.
    public var model: String
    /// The attempt's start, in nanoseconds since the epoch.
    public var startedAtNanoseconds: Int64
    /// The disjoint token buckets.
    public var buckets: TokenBuckets
    /// Whether the source reported usage.
    public var usageState: UsageState
    /// The cost recorded now; `nil` while the event is unpriced.
    public var cost: RecordedCost?
    /// The tool-call part of `buckets.inputUncached` (see ``CanonicalEvent/toolInputTokens``).
    public var toolInputTokens: Int64 = 0
    /// The tool-call part of `buckets.output` (see ``CanonicalEvent/toolOutputTokens``).
    public var toolOutputTokens: Int64 = 0

    /// The counts to bill: the buckets with the tool parts moved out into tokenledger's tool counters.
    public var billableTokens: BillableTokens {
        BillableTokens(buckets: buckets, separatingToolInput: toolInputTokens, toolOutput: toolOutputTokens)
    }
}

extension PricingCandidate {
    /// Creates the pricing fields of `event`, stored as `eventID` with `cost`, or not stored yet
    /// with the defaults.
    public init(event: CanonicalEvent, eventID: Int64 = 0, cost: RecordedCost? = nil) {
        self.init(
            eventID: eventID, provider: event.provider, model: event.model,
            startedAtNanoseconds: event.startedAtNanoseconds, buckets: event.buckets, usageState: event.usageState,
            cost: cost, toolInputTokens: event.toolInputTokens, toolOutputTokens: event.toolOutputTokens)
    }
}

/// A priced-or-unpriced total over a set of events.
public struct CostTotal: Sendable, Equatable {
    /// Events in the set.
    public var events: Int64
    /// Events with a cost.
    public var pricedEvents: Int64
    /// The sum of their costs, in nano-dollars.
    public var nanos: Int64
}

extension Store {
    /// Reads the event ids and pricing fields of up to `limit` events with an id above `afterID`, in id order.
    ///
    /// With `unpricedOnly`, only events whose `priced_at_ns` is `NULL` are read, through the partial
    /// index of unpriced events. `since` (nanoseconds since the epoch) keeps events that started at
    /// or after it.
    public func pricingCandidates(afterID: Int64, limit: Int, unpricedOnly: Bool, since: Int64? = nil)
        throws(StoreError) -> [PricingCandidate]
    {
        var conditions = ["event_id > ?"]
        if unpricedOnly { conditions.append("priced_at_ns IS NULL") }
        if since != nil { conditions.append("started_at_ns >= ?") }
        let statement = try database.cachedStatement(
            """
            SELECT event_id, provider, model, started_at_ns, input_uncached, cache_read, cache_write, output,
                   reasoning, unclassified, usage_state, cost_nanos, cost_estimated, price_ref, priced_at_ns,
                   tool_input_tokens, tool_output_tokens
            FROM events WHERE \(conditions.joined(separator: " AND ")) ORDER BY event_id LIMIT ?
            """)
        statement.bind(afterID, at: 0)
        var index: Int32 = 1
        if let since {
            statement.bind(since, at: index)
            index += 1
        }
        statement.bind(limit, at: index)
        var candidates: [PricingCandidate] = []
        while try statement.step() {
            var candidate = PricingCandidate(
                eventID: statement.int64(0), provider: statement.text(1) ?? "", model: statement.text(2) ?? "",
                startedAtNanoseconds: statement.int64(3),
                buckets: TokenBuckets(
                    inputUncached: statement.int64(4), cacheRead: statement.int64(5), cacheWrite: statement.int64(6),
                    output: statement.int64(7), reasoning: statement.int64(8), unclassified: statement.int64(9)),
                usageState: UsageState(rawValue: statement.text(10) ?? "") ?? .missing)
            candidate.toolInputTokens = statement.int64(15)
            candidate.toolOutputTokens = statement.int64(16)
            if let pricedAt = statement.optionalInt64(14), let reference = statement.text(13) {
                candidate.cost = RecordedCost(
                    nanos: statement.optionalInt64(11), isEstimated: statement.int64(12) != 0,
                    priceReference: reference, pricedAtNanoseconds: pricedAt)
            }
            candidates.append(candidate)
        }
        statement.reset()
        return candidates
    }

    /// Records the cost of one event, or clears it to unpriced when `cost` is `nil`, and gives the
    /// event the next cost change sequence value, so replication sends the change.
    ///
    /// Call it inside ``Database/transaction(_:)`` to write a batch at once. Outside one, it opens
    /// its own, because the sequence value and the cost must become visible together: a reader
    /// that saw a later value first would move its watermark past this change.
    public func recordCost(_ cost: RecordedCost?, eventID: Int64) throws(StoreError) {
        guard database.isInTransaction else {
            try database.transaction { () throws(StoreError) in try recordCost(cost, eventID: eventID) }
            return
        }
        // The sequence advances first: a value that no event ends up holding is a harmless gap.
        let advance = try database.cachedStatement("UPDATE cost_change_sequence SET last_value = last_value + 1")
        try advance.run()
        let statement = try database.cachedStatement(
            """
            UPDATE events SET cost_nanos = ?, cost_estimated = ?, price_ref = ?, priced_at_ns = ?,
                              cost_change_seq = (SELECT last_value FROM cost_change_sequence)
            WHERE event_id = ?
            """)
        statement.bind(cost?.nanos, at: 0)
        statement.bind(cost.map { $0.isEstimated ? 1 : 0 }, at: 1)
        statement.bind(cost?.priceReference, at: 2)
        statement.bind(cost?.pricedAtNanoseconds, at: 3)
        statement.bind(eventID, at: 4)
        try statement.run()
    }

    /// Returns whether an unpriced event with an id above `afterID` is stored, with one seek in
    /// the partial index of unpriced events.
    public func containsUnpricedEvent(afterID: Int64) throws(StoreError) -> Bool {
        let statement = try database.cachedStatement(
            "SELECT 1 FROM events INDEXED BY events_unpriced WHERE priced_at_ns IS NULL AND event_id > ? LIMIT 1")
        statement.bind(afterID, at: 0)
        // The reset ends the read, so no snapshot stays open after the step.
        defer { statement.reset() }
        return try statement.step()
    }

    /// Returns the highest stored event id, 0 when no event is stored.
    public func lastEventID() throws(StoreError) -> Int64 {
        let statement = try database.cachedStatement("SELECT coalesce(max(event_id), 0) FROM events")
        defer { statement.reset() }
        guard try statement.step() else { return 0 }
        return statement.int64(0)
    }

    /// Counts events and priced events and sums their costs, for events that started at or
    /// after `since` (all events when `nil`).
    public func costTotal(since: Int64? = nil) throws(StoreError) -> CostTotal {
        let statement = try database.makeStatement(
            """
            SELECT count(*), count(cost_nanos), coalesce(sum(cost_nanos), 0) FROM events
            WHERE started_at_ns >= ?
            """)
        statement.bind(since ?? Int64.min, at: 0)
        guard try statement.step() else { return CostTotal(events: 0, pricedEvents: 0, nanos: 0) }
        return CostTotal(events: statement.int64(0), pricedEvents: statement.int64(1), nanos: statement.int64(2))
    }
}
