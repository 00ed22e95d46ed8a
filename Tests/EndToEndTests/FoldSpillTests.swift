import Foundation
import Glibc
import LedgerCore
import LedgerStore
import Testing

@testable import LedgerDaemon

@Suite("Fold spill to temporary files", .serialized)
struct FoldSpillTests {
    /// Ingests the fixtures into a fresh harness and returns it, its store and fold settings.
    static func foldSetup(zone: String = "UTC", window: String = "all") throws -> (Harness, Store, Settings) {
        let harness = try Harness()
        try harness.addFixtures([
            "cliproxyapi/usage-queue.jsonl", "otlp/genai-traces.jsonl", "otlp/genai-traces-base64-ids.jsonl",
            "tokenledger/events.jsonl", "cliproxyapi/accounting-v1.jsonl",
        ])
        let run = try harness.runOnce()
        #expect(run.status == 0, "\(run.stderr)")
        let store = try Store(path: harness.state.appendingPathComponent("tokenledgerd.sqlite3").path)
        var settings = Settings.resolve(Configuration())
        settings.stateDirectory = harness.state.path
        settings.pricingPath = Harness.packageRoot.appendingPathComponent("ledger/pricing.json").path
        settings.modelsPath = Harness.packageRoot.appendingPathComponent("ledger/models_normalized.csv").path
        settings.timeZone = zone
        settings.runtimeWindow = try #require(RuntimeWindow(parsing: window))
        return (harness, store, settings)
    }

    @Test("spilled fold writes identical files", arguments: [("UTC", "all"), ("America/New_York", "1d")])
    func spilledFoldMatches(zone: String, window: String) throws {
        let (harness, store, settings) = try Self.foldSetup(zone: zone, window: window)
        defer { harness.cleanUp() }
        let logger = Logger(level: .critical)
        let inputs = try LedgerInputs.load(settings: settings, logger: logger)

        let inMemory = try Folder(settings: settings, logger: logger).compute(store: store, inputs: inputs)
        // 512 bytes hold 64 packed ids, so the fixtures' request ids spill several times.
        var spillingFolder = Folder(settings: settings, logger: logger)
        spillingFolder.distinctMemoryLimit = 512
        let spilled = try spillingFolder.compute(store: store, inputs: inputs)

        #expect(inMemory.eventCount > 400)
        #expect(spilled.metrics == inMemory.metrics)
        #expect(spilled.metrics.map(\.requests).reduce(0, +) > 400)
        #expect(spilled.files.map(\.name) == inMemory.files.map(\.name))
        for (spilledFile, memoryFile) in zip(spilled.files, inMemory.files) {
            #expect(spilledFile.contents == memoryFile.contents, "\(spilledFile.name) differs after a spill")
        }
        let snapshot = try #require(inMemory.files.first { $0.name == UISnapshot.fileName })
        #expect(snapshot.contents.contains("\"session_count\":"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: settings.stateDirectory)
            .filter { $0.hasPrefix(".tokenledgerd-fold-") }
        #expect(leftovers.isEmpty)
    }

    @Test("unusable spill directory fails the fold")
    func unusableDirectory() throws {
        var (harness, store, settings) = try Self.foldSetup()
        defer { harness.cleanUp() }
        let blocker = harness.root.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: blocker)
        settings.stateDirectory = blocker.appendingPathComponent("spill").path
        let logger = Logger(level: .critical)
        let inputs = try LedgerInputs.load(settings: settings, logger: logger)
        var folder = Folder(settings: settings, logger: logger)
        folder.distinctMemoryLimit = 64

        let error = try #require(throws: FoldSpillError.self) { try folder.compute(store: store, inputs: inputs) }
        #expect(error.directory == settings.stateDirectory)
        #expect(error.description.contains("make room in that directory"))
    }

    @Test("full disk names the directory")
    func fullDisk() throws {
        let descriptor = open("/dev/full", O_WRONLY | O_CLOEXEC)
        try #require(descriptor >= 0)
        let file = SpillDirectoryFile(descriptor: descriptor, directory: "/spill")
        let error = try #require(throws: FoldSpillError.self) {
            try [UInt8](repeating: 1, count: 10).withUnsafeBytes { try file.append($0) }
        }
        #expect(
            error.description
                == "the fold's temporary file in /spill failed: write failed: No space left on device (errno 28); "
                + "the fold writes distinct request and session ids there once they pass its memory limit, "
                + "so make room in that directory and fold again")
    }
}
