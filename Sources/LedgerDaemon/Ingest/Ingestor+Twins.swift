import LedgerCore
import LedgerStore

extension Ingestor {
    /// Removes the usage-queue records and accounting events whose twin from the other channel is
    /// stored or comes earlier in the same batch. An attempt shipped through both channels then
    /// counts once, as the first of its two events to arrive.
    ///
    /// It runs inside the batch's commit transaction, so nothing can store a twin between this
    /// check and the inserts, and the lookups share that transaction's read lock.
    func withoutStoredTwins(_ events: [PositionedEvent]) throws(StoreError) -> [PositionedEvent] {
        var retained: [PositionedEvent] = []
        retained.reserveCapacity(events.count)
        var batchTwins: Set<AttemptTwin> = []
        var cachedStatement: Statement?
        for positioned in events {
            guard let twin = AttemptTwin(positioned.event) else {
                retained.append(positioned)
                continue
            }
            if batchTwins.contains(twin.twin) {
                continue
            }
            // Looked up once per batch, because the statement cache hashes the whole SQL text.
            let statement: Statement
            if let cachedStatement {
                statement = cachedStatement
            } else {
                statement = try store.database.cachedStatement(
                    """
                    SELECT 1 FROM events
                    WHERE started_at_ns = ? AND shape = ? AND provider = ? AND model = ? AND client_key_id = ?
                    LIMIT 1
                    """)
                cachedStatement = statement
            }
            statement.bind(twin.startedAtNanoseconds, at: 0)
            statement.bind(twin.twinShape.rawValue, at: 1)
            statement.bind(twin.provider, at: 2)
            statement.bind(twin.model, at: 3)
            statement.bind(twin.clientKeyID, at: 4)
            let isStored = try statement.step()
            statement.reset()
            if isStored {
                logger.log(.trace, "skipped the twin of a stored attempt", ["event.key": "\(positioned.event.key)"])
                continue
            }
            batchTwins.insert(twin)
            retained.append(positioned)
        }
        return retained
    }
}
