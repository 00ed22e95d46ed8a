import Foundation
import Glibc
import LedgerCore
import LedgerStore
import Testing

@testable import LedgerDaemon

/// A folder that keeps its sums between folds, checked file by file against a fold from scratch
/// after each step of ingestion, `reprice`, a pricing file change and a failed fold.
@Suite("Incremental fold", .serialized)
struct IncrementalFoldTests {
    static let fixtures = [
        "cliproxyapi/usage-queue.jsonl", "otlp/genai-traces.jsonl", "otlp/genai-traces-base64-ids.jsonl",
        "tokenledger/events.jsonl", "cliproxyapi/accounting-v1.jsonl",
    ]
    static let logger = Logger(level: .critical)
    static let steps = 4

    /// The lines of every fixture, each file's lines in a fixed shuffled order, so that later steps
    /// bring events of days and months that earlier steps already folded.
    static func shuffledLines() throws -> [(name: String, lines: [String])] {
        var generator = SplitMix(seed: 7)
        return try fixtures.map { path in
            let text = try String(contentsOf: Harness.fixture(path), encoding: .utf8)
            var lines = text.split(separator: "\n").map(String.init)
            lines.shuffle(using: &generator)
            return (path.replacingOccurrences(of: "/", with: "-"), lines)
        }
    }

    /// Writes step `step` of every fixture into its own spool file and ingests the spool.
    static func ingestStep(_ step: Int, lines: [(name: String, lines: [String])], harness: Harness, store: Store)
        throws
    {
        for (name, fileLines) in lines {
            let size = (fileLines.count + steps - 1) / steps
            let part = fileLines.dropFirst(step * size).prefix(size)
            guard !part.isEmpty else { continue }
            try Data((part.joined(separator: "\n") + "\n").utf8).write(
                to: harness.spool.appendingPathComponent("step\(step)-\(name)"))
        }
        let ingestor = Ingestor(
            store: store, logger: logger, pricingPath: try pricingFile(harness).path,
            clock: { 1_796_428_800_000_000_000 })
        _ = try ingestor.ingestAll(SpoolScanner(directories: [harness.spool.path]))
    }

