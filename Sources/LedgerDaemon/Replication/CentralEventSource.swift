import LedgerCore
import LedgerStore

/// Events read from the central PostgreSQL ledger, in the order of ``Store/forEachEvent(_:)``:
/// start time, ties broken by event key (`bytea` compares bytewise, like SQLite's `BLOB`).
///
/// An event that arrives without a cost is priced here with the pricing file in force, as a local
/// fold would price it, and nothing is written back. Replication also sends costs recorded after
/// an event's insert, so this happens only while such a change is still on its way.
struct CentralEventSource: EventSource {
    let connection: PostgresConnection
    /// Prices events that arrive without a cost; `nil` leaves them unpriced.
    let recorder: CostRecorder?

    private static let columns = """
        encode(event_key, 'hex'), shape, provider, model, requested_model, session_id, request_id, started_at_ns,
        latency_ms, ttft_ms, status, status_code, input_uncached, cache_read, cache_write, output, reasoning,
        unclassified, usage_state, quality, client_key_id, account_id, auth_index, service_name, host_name,
        file_path, line_offset, source_event_id, cost_nanos, cost_estimated, price_ref, priced_at_ns,
        tool_input_tokens, tool_output_tokens
        """

    /// Connects to `target` and migrates its schema, so an empty database reads as no events.
    /// - Throws: ``PostgresError``.
    init(target: ConnectionTarget, settings: ReplicationSettings, recorder: CostRecorder?) throws(PostgresError) {
        connection = try PostgresConnection(
            target: target, connectTimeout: settings.connectTimeout, statementTimeout: settings.statementTimeout)
        try RemoteSchema.migrate(connection)
        self.recorder = recorder
    }

    func forEachEvent(_ body: (StoredEvent) throws -> Void) throws {
        let now = WallClock.now()
        try connection.forEachRow("SELECT \(Self.columns) FROM events ORDER BY started_at_ns, event_key") { row in
            var stored = Self.storedEvent(row)
            if stored.cost == nil, let recorder {
                var summary = CostRecorder.Summary()
                stored.cost = recorder.cost(of: PricingCandidate(stored: stored), now: now, summary: &summary)
            }
            try body(stored)
        }
    }

    private static func storedEvent(_ row: [String?]) -> StoredEvent {
        func integer(_ index: Int) -> Int64? { row[index].flatMap { Int64($0) } }
        func text(_ index: Int) -> String? { row[index] }
        let buckets = TokenBuckets(
            inputUncached: integer(12) ?? 0, cacheRead: integer(13) ?? 0, cacheWrite: integer(14) ?? 0,
            output: integer(15) ?? 0, reasoning: integer(16) ?? 0, unclassified: integer(17) ?? 0)
        var event = CanonicalEvent(
            key: EventKeyCoding.key(hexBytes(text(0) ?? "")) ?? EventKey(high: 0, low: 0),
            shape: SourceShape(rawValue: text(1) ?? "") ?? .usageQueue, provider: text(2) ?? "",
            model: text(3) ?? "", startedAtNanoseconds: integer(7) ?? 0,
            status: EventStatus(rawValue: text(10) ?? "") ?? .failed, buckets: buckets,
            usageState: UsageState(rawValue: text(18) ?? "") ?? .missing,
            quality: UsageQuality(rawValue: text(19) ?? "") ?? .complete)
        event.requestedModel = text(4)
        event.sessionID = text(5)
        event.requestID = text(6)
        event.latencyMilliseconds = integer(8)
        event.timeToFirstTokenMilliseconds = integer(9)
        event.statusCode = integer(11).map { Int($0) }
        event.clientKeyID = text(20)
        event.accountID = text(21)
        event.authIndex = text(22)
        event.serviceName = text(23)
        event.hostName = text(24)
        event.toolInputTokens = integer(32) ?? 0
        event.toolOutputTokens = integer(33) ?? 0
        var cost: RecordedCost?
        if let pricedAt = integer(31), let reference = text(30) {
            cost = RecordedCost(
                nanos: integer(28), isEstimated: text(29) == "t", priceReference: reference,
                pricedAtNanoseconds: pricedAt)
        }
        return StoredEvent(
            event: event, eventID: integer(27) ?? 0, filePath: text(25), lineOffset: integer(26), cost: cost)
    }

    private static func hexBytes(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var high: UInt8?
        for character in text.utf8 {
            let nibble: UInt8
            switch character {
            case 0x30...0x39: nibble = character - 0x30
            case 0x61...0x66: nibble = character - 0x61 + 10
            default: return []
            }
            if let value = high {
                bytes.append(value << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return bytes
    }
}
