import LedgerCore
import LedgerStore

/// Copies the store's events to the central ledger in batches, resuming from the target's
/// watermark, then sends the costs recorded or changed since the target's cost watermark.
///
/// Each event batch is one `INSERT … ON CONFLICT DO NOTHING`, which PostgreSQL commits on its own.
/// The watermark advances only after that commit, so a crash or a lost connection between the two
/// sends the batch again, and the conflict clause drops the copies: nothing is lost or duplicated.
///
/// Costs follow the same rule. Every recorded cost takes the next value of the store's cost change
/// sequence, and each cost batch is one `UPDATE … FROM (VALUES …)` of the cost columns of events
/// the central ledger has. The cost watermark advances only after that commit. A resent batch
/// writes the same values again, which the update skips. An event not yet in the central ledger is
/// not created by its cost: its insert later reads the cost as it is then.
final class Replicator {
    /// Counts of one catch-up.
    struct Summary: Equatable {
        /// Events sent, including those the central ledger already had.
        var sentEvents = 0
        /// Event batches committed.
        var batches = 0
        /// Cost changes sent, including those the central ledger already had.
        var sentCostChanges = 0
        /// Whether every stored event and every cost change was sent.
        var isCaughtUp = false
    }

    let target: ConnectionTarget
    let settings: ReplicationSettings
    let logger: Logger
    private var connection: PostgresConnection?
    private var knownPartitions: Set<String> = []

    /// Creates a replicator; it connects on first use.
    init(target: ConnectionTarget, settings: ReplicationSettings, logger: Logger) {
        self.target = target
        self.settings = settings
        self.logger = logger
    }

    /// Sends event batches until every stored event is sent, then cost batches until every cost
    /// change is sent, stopping early when `shouldStop` returns `true` or `timeBudget` nanoseconds
    /// of monotonic time have passed (`nil` for no limit).
    /// - Throws: ``PostgresError`` or ``StoreError``; the connection is dropped after a
    ///   PostgreSQL error, so the next call reconnects.
    func catchUp(store: Store, timeBudget: Int64? = nil, shouldStop: () -> Bool = { false }) throws -> Summary {
        let start = monotonicNanoseconds()
        let mustStop = {
            if shouldStop() { return true }
            guard let timeBudget else { return false }
            return monotonicNanoseconds() - start >= timeBudget
        }
        var summary = Summary()
        do {
            let connection = try connected()
            guard try sendEvents(store: store, connection: connection, summary: &summary, mustStop: mustStop) else {
                return summary
            }
            summary.isCaughtUp = try sendCostChanges(
                store: store, connection: connection, summary: &summary, mustStop: mustStop)
        } catch let error as PostgresError {
            connection = nil
            throw error
        }
        return summary
    }

    /// Sends event batches and returns `true` once every stored event is sent.
    private func sendEvents(
        store: Store, connection: PostgresConnection, summary: inout Summary, mustStop: () -> Bool
    ) throws -> Bool {
        while !mustStop() {
            let watermark = try store.replicationWatermark(targetID: target.identifier)
            let batch = try store.events(afterID: watermark, limit: settings.batchSize)
            guard let last = batch.last else { return true }
            try createPartitions(for: batch, connection: connection)
            try connection.executePrepared(
                name: "insert_events_\(batch.count)", sql: RemoteSchema.insertStatement(rowCount: batch.count),
                parameters: parameters(of: batch))
            // The INSERT committed on the server; only now may the watermark move past it.
            try store.setReplicationWatermark(
                targetID: target.identifier, lastEventID: last.eventID, now: WallClock.now())
            summary.sentEvents += batch.count
            summary.batches += 1
            logger.debug(
                "replicated batch",
                ["replication.events": "\(batch.count)", "replication.last_event_id": "\(last.eventID)"])
        }
        return false
    }

