import Foundation
import LedgerCore
import LedgerStore
import Testing

@testable import LedgerDaemon

@Suite("Runtime window in a fold")
struct RuntimeWindowFoldTests {
    /// 2026-01-01T12:00:00Z, the start of the newest attempt.
    static let end: Int64 = 1_767_268_800_000_000_000
    static let hour: Int64 = 3_600_000_000_000

    static func attempt(
        _ seed: String, at instant: Int64, status: EventStatus, latency: Int64, shape: SourceShape = .usageQueue
    ) -> CanonicalEvent {
        var event = CanonicalEvent(
            key: EventKey(namespace: "test", bytes: Array(seed.utf8)), shape: shape, provider: "codex",
            model: "gpt-5", startedAtNanoseconds: instant, status: status,
            buckets: TokenBuckets(inputUncached: 10, output: 5), usageState: .present, quality: .complete)
        event.requestID = "r\(seed)"
        event.statusCode = status == .succeeded ? 200 : 503
        event.latencyMilliseconds = latency
        return event
    }

    /// Creates a store of five events around a one-hour window ending at ``end``:
    /// - `edge` starts exactly one hour before the end, so it is outside (succeeded, 1000 ms);
    /// - `inside` starts 1 ns later, so it is inside (failed, 300 ms);
    /// - `old` starts two hours before the end (failed, 50 ms);
    /// - `newest` starts at the end (succeeded, 100 ms);
    /// - a gap marker an hour after the end, which must not move the end.
    static func makeStore() throws -> (Store, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("window-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try Store(path: directory.appendingPathComponent("tokenledgerd.sqlite3").path)
        let events = [
            attempt("edge", at: end - hour, status: .succeeded, latency: 1_000),
            attempt("inside", at: end - hour + 1, status: .failed, latency: 300),
            attempt("old", at: end - 2 * hour, status: .failed, latency: 50),
            attempt("newest", at: end, status: .succeeded, latency: 100),
            attempt("gap", at: end + hour, status: .failed, latency: 0, shape: .gapMarker),
        ]
        let file = FileRecord(
            path: "/spool/a.jsonl", device: 1, inode: 2, size: 100, committedOffset: 100, headLength: 4,
            headHash: [1, 2, 3], tailHash: nil, state: .active)
        _ = try store.commit(
            IngestBatch(
                file: file, events: events.enumerated().map { PositionedEvent(event: $1, lineOffset: Int64($0)) },
                quarantine: [], now: 1))
        return (store, directory)
    }

    /// Folds `store` once, from scratch or, with `retaining`, through a folder that keeps its sums,
    /// which reads the window's events through the index of start times.
    static func fold(_ store: Store, window: RuntimeWindow, retaining: Bool = false) throws -> (FoldResult, String) {
        var settings = Settings.resolve(Configuration())
        settings.pricingPath = "/nonexistent/pricing.json"
        settings.modelsPath = "/nonexistent/models.csv"
        settings.runtimeWindow = window
        let folder = Folder(settings: settings, logger: Logger(level: .critical), retainingSums: retaining)
        let result = try folder.compute(store: store)
        let manifest = Folder.manifest(for: result.files, result: result, inputs: LedgerInputs(), settings: settings)
        return (result, manifest.contents)
    }

    @Test("one-hour window keeps the edge out", arguments: [false, true])
    func oneHourWindow(retaining: Bool) throws {
        let (store, directory) = try Self.makeStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (result, manifest) = try Self.fold(store, window: .last(seconds: 3_600), retaining: retaining)
        let metrics = try #require(result.metrics.first)
        #expect(result.metrics.count == 1)
        #expect(metrics.attempts == 2)
        #expect(metrics.requests == 2)
        #expect(metrics.succeeded == 1)
        #expect(metrics.failed == 1)
        #expect(metrics.failedServerErrors == 1)
        #expect(metrics.latencyP50 == 100)
        #expect(metrics.successRate == 0.5)
        #expect(metrics.buckets == TokenBuckets(inputUncached: 20, output: 10))
        #expect(result.runtimeWindowEnd == Self.end)
        #expect(
            manifest.contains(
                #""runtime_window":{"span":"1h","starts_after":"2026-01-01T11:00:00Z","ends_at":"2026-01-01T12:00:00Z"}"#
            ))

        // Rollups and the census stay all-time: four attempts on one day, five events counted.
        let daily = try #require(result.files.first { $0.name == RollupWriter.dailyName })
        #expect(daily.contents.contains("\r\ncodex,gpt-5,2026-01-01,4,40,0,0,20,0,0,0,0,60,0,0,4,60,0,\r\n"))
        #expect(result.census.total == 5)
        #expect(result.eventCount == 5)
    }

