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
    /// Event counts by usage state, quality and pricing state, and their time span.
    public var census: EventCensus
    /// The end of the runtime metrics' window (the newest attempt's start); `nil` when the window
    /// is ``RuntimeWindow/all``.
    public var runtimeWindowEnd: Int64?
}

/// Folds stored events into runtime metrics, cost rollups and the ledger files.
public struct Folder {
    /// The source description written into the runtime snapshot's `source_path` column.
    public static let sourceDescription = "tokenledgerd:events"

    let settings: Settings
    let logger: Logger
    /// The estimated bytes of distinct request ids, and separately of session ids, that a fold
    /// keeps in memory before it moves them to temporary files in the state directory.
    var distinctMemoryLimit = DistinctKeyCounter.defaultMemoryLimit
    /// The sums a fold leaves for the next one to go on from; `nil` folds every event each time.
    let retained: RetainedFold?
    /// Called every ``progressInterval`` events a fold reads and after each batch it prices, so
    /// that a daemon can tell systemd it is alive during a long fold.
    var progress: (() -> Void)?
    /// The events read between two calls of ``progress``: a power of two.
    var progressInterval = 1 << 16

    /// Creates a folder. With `retainingSums`, each fold keeps its sums and the next one reads
    /// only the events stored since (see ``RetainedFold``).
    public init(settings: Settings, logger: Logger, retainingSums: Bool = false) {
        self.settings = settings
        self.logger = logger
        retained = retainingSums ? RetainedFold() : nil
    }

    /// Computes every ledger file from the store without writing any file. A folder that keeps its
    /// sums records its mark in the store (see ``RetainedFold``).
    /// - Throws: ``LedgerInputError`` when the pricing file or the model table is invalid,
    ///   ``UsageError`` for an unknown time zone, and store errors.
    public func compute(store: Store) throws -> FoldResult {
        try compute(store: store, inputs: try LedgerInputs.load(settings: settings, logger: logger))
    }

    /// Prices the events still unpriced with the pricing file in force; does nothing without one.
    @discardableResult
    func priceNewEvents(store: Store, inputs: LedgerInputs) throws -> CostRecorder.Summary? {
        guard let pricer = inputs.pricer else { return nil }
        return try CostRecorder(pricer: pricer, logger: logger).priceUnpriced(
            store: store, now: WallClock.now(), afterBatch: progress ?? {})
    }

    /// Computes every file from the events and recorded costs of `store`, the local store or
    /// the central ledger. With ``retained`` and the local store, it goes on from the sums of the
    /// previous fold (see ``RetainedFold``).
    /// - Throws: ``FoldSpillError`` when a temporary file for distinct ids cannot be written or read,
    ///   ``UsageError`` for an unknown time zone, and the source's errors.
    func compute(store: some EventSource, inputs: LedgerInputs) throws -> FoldResult {
        guard let zone = ZoneOffsets(identifier: settings.timeZone) else {
            throw UsageError("unknown time zone '\(settings.timeZone)'; give an IANA zone name such as UTC")
        }
        let offsets = ZoneOffsetCache(zone)
        if let retained, let local = store as? Store {
            return try computeFromRetained(retained, store: local, inputs: inputs, offsets: offsets)
        }
        let windowEnd = settings.runtimeWindow == .all ? nil : try Self.newestAttemptInstant(in: store)
        var runtimeEvents = EventFold.RuntimeEvents.all
        if let windowEnd, let after = settings.runtimeWindow.exclusiveStart(end: windowEnd) {
            runtimeEvents = .window(after: after, end: windowEnd)
        }
        var fold = makeFold(inputs: inputs, offsets: offsets, runtimeEvents: runtimeEvents)
        var ticker = ProgressTicker(progress, interval: progressInterval)
        try Self.forEachFoldRow(in: store) {
            ticker.count()
            try fold.add($0)
        }
        return try result(of: &fold, metrics: try fold.runtimeMetrics(), windowEnd: windowEnd, inputs: inputs)
    }

