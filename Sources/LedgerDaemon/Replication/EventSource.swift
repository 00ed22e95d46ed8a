import LedgerStore

/// A source of events for a fold or an export: the local store or the central ledger.
protocol EventSource {
    /// Calls `body` for every event in timestamp order, ties broken by event key.
    func forEachEvent(_ body: (StoredEvent) throws -> Void) throws
}

extension Store: EventSource {}
