import LedgerCore
import LedgerStore

/// What a fold produced.
public struct FoldResult: Sendable {
    /// Runtime metrics per (provider, model).
    public var metrics: [RuntimeMetrics]
    /// The generated files, by name, in write order.
    public var files: [LedgerFile]
    /// Events folded.
    public var eventCount: Int
}

/// Folds stored events into runtime metrics and the ledger files.
public struct Folder {
    /// The source description written into the runtime snapshot's `source_path` column.
    public static let sourceDescription = "tokenledgerd:events"

    let settings: Settings
    let logger: Logger

    /// Computes every ledger file from the store without writing anything.
    /// - Throws: ``LedgerInputError`` when the pricing file or the model table is invalid, and
    ///   store errors.
    public func compute(store: Store) throws -> FoldResult {
        let inputs = try LedgerInputs.load(settings: settings, logger: logger)
        var folder = RuntimeMetricsFolder(mapping: ProviderMapping(pricing: inputs.pricing))
        var count = 0
        try store.forEachEvent { stored in
            folder.add(stored.event)
            count += 1
        }
        let metrics = folder.results()
        // The snapshot holds six decimals; the Pareto table is computed from the same rounded
        // values, so that a reader recomputing it from the snapshot (the SQL view) agrees.
        let rows = metrics.map { metric in
            RuntimeMetricRow(
                provider: metric.provider, model: metric.model,
                latencyMilliseconds: metric.latencyP50.map(Self.roundedToSixDecimals),
                qualityScore: metric.successRate.map(Self.roundedToSixDecimals), sourcePath: Self.sourceDescription)
        }
        var files: [LedgerFile] = []
        if let pricing = inputs.pricing, let models = inputs.models {
            files = LedgerBuilder(pricing: pricing, benchmarks: models).makeFiles(runtimeMetrics: rows)
        } else {
            files = [LedgerFile(name: LedgerFile.runtimeSnapshotName, contents: RuntimeSnapshotWriter.snapshot(rows))]
        }
        files.append(
            LedgerFile(name: RuntimeSnapshotWriter.extendedName, contents: RuntimeSnapshotWriter.extended(metrics)))
        return FoldResult(metrics: metrics, files: files, eventCount: count)
    }

    static func roundedToSixDecimals(_ value: Double) -> Double {
        (value * 1_000_000).rounded(.toNearestOrAwayFromZero) / 1_000_000
    }

    /// Computes the ledger files and writes each atomically into `directory`.
    @discardableResult
    public func fold(store: Store, into directory: String) throws -> FoldResult {
        let result = try compute(store: store)
        try FilePath.makeDirectories(directory)
        for file in result.files {
            try AtomicFile.writeIfChanged(file.contents, to: FilePath.join(directory, file.name))
        }
        try store.setFoldValue(String(WallClock.now()), for: "last_fold_ns")
        logger.info(
            "folded events into the ledger",
            ["fold.events": "\(result.eventCount)", "fold.pairs": "\(result.metrics.count)", "ledger.dir": directory])
        return result
    }
}

/// The pricing file and benchmark table, either of which may be absent.
struct LedgerInputs {
    var pricing: PricingFile?
    var models: BenchmarkTable?

    /// Rejects a pricing file or benchmark table that was named explicitly (by flag, environment
    /// or configuration file) but does not exist, or that does not load.
    /// - Throws: ``UsageError`` naming the path and the problem.
    static func checkExplicitPaths(settings: Settings) throws {
        for (key, path, what) in [
            (ConfigKey.pricing, settings.pricingPath, "pricing file"),
            (ConfigKey.models, settings.modelsPath, "model benchmark table"),
        ] {
            let origin = settings.origins[key] ?? .builtIn
            guard origin != .builtIn else { continue }
            guard let bytes = readFile(path) else {
                throw UsageError("\(what) '\(path)' (from \(origin)) does not exist or cannot be read")
            }
            do {
                if key == .pricing {
                    _ = try PricingFile(json: bytes)
                } else {
                    _ = try BenchmarkTable(csv: bytes)
                }
            } catch {
                throw UsageError("\(what) '\(path)' is invalid: \(error)")
            }
        }
    }

    static func load(settings: Settings, logger: Logger) throws -> LedgerInputs {
        var inputs = LedgerInputs()
        if let bytes = readFile(settings.pricingPath) {
            inputs.pricing = try PricingFile(json: bytes)
        } else {
            logger.warning(
                "pricing file not found; writing runtime metrics only",
                ["pricing.file": settings.pricingPath])
        }
        if let bytes = readFile(settings.modelsPath) {
            inputs.models = try BenchmarkTable(csv: bytes)
        } else {
            logger.warning(
                "model benchmark table not found; writing runtime metrics only",
                ["models.file": settings.modelsPath])
        }
        return inputs
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let file = try? FileDescriptor(path: path, flags: 0), let info = try? file.status() else { return nil }
        return try? file.readBytes(count: Int(info.st_size), at: 0)
    }
}