    /// Adds the events stored since the retained fold to its sums, or folds every event into new
    /// sums when there are none or they no longer hold (see ``RetainedFold``). Keeps the sums with
    /// the mark it writes into the store.
    private func computeFromRetained(
        _ retained: RetainedFold, store: Store, inputs: LedgerInputs, offsets: ZoneOffsetCache
    ) throws -> FoldResult {
        let key = RetainedFold.Key(
            store: ObjectIdentifier(store), pricingHash: inputs.pricer?.pricingHash, timeZone: settings.timeZone,
            runtimeWindow: settings.runtimeWindow, memoryLimit: distinctMemoryLimit)
        // Taken out first, so that a fold that fails part way leaves nothing to go on from.
        let previous = retained.state
        retained.state = nil

        let folded = try store.database.readTransaction { () throws -> (RetainedFold.State, FoldResult) in
            let head = try store.foldHead()
            var state: RetainedFold.State
            if let previous, previous.key == key, previous.head.lastEventID <= head.lastEventID,
                try store.foldValue(for: RetainedFold.markName) == previous.mark,
                try !store.hasCostChange(after: previous.head.lastCostChange, throughEventID: previous.head.lastEventID)
            {
                state = previous
                retained.lastMode = .incremental
            } else {
                state = RetainedFold.State(
                    key: key,
                    fold: makeFold(
                        inputs: inputs, offsets: offsets, runtimeEvents: settings.runtimeWindow == .all ? .all : .none))
                retained.lastMode = .full
            }

            let countBefore = state.fold.count
            var ticker = ProgressTicker(progress, interval: progressInterval)
            try store.forEachFoldRow(
                .eventIDs(after: state.head.lastEventID, through: head.lastEventID), pairs: &state.pairs
            ) {
                ticker.count()
                try state.fold.add($0)
            }
            retained.lastNewEvents = state.fold.count - countBefore
            state.head = head

            var windowEnd: Int64?
            let metrics: [RuntimeMetrics]
            if settings.runtimeWindow == .all {
                metrics = try state.fold.runtimeMetrics()
            } else {
                windowEnd = try store.newestAttemptInstant()
                metrics = try windowMetrics(
                    store: store, inputs: inputs, end: windowEnd, throughEventID: head.lastEventID)
            }

            // The state is returned after `result(of:)`, which settles the counters' spill files,
            // so that the kept sums are the ones just counted.
            let computed = try result(of: &state.fold, metrics: metrics, windowEnd: windowEnd, inputs: inputs)
            return (state, computed)
        }

        // The mark is written after the read. A store restored from a backup taken before this
        // write no longer contains it, so the next fold starts from no sums.
        var (state, computed) = folded
        state.mark = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        try store.setFoldValue(state.mark, for: RetainedFold.markName)
        retained.state = state
        return computed
    }

    /// Returns the runtime metrics of the events in the runtime window that ends at `end`. They are
    /// read through the index of start times. Without an `end` there are none.
    private func windowMetrics(store: Store, inputs: LedgerInputs, end: Int64?, throughEventID: Int64) throws
        -> [RuntimeMetrics]
    {
        var folder = RuntimeMetricsFolder(
            mapping: ProviderMapping(pricing: inputs.pricing), spill: SpillDirectory(path: settings.stateDirectory),
            memoryLimit: distinctMemoryLimit)
        guard let end else { return try folder.results() }
        let after = settings.runtimeWindow.exclusiveStart(end: end) ?? .min
        var pairs = FoldRowPairs()
        var ticker = ProgressTicker(progress, interval: progressInterval)
        try store.forEachFoldRow(.started(after: after, through: end, throughEventID: throughEventID), pairs: &pairs) {
            ticker.count()
            guard $0.shape != .gapMarker else { return }
            try folder.add($0)
        }
        return try folder.results()
    }

    private func makeFold(inputs: LedgerInputs, offsets: ZoneOffsetCache, runtimeEvents: EventFold.RuntimeEvents)
        -> EventFold
    {
        EventFold(
            mapping: ProviderMapping(pricing: inputs.pricing), utcOffset: offsets.offset(atEpochSeconds:),
            runtimeEvents: runtimeEvents, spill: SpillDirectory(path: settings.stateDirectory),
            memoryLimit: distinctMemoryLimit)
    }

    /// Builds every ledger file from the sums of `fold` and the runtime `metrics`.
    private func result(of fold: inout EventFold, metrics: [RuntimeMetrics], windowEnd: Int64?, inputs: LedgerInputs)
        throws -> FoldResult
    {
        let census = fold.census
        let count = fold.count
        let rollups = fold.rollups
        let sessions = try fold.sessionTally()
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
            let builder = LedgerBuilder(pricing: pricing, benchmarks: models)
            let pareto = builder.paretoRows(runtimeMetrics: rows)
            files = builder.makeFiles(runtimeMetrics: rows, paretoRows: pareto)
            let extended = ParetoFrontier.rows(pareto: pareto, ledgerRows: builder.ledgerRows, metrics: metrics)
            files.append(LedgerFile(name: ParetoFrontier.extendedName, contents: ParetoFrontier.csv(extended)))
            files.append(LedgerFile(name: ParetoChart.fileName, contents: ParetoChart.svg(extended)))
        } else {
            files = [LedgerFile(name: LedgerFile.runtimeSnapshotName, contents: RuntimeSnapshotWriter.snapshot(rows))]
        }
        files.append(
            LedgerFile(name: RuntimeSnapshotWriter.extendedName, contents: RuntimeSnapshotWriter.extended(metrics)))

