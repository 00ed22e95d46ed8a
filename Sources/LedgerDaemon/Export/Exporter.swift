import LedgerCore
import LedgerStore

/// Writes snapshots of the store: events, ledger files and status.
struct Exporter {
    /// The events export's file name.
    static let eventsName = "events.jsonl"
    /// The status export's file name.
    static let statusName = "status.json"

    let settings: Settings
    let logger: Logger

    /// Writes `events.jsonl`: one line per event in timestamp order, ties broken by event key.
    func writeEvents(store: Store, to directory: String) throws -> Int {
        let mapping = ProviderMapping(pricing: try LedgerInputs.load(settings: settings, logger: logger).pricing)
        var bytes: [UInt8] = []
        var count = 0
        try store.forEachEvent { stored in
            let provider = mapping.provider(stored.event.provider)
            bytes.append(contentsOf: EventExport.line(for: stored.event, provider: provider))
            bytes.append(0x0A)
            count += 1
        }
        // NOTE: the export is built in memory before its atomic rename, so memory grows with
        // the number of events (about 600 bytes each).
        try AtomicFile.write(bytes, to: FilePath.join(directory, Self.eventsName))
        return count
    }

    /// Writes `status.json`.
    func writeStatus(store: Store, to directory: String) throws {
        let report = try StatusReport.make(store: store)
        try AtomicFile.write(report.json() + "\n", to: FilePath.join(directory, Self.statusName))
    }
}