    /// Sends cost batches and returns `true` once every cost change is sent.
    private func sendCostChanges(
        store: Store, connection: PostgresConnection, summary: inout Summary, mustStop: () -> Bool
    ) throws -> Bool {
        while !mustStop() {
            let watermark = try store.costReplicationWatermark(targetID: target.identifier)
            let batch = try store.costChanges(afterSequence: watermark, limit: settings.batchSize)
            guard let last = batch.last else { return true }
            try connection.executePrepared(
                name: "update_costs_\(batch.count)", sql: RemoteSchema.costUpdateStatement(rowCount: batch.count),
                parameters: costParameters(of: batch))
            // The UPDATE committed on the server; only now may the cost watermark move past it.
            try store.setCostReplicationWatermark(
                targetID: target.identifier, lastSequence: last.sequence, now: WallClock.now())
            summary.sentCostChanges += batch.count
            logger.debug(
                "replicated cost changes",
                ["replication.cost_changes": "\(batch.count)", "replication.last_cost_change": "\(last.sequence)"])
        }
        return false
    }

    private func connected() throws(PostgresError) -> PostgresConnection {
        if let connection { return connection }
        let connection = try PostgresConnection(
            target: target, connectTimeout: settings.connectTimeout, statementTimeout: settings.statementTimeout)
        try RemoteSchema.migrate(connection)
        logger.debug("connected to the central ledger", ["replication.target": target.identifier])
        self.connection = connection
        return connection
    }

    private func createPartitions(for batch: [StoredEvent], connection: PostgresConnection) throws(PostgresError) {
        for stored in batch {
            let partition = RemoteSchema.partition(containing: stored.event.startedAtNanoseconds)
            guard !knownPartitions.contains(partition.name) else { continue }
            do {
                try connection.execute(partition.sql)
            } catch let error where error.sqlState == "42P07" || error.sqlState == "23505" {
                // Another host created the same partition between our check and our CREATE.
            }
            knownPartitions.insert(partition.name)
        }
    }

    private func parameters(of batch: [StoredEvent]) -> [String?] {
        var parameters: [String?] = []
        parameters.reserveCapacity(batch.count * RemoteSchema.insertColumns.count)
        for stored in batch {
            let event = stored.event
            let buckets = event.buckets
            parameters += [
                "\\x" + Self.hex(EventKeyCoding.bytes(event.key)),
                Self.microsecondTimestamp(event.startedAtNanoseconds), String(event.startedAtNanoseconds),
                settings.hostID, String(stored.eventID), event.shape.rawValue, event.provider, event.model,
                event.requestedModel, event.sessionID, event.requestID, event.latencyMilliseconds.map(String.init),
                event.timeToFirstTokenMilliseconds.map(String.init), event.status.rawValue,
                event.statusCode.map(String.init), String(buckets.inputUncached), String(buckets.cacheRead),
                String(buckets.cacheWrite), String(buckets.output), String(buckets.reasoning),
                String(buckets.unclassified), event.usageState.rawValue, event.quality.rawValue, event.clientKeyID,
                event.accountID, event.authIndex, event.serviceName, event.hostName, stored.filePath,
                stored.lineOffset.map(String.init), stored.cost?.nanos.map(String.init),
                stored.cost.map { $0.isEstimated ? "true" : "false" }, stored.cost?.priceReference,
                stored.cost.map { String($0.pricedAtNanoseconds) }, String(event.toolInputTokens),
                String(event.toolOutputTokens),
            ]
        }
        return parameters
    }

    private func costParameters(of batch: [CostChange]) -> [String?] {
        var parameters: [String?] = []
        parameters.reserveCapacity(batch.count * RemoteSchema.costColumns.count)
        for change in batch {
            parameters += [
                "\\x" + Self.hex(EventKeyCoding.bytes(change.key)),
                Self.microsecondTimestamp(change.startedAtNanoseconds), change.cost?.nanos.map(String.init),
                change.cost.map { $0.isEstimated ? "true" : "false" }, change.cost?.priceReference,
                change.cost.map { String($0.pricedAtNanoseconds) },
            ]
        }
        return parameters
    }

    /// The instant rounded down to whole microseconds, PostgreSQL's precision, so the row lands in
    /// the partition of the month its nanosecond value belongs to.
    static func microsecondTimestamp(_ nanoseconds: Int64) -> String {
        var micros = nanoseconds / 1000
        if nanoseconds % 1000 < 0 { micros -= 1 }
        return Timestamp.formatRFC3339(micros * 1000)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func hex(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            output.append(hexDigits[Int(byte >> 4)])
            output.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
