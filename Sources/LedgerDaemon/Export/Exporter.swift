import LedgerCore
import LedgerStore

/// Builds snapshots of the store: events, ledger files, the manifest and status.
struct Exporter {
    /// The events export's file name.
    static let eventsName = "events.jsonl"
    /// The status export's file name.
    static let statusName = "status.json"

    let settings: Settings
    let logger: Logger

    /// Prices new events, then builds the deterministic files of `what` (`all`, `ledger` or
    /// `events`): `events.jsonl`, the fold outputs and a `manifest.json` listing them.
    func makeFiles(store: Store, what: String) throws -> [LedgerFile] {
        let inputs = try LedgerInputs.load(settings: settings, logger: logger)
        try Folder(settings: settings, logger: logger).priceNewEvents(store: store, inputs: inputs)
        return try makeFiles(source: store, inputs: inputs, what: what)
    }

    /// Builds the files of `what` from `source`, the local store or the central ledger, without
    /// pricing anything first.
    func makeFiles(source store: some EventSource, inputs: LedgerInputs, what: String) throws -> [LedgerFile] {
        let folder = Folder(settings: settings, logger: logger)
        var files: [LedgerFile] = []
        if what == "all" || what == "events" {
            files.append(try eventsFile(store: store, mapping: ProviderMapping(pricing: inputs.pricing)))
        }
        if what == "all" || what == "ledger" {
            let result = try folder.compute(store: store, inputs: inputs)
            files += result.files
            files.append(Folder.manifest(for: files, result: result, inputs: inputs, settings: settings))
        }
        return files
    }

    /// Returns `events.jsonl`: one line per event in timestamp order, ties broken by event key.
    func eventsFile(store: some EventSource, mapping: ProviderMapping) throws -> LedgerFile {
        var bytes: [UInt8] = []
        try store.forEachEvent { stored in
            let provider = mapping.provider(stored.event.provider)
            bytes.append(contentsOf: EventExport.line(for: stored.event, provider: provider, cost: stored.cost))
            bytes.append(0x0A)
        }
        // NOTE: the export is built in memory before its atomic rename, so memory grows with
        // the number of events (about 700 bytes each).
        return LedgerFile(name: Self.eventsName, contents: String(decoding: bytes, as: UTF8.self))
    }

    /// Returns `status.json`, which contains the last fold time and so changes with every fold.
    func statusFile(store: Store) throws -> LedgerFile {
        let report = try StatusReport.make(store: store)
        return LedgerFile(name: Self.statusName, contents: report.json() + "\n")
    }
}
