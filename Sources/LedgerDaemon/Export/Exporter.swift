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

    /// Returns the fold outputs of `source` and a `manifest.json` that lists them together with
    /// `listing`, the names and SHA-256 of files built apart, such as a streamed `events.jsonl`.
    func ledgerFiles(source: some EventSource, inputs: LedgerInputs, listing: [(name: String, sha256: String)])
        throws -> [LedgerFile]
    {
        let result = try Folder(settings: settings, logger: logger).compute(store: source, inputs: inputs)
        var files = result.files
        files.append(
            Folder.manifest(for: files, result: result, inputs: inputs, settings: settings, listing: listing))
        return files
    }

    /// Streams `events.jsonl` into `file`: one line per event in timestamp order, ties broken by
    /// event key.
    func writeEvents(store: some EventSource, mapping: ProviderMapping, to file: StreamedFile) throws {
        try store.forEachEvent { stored in
            let provider = mapping.provider(stored.event.provider)
            var line = EventExport.line(for: stored.event, provider: provider, cost: stored.cost)
            line.append(0x0A)
            try file.append(line)
        }
    }

    /// Returns `status.json`, which contains the last fold time and so changes with every fold.
    func statusFile(store: Store) throws -> LedgerFile {
        let report = try StatusReport.make(store: store)
        return LedgerFile(name: Self.statusName, contents: report.json() + "\n")
    }
}
