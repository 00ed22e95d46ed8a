import LedgerCore
import LedgerStore

/// Removes the usage-queue records and accounting events whose twin from the other channel is
/// already stored, so that an attempt shipped through both channels counts once, as the first of
/// its two events to arrive. Every writer of spool events runs it: ingestion and
/// `quarantine retry`.
final class StoredTwinFilter {
    private let store: Store
    private let logger: Logger
    /// Queries for a stored twin run since creation, one per usage-queue record or accounting
    /// event that needed one.
    private(set) var lookups = 0

    /// Creates a filter that looks twins up in `store`.
    init(store: Store, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Removes the events of `events` whose twin is stored or comes earlier in `events`.
    ///
    /// Callers run it inside the transaction that stores the events, so nothing can store a twin
    /// between this check and the inserts, and the lookups share that transaction's read lock. A usage-queue
    /// record is looked up only when some accounting event is stored, which most stores never
    /// have. Returns `events` itself when it removes none.
    func retained(_ events: [PositionedEvent]) throws(StoreError) -> [PositionedEvent] {
        var hasUsageRecord = false
        var hasAccountingEvent = false
        for positioned in events {
            switch positioned.event.shape {
            case .usageQueue: hasUsageRecord = true
            case .accountingEvent: hasAccountingEvent = true
            default: break
            }
        }
        guard hasAccountingEvent || hasUsageRecord else { return events }
        // Without an accounting event in the batch or the store, no event of the batch has a twin.
        let isAccountingEventStored = try store.containsAccountingEvent()
        guard hasAccountingEvent || isAccountingEventStored else { return events }

        // Filled only from the first removed event on, so that a batch keeping every event is not copied.
        var retained: [PositionedEvent]?
        var batchTwins: Set<AttemptTwin> = []
        var cachedStatement: Statement?
        for (index, positioned) in events.enumerated() {
            var isKept = true
            if let twin = AttemptTwin(positioned.event) {
                if batchTwins.contains(twin.twin) {
                    isKept = false
                } else if twin.twinShape == .usageQueue || isAccountingEventStored {
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
                    isKept = try !isTwinStored(twin, using: statement)
                    if !isKept {
                        logger.log(
                            .trace, "skipped the twin of a stored attempt", ["event.key": "\(positioned.event.key)"])
                    }
                }
                if isKept {
                    batchTwins.insert(twin)
                }
            }
            if !isKept, retained == nil {
                retained = Array(events[..<index])
                retained?.reserveCapacity(events.count)
            } else if isKept, retained != nil {
                retained?.append(positioned)
            }
        }
        return retained ?? events
    }

    private func isTwinStored(_ twin: AttemptTwin, using statement: Statement) throws(StoreError) -> Bool {
        lookups += 1
        statement.bind(twin.startedAtNanoseconds, at: 0)
        statement.bind(twin.twinShape.rawValue, at: 1)
        statement.bind(twin.provider, at: 2)
        statement.bind(twin.model, at: 3)
        statement.bind(twin.clientKeyID, at: 4)
        let isStored = try statement.step()
        statement.reset()
        return isStored
    }
}
