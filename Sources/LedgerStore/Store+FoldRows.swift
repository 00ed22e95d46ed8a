import CSQLite
import LedgerCore

/// The stored events a fold reads: all of them, those of an event id range, or those that
/// started inside a time window.
public enum FoldRowSelection: Sendable, Equatable {
    /// Every stored event.
    case all
    /// The events with `after < event_id ≤ through`.
    case eventIDs(after: Int64, through: Int64)
    /// The events with `after < started_at_ns ≤ through` and `event_id ≤ throughEventID`, read
    /// through the index of start times.
    case started(after: Int64, through: Int64, throughEventID: Int64)
}

/// The pair numbers that ``Store/forEachFoldRow(_:pairs:_:)`` gives (provider, model) pairs.
///
/// A fold that goes on over several reads passes the same value to each, so that a pair keeps its
/// number from one read to the next.
public struct FoldRowPairs {
    fileprivate var interner = ByteInterner()

    /// Creates a numbering that has seen no pair.
    public init() {}
}

/// The newest event id and cost change of a store, read together in one snapshot.
public struct FoldHead: Sendable, Equatable {
    /// The highest event id; 0 when no event is stored.
    public var lastEventID: Int64
    /// The last value the cost change sequence gave out.
    public var lastCostChange: Int64

    /// Creates a head from its two values.
    public init(lastEventID: Int64, lastCostChange: Int64) {
        self.lastEventID = lastEventID
        self.lastCostChange = lastCostChange
    }
}

extension Store {
    /// Calls `body` for every event in storage order, reduced to a ``FoldRow``.
    ///
    /// Only the columns a fold reads are selected, and without the sort and the join of
    /// ``forEachEvent(_:)`` SQLite streams the table. Provider and model strings are decoded once
    /// per distinct pair, and a session id is decoded again only when it differs from the previous
    /// row's, so most rows allocate nothing. Session ids are not kept beyond that one: there may be
    /// as many as events.
    public func forEachFoldRow(_ body: (FoldRow) throws -> Void) throws {
        var pairs = FoldRowPairs()
        try forEachFoldRow(.all, pairs: &pairs, body)
    }

    /// Calls `body` for each event of `selection`, as ``forEachFoldRow(_:)`` does for all, with
    /// pair numbers taken from `pairs`.
    public func forEachFoldRow(
        _ selection: FoldRowSelection, pairs: inout FoldRowPairs, _ body: (FoldRow) throws -> Void
    ) throws {
        let columns = """
            SELECT shape, provider, model, session_id, request_id, started_at_ns, latency_ms, ttft_ms, status,
                status_code, input_uncached, cache_read, cache_write, output, reasoning, unclassified, usage_state,
                quality, priced_at_ns, price_ref, cost_nanos, cost_estimated, tool_input_tokens, tool_output_tokens
            FROM events
            """
        let statement: Statement
        switch selection {
        case .all:
            statement = try database.makeStatement(columns)
        case .eventIDs(let after, let through):
            statement = try database.makeStatement(columns + " WHERE event_id > ? AND event_id <= ?")
            statement.bind(after, at: 0)
            statement.bind(through, at: 1)
        case .started(let after, let through, let throughEventID):
            statement = try database.makeStatement(
                columns
                    + " INDEXED BY events_started_key WHERE started_at_ns > ? AND started_at_ns <= ? AND event_id <= ?")
            statement.bind(after, at: 0)
            statement.bind(through, at: 1)
            statement.bind(throughEventID, at: 2)
        }
        var sessions = RepeatedText()
        var shapes = EnumColumn<SourceShape>()
        var statuses = EnumColumn<EventStatus>()
        var usageStates = EnumColumn<UsageState>()
        var qualities = EnumColumn<UsageQuality>()
        while try statement.step() {
            let (pairNumber, provider, model) = statement.withTextBytes(1) { providerBytes in
                statement.withTextBytes(2) { modelBytes in
                    pairs.interner.intern(providerBytes, modelBytes)
                }
            }
            let session = statement.withTextBytes(3) { bytes -> String? in
                guard let bytes, !bytes.isEmpty else { return nil }
                return sessions.text(bytes)
            }
            let pricing: PricingState
            if statement.isNull(18) || statement.isNull(19) {
                pricing = .unpriced
            } else {
                pricing = statement.isNull(20) ? .usageMissing : .priced
            }
            var row = FoldRow(
                shape: shapes.value(statement, 0) ?? .usageQueue, pairNumber: pairNumber, provider: provider,
                model: model, sessionID: session,
                requestKey: statement.withTextBytes(4) { RequestKey(bytes: $0) },
                startedAtNanoseconds: statement.int64(5), latencyMilliseconds: statement.optionalInt64(6),
                timeToFirstTokenMilliseconds: statement.optionalInt64(7),
                status: statuses.value(statement, 8) ?? .failed,
                statusCode: statement.optionalInt64(9).map { Int($0) },
                buckets: TokenBuckets(
                    inputUncached: statement.int64(10), cacheRead: statement.int64(11),
                    cacheWrite: statement.int64(12), output: statement.int64(13), reasoning: statement.int64(14),
                    unclassified: statement.int64(15)),
                usageState: usageStates.value(statement, 16) ?? .missing,
                quality: qualities.value(statement, 17) ?? .complete, pricing: pricing,
                costNanos: pricing == .priced ? statement.int64(20) : nil,
                costIsEstimated: pricing != .unpriced && statement.int64(21) != 0)
            row.toolInputTokens = statement.int64(22)
            row.toolOutputTokens = statement.int64(23)
            try body(row)
        }
    }
}

