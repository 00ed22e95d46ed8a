import CSQLite
import Glibc
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
        let shapes = EnumColumn<SourceShape>()
        let statuses = EnumColumn<EventStatus>()
        let usageStates = EnumColumn<UsageState>()
        let qualities = EnumColumn<UsageQuality>()
        while try statement.step() {
            let (pairNumber, provider, model) = statement.column(1).withTextBytes { providerBytes in
                statement.column(2).withTextBytes { modelBytes in
                    pairs.interner.intern(providerBytes, modelBytes)
                }
            }
            let session = statement.column(3).withTextBytes { bytes -> String? in
                guard let bytes, !bytes.isEmpty else { return nil }
                return sessions.text(bytes)
            }
            let cost = statement.column(20)
            let pricing: PricingState
            if statement.column(18).isNull || statement.column(19).isNull {
                pricing = .unpriced
            } else {
                pricing = cost.isNull ? .usageMissing : .priced
            }
            let row = FoldRow(
                shape: shapes.value(statement.column(0)) ?? .usageQueue, pairNumber: pairNumber, provider: provider,
                model: model, sessionID: session,
                requestKey: statement.column(4).withTextBytes { RequestKey(bytes: $0) },
                startedAtNanoseconds: statement.column(5).int64,
                latencyMilliseconds: statement.column(6).optionalInt64,
                timeToFirstTokenMilliseconds: statement.column(7).optionalInt64,
                status: statuses.value(statement.column(8)) ?? .failed,
                statusCode: statement.column(9).optionalInt64.map { Int($0) },
                buckets: TokenBuckets(
                    inputUncached: statement.column(10).int64, cacheRead: statement.column(11).int64,
                    cacheWrite: statement.column(12).int64, output: statement.column(13).int64,
                    reasoning: statement.column(14).int64, unclassified: statement.column(15).int64),
                usageState: usageStates.value(statement.column(16)) ?? .missing,
                quality: qualities.value(statement.column(17)) ?? .complete, pricing: pricing,
                costNanos: pricing == .priced ? cost.int64 : nil,
                costIsEstimated: pricing != .unpriced && statement.column(21).int64 != 0,
                toolInputTokens: statement.column(22).int64, toolOutputTokens: statement.column(23).int64)
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
/// The previous row's value is checked first, then an open-addressing table keyed by a hash of
/// the bytes, whose candidates are compared byte for byte, so hash collisions cannot merge two
/// values. The bytes of every value sit in one array, so a lookup retains no per-value storage.
struct ByteInterner {
    private struct Key {
        var hash: UInt64
        /// The position in `keyBytes` of the first column's bytes, which the second's follow.
        var offset: Int
        var firstCount: Int
        /// The byte count of the second column, or -1 when the value has none.
        var secondCount: Int
    }

    private var keys: [Key] = []
    private var keyBytes: [UInt8] = []
    private var texts: [(first: String, second: String)] = []
    /// Value numbers by hash slot, -1 for an empty slot. The size is a power of two, and at most
    /// half the slots are used.
    private var slots = [Int](repeating: -1, count: 16)
    private var last = -1

    /// Returns the number and strings of `first` (and `second` when given); `nil` bytes are empty.
    mutating func intern(_ first: UnsafeBufferPointer<UInt8>?, _ second: UnsafeBufferPointer<UInt8>?) -> (
        Int, String, String
    ) {
        let firstBytes = first ?? UnsafeBufferPointer(start: nil, count: 0)
        if last >= 0, matches(last, firstBytes, second) {
            return (last, texts[last].first, texts[last].second)
        }
        var hash = Self.hash(firstBytes, seed: 0xcbf2_9ce4_8422_2325)
        if let second {
            hash = Self.hash(second, seed: hash ^ 0xFF)
        }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash ^ (hash >> 32)) & mask
        while slots[slot] >= 0 {
            let number = slots[slot]
            if keys[number].hash == hash, matches(number, firstBytes, second) {
                last = number
                return (number, texts[number].first, texts[number].second)
            }
            slot = (slot + 1) & mask
        }
        let number = keys.count
        keys.append(
            Key(hash: hash, offset: keyBytes.count, firstCount: firstBytes.count, secondCount: second?.count ?? -1))
        keyBytes.append(contentsOf: firstBytes)
        if let second {
            keyBytes.append(contentsOf: second)
        }
        texts.append(
            (
                String(decoding: firstBytes, as: UTF8.self),
                second.map { String(decoding: $0, as: UTF8.self) } ?? ""
            ))
        slots[slot] = number
        if keys.count * 2 > slots.count {
            growSlots()
        }
        last = number
        return (number, texts[number].first, texts[number].second)
    }

    /// Doubles the table and places every value again.
    private mutating func growSlots() {
        slots = [Int](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (number, key) in keys.enumerated() {
            var slot = Int(truncatingIfNeeded: key.hash ^ (key.hash >> 32)) & mask
            while slots[slot] >= 0 {
                slot = (slot + 1) & mask
            }
            slots[slot] = number
        }
    }

    private func matches(_ number: Int, _ first: UnsafeBufferPointer<UInt8>, _ second: UnsafeBufferPointer<UInt8>?)
        -> Bool
    {
        let key = keys[number]
        guard key.firstCount == first.count, key.secondCount == (second?.count ?? -1) else { return false }
        return keyBytes.withUnsafeBufferPointer { stored in
            guard Self.equal(stored, at: key.offset, first) else { return false }
            guard let second else { return true }
            return Self.equal(stored, at: key.offset + key.firstCount, second)
        }
    }

    /// Returns whether `stored` contains the bytes of `candidate` from `offset` on.
    @inline(__always)
    private static func equal(
        _ stored: UnsafeBufferPointer<UInt8>, at offset: Int, _ candidate: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        guard let candidateBase = candidate.baseAddress, !candidate.isEmpty else { return true }
        return memcmp(stored.baseAddress! + offset, candidateBase, candidate.count) == 0
    }

    /// Hashes the bytes eight at a time. Each word is mixed into the state by a multiply and a
    /// shift, and the count goes in last, so that trailing zero bytes change the hash.
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt64 {
        var hash = seed
        var index = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 8 <= bytes.count {
                hash = Self.mix(hash, raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                index += 8
            }
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        hash = Self.mix(hash, tail)
        return Self.mix(hash, UInt64(bytes.count))
    }

    @inline(__always)
    private static func mix(_ hash: UInt64, _ word: UInt64) -> UInt64 {
        let product = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
        return product ^ (product >> 29)
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

/// Reads a text column holding an enumeration's raw value by comparing its bytes with each case's
/// raw value, so that a known value builds no string.
private struct EnumColumn<Value: RawRepresentable & CaseIterable> where Value.RawValue == String {
    private let cases: [(bytes: [UInt8], value: Value)] = Value.allCases.map { (Array($0.rawValue.utf8), $0) }

    /// Returns the column as a value; `nil` for `NULL` or an unknown raw value.
    func value(_ column: ColumnValue) -> Value? {
        column.withTextBytes { bytes in
            guard let bytes else { return nil }
            for entry in cases where entry.bytes.hasSameBytes(as: bytes) {
                return entry.value
            }
            // Other bytes may still equal a raw value as Swift compares strings, by canonical
            // equivalence, so they go through the raw value initializer.
            return Value(rawValue: String(decoding: bytes, as: UTF8.self))
        }
    }
}