        let monthly = rollups.monthlyRows { inputs.pricer?.subscriptionUSDPerMonth(provider: $0) }
        files.append(
            LedgerFile(name: RollupWriter.dailyName, contents: RollupWriter.csv(rollups.dailyRows(), isMonthly: false)))
        files.append(LedgerFile(name: RollupWriter.monthlyName, contents: RollupWriter.csv(monthly, isMonthly: true)))
        let snapshot = UISnapshot.make(monthlyRows: monthly, sessions: sessions, newestInstant: census.lastInstant)
        files.append(LedgerFile(name: UISnapshot.fileName, contents: snapshot.json()))
        return FoldResult(
            metrics: metrics, files: files, eventCount: count, census: census, runtimeWindowEnd: windowEnd)
    }

    /// Calls `body` for every event of `source`. A fold's result does not depend on the order of
    /// events, so the local store streams its table unsorted, with only the columns a fold reads.
    private static func forEachFoldRow(in source: some EventSource, _ body: (FoldRow) throws -> Void) throws {
        if let store = source as? Store {
            try store.forEachFoldRow(body)
        } else {
            var numbering = FoldRowNumbering()
            try source.forEachEvent { stored in
                try body(FoldRow(stored.event, cost: stored.cost, numbering: &numbering))
            }
        }
    }

    /// Returns the start of the newest event of `source` that is not a gap marker; `nil` without one.
    private static func newestAttemptInstant(in source: some EventSource) throws -> Int64? {
        if let store = source as? Store {
            return try store.newestAttemptInstant()
        }
        var newest: Int64?
        try source.forEachEvent { stored in
            guard stored.event.shape != .gapMarker else { return }
            newest = max(newest ?? stored.event.startedAtNanoseconds, stored.event.startedAtNanoseconds)
        }
        return newest
    }

    /// Returns `manifest.json` describing `files` and the fold `result` they came from. It lists
    /// each file with its SHA-256, and the files of `listing`, which were built apart.
    static func manifest(
        for files: [LedgerFile], result: FoldResult, inputs: LedgerInputs, settings: Settings,
        listing: [(name: String, sha256: String)] = []
    ) -> LedgerFile {
        let manifest = ExportManifest(
            storeSchemaVersion: Int64(Store.schemaVersion), pricingHash: inputs.pricer?.pricingHash,
            timeZone: settings.timeZone, census: result.census,
            fileHashes: listing + files.map { ($0.name, SHA256.hexDigest(Array($0.contents.utf8))) },
            runtimeWindow: settings.runtimeWindow, runtimeWindowEnd: result.runtimeWindowEnd)
        return LedgerFile(name: ExportManifest.fileName, contents: manifest.json())
    }

    static func roundedToSixDecimals(_ value: Double) -> Double {
        (value * 1_000_000).rounded(.toNearestOrAwayFromZero) / 1_000_000
    }

    /// Prices new events, computes the ledger files and writes each atomically into `directory`.
    @discardableResult
    public func fold(store: Store, into directory: String) throws -> FoldResult {
        let start = monotonicNanoseconds()
        let inputs = try LedgerInputs.load(settings: settings, logger: logger)
        try priceNewEvents(store: store, inputs: inputs)
        var result = try compute(store: store, inputs: inputs)
        result.files.append(Self.manifest(for: result.files, result: result, inputs: inputs, settings: settings))
        try FilePath.makeDirectories(directory)
        try AtomicFile.writeChanged(result.files, into: directory)
        try store.setFoldValue(String(WallClock.now()), for: "last_fold_ns")
        logger.info(
            "folded events into the ledger",
            [
                "fold.events": "\(result.eventCount)", "fold.pairs": "\(result.metrics.count)", "ledger.dir": directory,
                "fold.mode": (retained?.lastMode ?? .full).rawValue,
                "fold.read_events": "\(retained?.lastNewEvents ?? result.eventCount)",
                "fold.seconds": "\((Double(monotonicNanoseconds() - start) / 1e6).rounded() / 1000)",
            ])
        return result
    }
}

/// Calls a fold's progress closure once every `interval` rows.
private struct ProgressTicker {
    let progress: (() -> Void)?
    let mask: Int
    private var rows = 0

    init(_ progress: (() -> Void)?, interval: Int) {
        precondition(interval > 0 && interval & (interval - 1) == 0, "progress interval \(interval) is no power of two")
        self.progress = progress
        mask = interval - 1
    }

    @inline(__always)
    mutating func count() {
        rows &+= 1
        if rows & mask == 0 {
            progress?()
        }
    }
}