extension Store {
    /// Returns the highest event id and the cost change sequence's last value. Read them inside
    /// ``Database/readTransaction(_:)`` to read the events they describe from the same snapshot.
    public func foldHead() throws(StoreError) -> FoldHead {
        FoldHead(
            lastEventID: try lastEventID(),
            lastCostChange: try database.scalarInt("SELECT last_value FROM cost_change_sequence WHERE id = 1"))
    }

    /// Returns whether an event with an id up to `throughEventID` had its cost recorded after
    /// sequence value `afterChange`. The partial index of cost changes is read from that value
    /// on, so the work grows with the changes since, not with the store.
    public func hasCostChange(after afterChange: Int64, throughEventID: Int64) throws(StoreError) -> Bool {
        let statement = try database.cachedStatement(
            """
            SELECT 1 FROM events INDEXED BY events_cost_changes
            WHERE cost_change_seq > ? AND event_id <= ? LIMIT 1
            """)
        statement.bind(afterChange, at: 0)
        statement.bind(throughEventID, at: 1)
        defer { statement.reset() }
        return try statement.step()
    }

    /// Returns the start of the newest event that is not a gap marker, in nanoseconds since the
    /// epoch; `nil` when there is none. The `started_at_ns` index is read backwards, so this does
    /// not scan the table unless most recent events are gap markers.
    public func newestAttemptInstant() throws(StoreError) -> Int64? {
        let statement = try database.makeStatement(
            "SELECT started_at_ns FROM events WHERE shape != ? ORDER BY started_at_ns DESC LIMIT 1")
        statement.bind(SourceShape.gapMarker.rawValue, at: 0)
        return try statement.step() ? statement.int64(0) : nil
    }
}

/// Numbers distinct values of one or two text columns and keeps their strings, comparing bytes
/// before it decodes anything.
///
/// The previous row's value is checked first, then a table keyed by an FNV-1a hash of the bytes,
/// whose candidates are compared byte for byte, so hash collisions cannot merge two values.
struct ByteInterner {
    private struct Entry {
        var first: [UInt8]
        var second: [UInt8]?
        var firstText: String
        var secondText: String
    }

    private var entries: [Entry] = []
    private var numbersByHash: [UInt64: [Int]] = [:]
    private var last = -1

    /// Returns the number and strings of `first` (and `second` when given); `nil` bytes are empty.
    mutating func intern(_ first: UnsafeBufferPointer<UInt8>?, _ second: UnsafeBufferPointer<UInt8>?) -> (
        Int, String, String
    ) {
        let firstBytes = first ?? UnsafeBufferPointer(start: nil, count: 0)
        if last >= 0, Self.matches(entries[last], firstBytes, second) {
            return (last, entries[last].firstText, entries[last].secondText)
        }
        var hash = Self.fnv(firstBytes, seed: 0xcbf2_9ce4_8422_2325)
        if let second {
            hash = Self.fnv(second, seed: hash ^ 0xFF)
        }
        if let candidates = numbersByHash[hash] {
            for number in candidates where Self.matches(entries[number], firstBytes, second) {
                last = number
                return (number, entries[number].firstText, entries[number].secondText)
            }
        }
        let number = entries.count
        entries.append(
            Entry(
                first: Array(firstBytes), second: second.map { Array($0) },
                firstText: String(decoding: firstBytes, as: UTF8.self),
                secondText: second.map { String(decoding: $0, as: UTF8.self) } ?? ""))
        numbersByHash[hash, default: []].append(number)
        last = number
        return (number, entries[number].firstText, entries[number].secondText)
    }

    private static func matches(
        _ entry: Entry, _ first: UnsafeBufferPointer<UInt8>, _ second: UnsafeBufferPointer<UInt8>?
    ) -> Bool {
        guard entry.first.hasSameBytes(as: first) else { return false }
        switch (entry.second, second) {
        case (nil, nil): return true
        case (let stored?, let given?): return stored.hasSameBytes(as: given)
        default: return false
        }
    }

    private static func fnv(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt64 {
        var hash = seed
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }
}

/// Decodes text bytes into a `String`, reusing the previous value when the bytes repeat it.
private struct RepeatedText {
    private var lastBytes: [UInt8] = []
    private var lastText = ""

    mutating func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if !lastBytes.hasSameBytes(as: bytes) {
            lastBytes = Array(bytes)
            lastText = String(decoding: bytes, as: UTF8.self)
        }
        return lastText
    }
}

/// Decodes a text column holding an enumeration's raw value, decoding only when the bytes differ
/// from the previous row's.
private struct EnumColumn<Value: RawRepresentable> where Value.RawValue == String {
    private var lastBytes: [UInt8] = []
    private var lastValue: Value?
    private var hasLast = false

    /// Returns column `index` as a value; `nil` for `NULL` or an unknown raw value.
    mutating func value(_ statement: Statement, _ index: Int32) -> Value? {
        statement.withTextBytes(index) { bytes in
            guard let bytes else { return nil }
            if hasLast, lastBytes.hasSameBytes(as: bytes) { return lastValue }
            lastBytes = Array(bytes)
            lastValue = Value(rawValue: String(decoding: bytes, as: UTF8.self))
            hasLast = true
            return lastValue
        }
    }
}