    @Test("all-time window takes every attempt", arguments: [false, true])
    func allWindow(retaining: Bool) throws {
        let (store, directory) = try Self.makeStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (result, manifest) = try Self.fold(store, window: .all, retaining: retaining)
        let metrics = try #require(result.metrics.first)
        #expect(metrics.attempts == 4)
        #expect(metrics.succeeded == 2)
        #expect(metrics.failed == 2)
        // The median of 100 and 1000 ms.
        #expect(metrics.latencyP50 == 550)
        #expect(metrics.successRate == 0.5)
        #expect(result.runtimeWindowEnd == nil)
        #expect(manifest.contains(#""runtime_window":{"span":"all","starts_after":null,"ends_at":null}"#))
    }

    @Test("two-hour window takes the one-hour edge", arguments: [false, true])
    func twoHourWindow(retaining: Bool) throws {
        let (store, directory) = try Self.makeStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        // `old` starts exactly two hours before the end, so it stays out; `edge` is now inside.
        let (result, _) = try Self.fold(store, window: .last(seconds: 7_200), retaining: retaining)
        let metrics = try #require(result.metrics.first)
        #expect(metrics.attempts == 3)
        #expect(metrics.succeeded == 2)
        #expect(metrics.failed == 1)
        #expect(metrics.latencyP50 == 550)
    }

    @Test("runtime_window comes from the file and the option")
    func configurationKey() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("window-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("tokenledgerd.conf").path
        try Data("[ledger]\nruntime_window = 30d\n".utf8).write(to: URL(fileURLWithPath: path))
        let specs = [OptionSpec("config", value: "FILE", help: "")] + Settings.ledgerOptions
        let fromFile = try ConfigLoader(
            options: try ArgumentParser.parse(["--config", path], command: "test", options: specs), environment: [:]
        ).load()
        #expect(Settings.resolve(fromFile).runtimeWindow == .last(seconds: 2_592_000))
        let fromOption = try ConfigLoader(
            options: try ArgumentParser.parse(
                ["--config", path, "--runtime-window", "90m"], command: "test", options: specs),
            environment: [:]
        ).load()
        #expect(Settings.resolve(fromOption).runtimeWindow == .last(seconds: 5_400))
        #expect(Settings.resolve(Configuration()).runtimeWindow == .all)

        try Data("[ledger]\nruntime_window = 2w\n".utf8).write(to: URL(fileURLWithPath: path))
        let loader = ConfigLoader(
            options: try ArgumentParser.parse(["--config", path], command: "test", options: specs), environment: [:])
        #expect(throws: ConfigError.self) { try loader.load() }
    }

    @Test("window bounds are half-open")
    func halfOpenBounds() throws {
        var fold = EventFold(
            mapping: ProviderMapping(pricing: nil), utcOffset: { _ in 0 }, runtimeEvents: .window(after: 10, end: 20))
        var numbering = FoldRowNumbering()
        // Starts 10 and 21 are outside (10 is the exclusive start, 21 is past the end); 11 and 20 are inside.
        for instant: Int64 in [10, 11, 20, 21] {
            let event = Self.attempt("\(instant)", at: instant, status: .succeeded, latency: instant)
            try fold.add(FoldRow(event, cost: nil, numbering: &numbering))
        }
        let metrics = try #require(try fold.runtimeMetrics().first)
        #expect(metrics.attempts == 2)
        #expect(metrics.latencyP50 == 15.5)
        #expect(fold.census.total == 4)
        #expect(fold.rollups.dailyRows().map(\.attempts) == [4])
    }
}