    static func pricingFile(_ harness: Harness) throws -> URL {
        let url = harness.root.appendingPathComponent("pricing.json")
        if !FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.copyItem(
                at: Harness.packageRoot.appendingPathComponent("ledger/pricing.json"), to: url)
        }
        return url
    }

    static func setup(zone: String, window: String) throws -> (Harness, Store, Settings) {
        let harness = try Harness()
        try FileManager.default.createDirectory(at: harness.spool, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: harness.state, withIntermediateDirectories: true)
        let store = try Store(path: harness.state.appendingPathComponent("tokenledgerd.sqlite3").path)
        var settings = Settings.resolve(Configuration())
        settings.stateDirectory = harness.state.path
        settings.pricingPath = try pricingFile(harness).path
        settings.modelsPath = Harness.packageRoot.appendingPathComponent("ledger/models_normalized.csv").path
        settings.timeZone = zone
        settings.runtimeWindow = try #require(RuntimeWindow(parsing: window))
        return (harness, store, settings)
    }

    /// Checks that `result` equals a fold from scratch of the same store, file by file.
    static func expectSameAsFromScratch(
        _ result: FoldResult, store: Store, settings: Settings, memoryLimit: Int, step: String
    ) throws {
        let inputs = try LedgerInputs.load(settings: settings, logger: logger)
        var scratch = Folder(settings: settings, logger: logger)
        scratch.distinctMemoryLimit = memoryLimit
        let expected = try scratch.compute(store: store, inputs: inputs)
        #expect(result.eventCount == expected.eventCount, "\(step)")
        #expect(result.census == expected.census, "\(step)")
        #expect(result.metrics == expected.metrics, "\(step)")
        #expect(result.runtimeWindowEnd == expected.runtimeWindowEnd, "\(step)")
        #expect(result.files.map(\.name) == expected.files.map(\.name), "\(step)")
        for (file, expectedFile) in zip(result.files, expected.files) {
            #expect(file.contents == expectedFile.contents, "\(file.name) differs from a fold from scratch at \(step)")
        }
    }

    static func eventCount(_ store: Store) throws -> Int {
        Int(try store.database.scalarInt("SELECT count(*) FROM events"))
    }

    @Test(
        "steps equal a fold from scratch",
        arguments: [
            ("UTC", "all", DistinctKeyCounter.defaultMemoryLimit), ("America/New_York", "1d", 512),
            ("Asia/Kolkata", "all", 256),
        ])
    func stepsMatch(zone: String, window: String, memoryLimit: Int) throws {
        let (harness, store, settings) = try Self.setup(zone: zone, window: window)
        defer { harness.cleanUp() }
        let lines = try Self.shuffledLines()
        var folder = Folder(settings: settings, logger: Self.logger, retainingSums: true)
        folder.distinctMemoryLimit = memoryLimit
        let retained = try #require(folder.retained)
        var stored = 0
        for step in 0..<Self.steps {
            try Self.ingestStep(step, lines: lines, harness: harness, store: store)
            let added = try Self.eventCount(store) - stored
            stored += added
            #expect(added > 50, "step \(step) stores events")
            let inputs = try LedgerInputs.load(settings: settings, logger: Self.logger)
            let result = try folder.compute(store: store, inputs: inputs)
            #expect(retained.lastMode == (step == 0 ? .full : .incremental), "step \(step)")
            #expect(retained.lastNewEvents == added, "step \(step)")
            #expect(result.eventCount == stored)
            try Self.expectSameAsFromScratch(
                result, store: store, settings: settings, memoryLimit: memoryLimit, step: "step \(step)")
        }
        #expect(stored > 700)

        // A fold with nothing new reads nothing and writes the same files.
        let inputs = try LedgerInputs.load(settings: settings, logger: Self.logger)
        let again = try folder.compute(store: store, inputs: inputs)
        #expect(retained.lastMode == .incremental)
        #expect(retained.lastNewEvents == 0)
        try Self.expectSameAsFromScratch(
            again, store: store, settings: settings, memoryLimit: memoryLimit, step: "the repeated fold")
    }

    @Test("changed cost refolds every event")
    func repriceRefolds() throws {
        let (harness, store, settings) = try Self.setup(zone: "UTC", window: "all")
        defer { harness.cleanUp() }
        let lines = try Self.shuffledLines()
        let folder = Folder(settings: settings, logger: Self.logger, retainingSums: true)
        let retained = try #require(folder.retained)
        try Self.ingestStep(0, lines: lines, harness: harness, store: store)
        let inputs = try LedgerInputs.load(settings: settings, logger: Self.logger)
        let before = try folder.compute(store: store, inputs: inputs)
        #expect(retained.lastMode == .full)

        // One priced event loses its cost, as `reprice` does when a price leaves the file.
        let eventID = try store.database.scalarInt(
            "SELECT min(event_id) FROM events WHERE cost_nanos IS NOT NULL AND cost_nanos > 0")
        try store.recordCost(nil, eventID: eventID)
        let changed = try folder.compute(store: store, inputs: inputs)
        #expect(retained.lastMode == .full)
        #expect(retained.lastNewEvents == before.eventCount)
        try Self.expectSameAsFromScratch(
            changed, store: store, settings: settings, memoryLimit: DistinctKeyCounter.defaultMemoryLimit,
            step: "after the cost change")
        #expect(changed.census.byPricing["unpriced"] == (before.census.byPricing["unpriced"] ?? 0) + 1)

        // `reprice` records every cost again; the next fold starts over and still agrees.
        let pricer = try #require(inputs.pricer)
        _ = try CostRecorder(pricer: pricer, logger: Self.logger).reprice(store: store, since: nil, now: 1)
        try Self.ingestStep(1, lines: lines, harness: harness, store: store)
        let repriced = try folder.compute(store: store, inputs: inputs)
        #expect(retained.lastMode == .full)
        try Self.expectSameAsFromScratch(
            repriced, store: store, settings: settings, memoryLimit: DistinctKeyCounter.defaultMemoryLimit,
            step: "after reprice")

        // New events priced at ingestion are cost changes too, but of events not folded yet.
        try Self.ingestStep(2, lines: lines, harness: harness, store: store)
        let next = try folder.compute(store: store, inputs: inputs)
        #expect(retained.lastMode == .incremental)
        try Self.expectSameAsFromScratch(
            next, store: store, settings: settings, memoryLimit: DistinctKeyCounter.defaultMemoryLimit,
            step: "after the step that follows reprice")
    }

    @Test("restored store refolds every event")
    func restoredStoreRefolds() throws {
        let (harness, store, settings) = try Self.setup(zone: "UTC", window: "all")
        defer { harness.cleanUp() }
        let lines = try Self.shuffledLines()
        let folder = Folder(settings: settings, logger: Self.logger, retainingSums: true)
        let retained = try #require(folder.retained)
        try Self.ingestStep(0, lines: lines, harness: harness, store: store)
        let inputs = try LedgerInputs.load(settings: settings, logger: Self.logger)
        let before = try folder.compute(store: store, inputs: inputs)
        #expect(before.eventCount == 216)
        #expect(before.census.byPricing["unpriced"] == 181)

        // An operator backs the store up, a cost changes, and the daemon folds the change.
        let backup = harness.root.appendingPathComponent("backup.sqlite3").path
        _ = try harness.query(".backup '\(backup)'")
        let eventID = try store.database.scalarInt(
            "SELECT min(event_id) FROM events WHERE cost_nanos IS NOT NULL AND cost_nanos > 0")
        try store.recordCost(nil, eventID: eventID)
        let changed = try folder.compute(store: store, inputs: inputs)
        #expect(retained.lastMode == .full)
        #expect(changed.census.byPricing["unpriced"] == 182)

        // The backup is restored under the open store, which brings the cost back. Then the next
        // step's events arrive, and their costs take the sequence past the value the last fold read.
        _ = try harness.query(".restore '\(backup)'")
        #expect(try store.database.scalarInt("SELECT count(*) FROM events WHERE priced_at_ns IS NULL") == 181)
        try Self.ingestStep(1, lines: lines, harness: harness, store: store)
        let restored = try folder.compute(store: store, inputs: inputs)
        #expect(retained.lastMode == .full)
        #expect(retained.lastNewEvents == restored.eventCount)
        #expect(restored.eventCount == 432)
        #expect(restored.census.byPricing["unpriced"] == 363)
        try Self.expectSameAsFromScratch(
            restored, store: store, settings: settings, memoryLimit: DistinctKeyCounter.defaultMemoryLimit,
            step: "after the restore")
    }

    @Test("changed inputs refold every event")
    func changedInputsRefold() throws {
        var (harness, store, settings) = try Self.setup(zone: "UTC", window: "all")
        defer { harness.cleanUp() }
        let lines = try Self.shuffledLines()
        try Self.ingestStep(0, lines: lines, harness: harness, store: store)
        let folder = Folder(settings: settings, logger: Self.logger, retainingSums: true)
        let retained = try #require(folder.retained)
        _ = try folder.compute(store: store, inputs: try LedgerInputs.load(settings: settings, logger: Self.logger))
        _ = try folder.compute(store: store, inputs: try LedgerInputs.load(settings: settings, logger: Self.logger))
        #expect(retained.lastMode == .incremental)

        // The pricing file gains a model alias, which merges two pairs and prices the events of one.
        let pricing = try Self.pricingFile(harness)
        let text = try String(contentsOf: pricing, encoding: .utf8)
        let aliased = text.replacingOccurrences(
            of: "\"sonnet\": \"claude-sonnet-4-5\"",
            with: "\"sonnet\": \"claude-sonnet-4-5\", \"claude-haiku-4-5\": \"claude-sonnet-4-5\"")
        #expect(aliased != text)
        try Data(aliased.utf8).write(to: pricing)
        let newInputs = try LedgerInputs.load(settings: settings, logger: Self.logger)
        let summary = try #require(try folder.priceNewEvents(store: store, inputs: newInputs))
        #expect(summary.priced > 0)
        let renamed = try folder.compute(store: store, inputs: newInputs)
        #expect(retained.lastMode == .full)
        try Self.expectSameAsFromScratch(
            renamed, store: store, settings: settings, memoryLimit: DistinctKeyCounter.defaultMemoryLimit,
            step: "after the pricing file changed")

        // The daemon makes a new folder on reload. Even given this folder's sums, a folder of
        // another time zone must not go on from them.
        settings.timeZone = "Europe/Berlin"
        let zoned = Folder(settings: settings, logger: Self.logger, retainingSums: true)
        zoned.retained?.state = retained.state
        let inputs = try LedgerInputs.load(settings: settings, logger: Self.logger)
        let berlin = try zoned.compute(store: store, inputs: inputs)
        #expect(zoned.retained?.lastMode == .full)
        try Self.expectSameAsFromScratch(
            berlin, store: store, settings: settings, memoryLimit: DistinctKeyCounter.defaultMemoryLimit,
            step: "after the time zone changed")
    }

    @Test("failed fold drops the sums")
    func failureDropsSums() throws {
        // The window spans every fixture, so its metrics need the spill directory as the sums do.
        let (harness, store, settings) = try Self.setup(zone: "UTC", window: "3650d")
        defer { harness.cleanUp() }
        let lines = try Self.shuffledLines()
        var folder = Folder(settings: settings, logger: Self.logger, retainingSums: true)
        folder.distinctMemoryLimit = 64
        try Self.ingestStep(0, lines: lines, harness: harness, store: store)
        let inputs = try LedgerInputs.load(settings: settings, logger: Self.logger)
        _ = try folder.compute(store: store, inputs: inputs)
        #expect(folder.retained?.state != nil)

        // A folder of the same key takes these sums over, adds the next step's events to them,
        // then fails in the window's metrics because a parent of its spill directory is a regular file.
        let blocker = harness.root.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: blocker)
        var blocked = settings
        blocked.stateDirectory = blocker.appendingPathComponent("spill").path
        var failing = Folder(settings: blocked, logger: Self.logger, retainingSums: true)
        failing.distinctMemoryLimit = 64
        failing.retained?.state = folder.retained?.state
        folder.retained?.state = nil
        try Self.ingestStep(1, lines: lines, harness: harness, store: store)
        let error = try #require(throws: FoldSpillError.self) { try failing.compute(store: store, inputs: inputs) }
        #expect(error.directory == blocked.stateDirectory)
        #expect(failing.retained?.state == nil)

        // Its next fold starts from no sums and agrees with a fold from scratch.
        try FileManager.default.removeItem(at: blocker)
        let recovered = try failing.compute(store: store, inputs: inputs)
        #expect(failing.retained?.lastMode == .full)
        #expect(recovered.eventCount == (try Self.eventCount(store)))
        try Self.expectSameAsFromScratch(
            recovered, store: store, settings: blocked, memoryLimit: 64, step: "after the failed fold")
    }

    /// Returns the `key=value` fields of each stderr line that logs a finished fold.
    static func foldLogs(_ stderr: String) -> [[String: String]] {
        stderr.split(separator: "\n").filter { $0.contains("folded events into the ledger") }.map { line in
            var fields: [String: String] = [:]
            for part in line.split(separator: " ") {
                let pair = part.split(separator: "=", maxSplits: 1)
                if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
            }
            return fields
        }
    }

    @Test("daemon folds match a full fold")
    func daemonMatchesFullFold() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try FileManager.default.createDirectory(at: harness.spool, withIntermediateDirectories: true)
        let usage = try String(contentsOf: Harness.fixture("cliproxyapi/usage-queue.jsonl"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        try harness.write(usage.prefix(250).joined(separator: "\n") + "\n", to: "usage-1.jsonl")
        let daemon = try Daemon(harness, extra: ["--poll-interval", "100ms", "--fold-interval", "200ms"])
        defer { daemon.stop(signal: SIGKILL) }
        #expect(harness.waitUntil { Self.foldLogs(daemon.stderr).contains { $0["fold.mode"] == "full" } })

        // Later events: the rest of the usage queue, spans of a new shape, and accounting events.
        try harness.write(usage.dropFirst(250).joined(separator: "\n") + "\n", to: "usage-2.jsonl")
        try FileManager.default.copyItem(
            at: Harness.fixture("otlp/genai-traces.jsonl"), to: harness.spool.appendingPathComponent("spans.jsonl"))
        try FileManager.default.copyItem(
            at: Harness.fixture("cliproxyapi/accounting-v1.jsonl"),
            to: harness.spool.appendingPathComponent("accounting.jsonl"))
        var total = 0
        #expect(
            try harness.waitUntil {
                total = try harness.eventCount()
                let read = Self.foldLogs(daemon.stderr).compactMap { Int($0["fold.read_events"] ?? "") }
                return total > 400 && read.reduce(0, +) == total
            })
        #expect(daemon.stop() == 0)
        // Files may still have been read after the wait; the closing fold read the rest.
        total = try harness.eventCount()
        #expect(total > 400)

        let folds = Self.foldLogs(daemon.stderr)
        #expect(folds.first?["fold.mode"] == "full")
        #expect(folds.first?["fold.read_events"] == "250")
        #expect(folds.dropFirst().allSatisfy { $0["fold.mode"] == "incremental" })
        #expect(folds.compactMap { Int($0["fold.read_events"] ?? "") }.reduce(0, +) == total)
        #expect(folds.last?["fold.events"] == "\(total)")

        // A fold from scratch of the same store writes the same bytes into every file.
        let fullDirectory = harness.root.appendingPathComponent("full")
        let fold = try harness.run(
            ["fold", "--state-dir", harness.state.path, "--ledger-dir", fullDirectory.path])
        #expect(fold.status == 0, "\(fold.stderr)")
        let daemonDirectory = harness.state.appendingPathComponent("ledger")
        let names = try FileManager.default.contentsOfDirectory(atPath: daemonDirectory.path).sorted()
        #expect(names == (try FileManager.default.contentsOfDirectory(atPath: fullDirectory.path).sorted()))
        #expect(names.contains("manifest.json"))
        for name in names {
            let daemonBytes = try Data(contentsOf: daemonDirectory.appendingPathComponent(name))
            let fullBytes = try Data(contentsOf: fullDirectory.appendingPathComponent(name))
            #expect(daemonBytes == fullBytes, "\(name) differs from a fold from scratch")
        }
    }

    @Test("daemon refolds after another writer")
    func otherWriterRefolds() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(["cliproxyapi/usage-queue.jsonl"])
        let pricing = try Self.pricingFile(harness)
        let daemon = try Daemon(
            harness, extra: ["--poll-interval", "100ms", "--fold-interval", "200ms", "--pricing", pricing.path])
        defer { daemon.stop(signal: SIGKILL) }
        #expect(harness.waitUntil { Self.foldLogs(daemon.stderr).count == 1 })

        // Another process doubles the price of claude-sonnet-4-5 input tokens and reprices; no
        // new event arrives, yet the daemon folds again.
        let text = try String(contentsOf: pricing, encoding: .utf8)
        let doubled = text.replacingOccurrences(
            of: "\"input_usd_per_mtok\": 3.0,", with: "\"input_usd_per_mtok\": 6.0,")
        #expect(doubled != text)
        try Data(doubled.utf8).write(to: pricing)
        let reprice = try harness.run(["reprice", "--state-dir", harness.state.path, "--pricing", pricing.path])
        #expect(reprice.status == 0, "\(reprice.stderr)")
        #expect(harness.waitUntil { Self.foldLogs(daemon.stderr).count >= 2 })
        #expect(Self.foldLogs(daemon.stderr).dropFirst().first?["fold.mode"] == "full")
        #expect(daemon.stop() == 0)

        let fullDirectory = harness.root.appendingPathComponent("full")
        let fold = try harness.run(
            ["fold", "--state-dir", harness.state.path, "--ledger-dir", fullDirectory.path, "--pricing", pricing.path])
        #expect(fold.status == 0, "\(fold.stderr)")
        let daemonDirectory = harness.state.appendingPathComponent("ledger")
        for name in try FileManager.default.contentsOfDirectory(atPath: fullDirectory.path) {
            let daemonBytes = try Data(contentsOf: daemonDirectory.appendingPathComponent(name))
            let fullBytes = try Data(contentsOf: fullDirectory.appendingPathComponent(name))
            #expect(daemonBytes == fullBytes, "\(name) differs from a fold from scratch")
        }
    }
}

/// SplitMix64, a seeded generator, so that the shuffled order is the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var bits = state
        bits = (bits ^ bits >> 30) &* 0xBF58_476D_1CE4_E5B9
        bits = (bits ^ bits >> 27) &* 0x94D0_49BB_1331_11EB
        return bits ^ bits >> 31
    }
}
