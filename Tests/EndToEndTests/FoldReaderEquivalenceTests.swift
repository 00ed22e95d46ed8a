import Foundation
import LedgerCore
import LedgerStore
import Testing

@testable import LedgerDaemon

@Suite("Fold reader equivalence", .serialized)
struct FoldReaderEquivalenceTests {
    /// Reads the store through ``Store/forEachEvent(_:)`` only, as the central ledger's source
    /// does, so a fold of it builds its rows from canonical events instead of the row reader.
    struct OrderedSource: EventSource {
        let store: Store

        func forEachEvent(_ body: (StoredEvent) throws -> Void) throws {
            try store.forEachEvent(body)
        }
    }

    @Test("row reader and event path agree", arguments: [("UTC", "all"), ("America/New_York", "1d")])
    func readersAgree(zone: String, window: String) throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures([
            "cliproxyapi/usage-queue.jsonl", "otlp/genai-traces.jsonl", "otlp/genai-traces-base64-ids.jsonl",
            "tokenledger/events.jsonl", "cliproxyapi/accounting-v1.jsonl",
        ])
        let run = try harness.runOnce()
        #expect(run.status == 0, "\(run.stderr)")
        let store = try Store(path: harness.state.appendingPathComponent("tokenledgerd.sqlite3").path)

        var settings = Settings.resolve(Configuration())
        settings.pricingPath = Harness.packageRoot.appendingPathComponent("ledger/pricing.json").path
        settings.modelsPath = Harness.packageRoot.appendingPathComponent("ledger/models_normalized.csv").path
        settings.timeZone = zone
        settings.runtimeWindow = try #require(RuntimeWindow(parsing: window))
        let logger = Logger(level: .critical)
        let inputs = try LedgerInputs.load(settings: settings, logger: logger)
        let folder = Folder(settings: settings, logger: logger)

        let fromRows = try folder.compute(store: store, inputs: inputs)
        let fromEvents = try folder.compute(store: OrderedSource(store: store), inputs: inputs)
        #expect(fromRows.eventCount > 400)
        #expect(fromRows.eventCount == fromEvents.eventCount)
        #expect(fromRows.census == fromEvents.census)
        #expect(fromRows.metrics == fromEvents.metrics)
        #expect(fromRows.runtimeWindowEnd == fromEvents.runtimeWindowEnd)
        #expect(fromRows.files.map(\.name) == fromEvents.files.map(\.name))
        for (rowFile, eventFile) in zip(fromRows.files, fromEvents.files) {
            #expect(rowFile.contents == eventFile.contents, "\(rowFile.name) differs between the two paths")
        }
    }
}
