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

    /// Builds the files of `what` (`all`, `ledger` or `events`) from `source`, the local store or
    /// the central ledger, without pricing anything first: `events.jsonl`, the fold outputs and a
    /// `manifest.json` listing them. The whole of `events.jsonl` is built in memory.
    func makeFiles(source store: some EventSource, inputs: LedgerInputs, what: String) throws -> [LedgerFile] {
        var files: [LedgerFile] = []
        if what == "all" || what == "events" {
            files.append(try eventsFile(store: store, mapping: ProviderMapping(pricing: inputs.pricing)))
        }
        if what == "all" || what == "ledger" {
            files += try ledgerFiles(source: store, inputs: inputs, listing: files.map(Self.hashed))
        }
        return files
    }

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

    /// Returns `events.jsonl`: one line per event in timestamp order, ties broken by event key.
    func eventsFile(store: some EventSource, mapping: ProviderMapping) throws -> LedgerFile {
        var bytes: [UInt8] = []
        try forEachEventLine(store: store, mapping: mapping) { bytes += $0 }
        // NOTE: the file is built in memory, so memory grows with the number of events (about
        // 800 bytes each). Only `export --from` still uses this; the local store's export streams
        // the file through ``writeEvents(store:mapping:to:)``.
        return LedgerFile(name: Self.eventsName, contents: String(decoding: bytes, as: UTF8.self))
    }

    /// Streams the lines of `events.jsonl` into `file`, in the order of ``eventsFile(store:mapping:)``.
    func writeEvents(store: some EventSource, mapping: ProviderMapping, to file: StreamedFile) throws {
        try forEachEventLine(store: store, mapping: mapping) { try file.append($0) }
    }

    /// Calls `body` with each event's line and its newline.
    private func forEachEventLine(
        store: some EventSource, mapping: ProviderMapping, _ body: ([UInt8]) throws -> Void
    ) throws {
        try store.forEachEvent { stored in
            let provider = mapping.provider(stored.event.provider)
            var line = EventExport.line(for: stored.event, provider: provider, cost: stored.cost)
            line.append(0x0A)
            try body(line)
        }
    }

    private static func hashed(_ file: LedgerFile) -> (name: String, sha256: String) {
        (file.name, SHA256.hexDigest(Array(file.contents.utf8)))
    }

    /// Returns `status.json`, which contains the last fold time and so changes with every fold.
    func statusFile(store: Store) throws -> LedgerFile {
        let report = try StatusReport.make(store: store)
        return LedgerFile(name: Self.statusName, contents: report.json() + "\n")
    }
}
