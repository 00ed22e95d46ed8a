import Glibc
import LedgerCore
import LedgerStore
import Synchronization

/// Set by the SIGTERM and SIGINT handlers; the run loop stops when it is `true`.
let stopRequested = Atomic<Bool>(false)
/// Set by the SIGHUP handler; the run loop reloads and clears it.
let reloadRequested = Atomic<Bool>(false)

enum RunCommand {
    static func run(_ options: ParsedOptions, environment: [String: String]) throws -> Int32 {
        let context = try CommandContext(options, environment: environment)
        var configuration = context.configuration
        var settings = context.settings
        var logger = context.logger
        for directory in settings.spoolDirectories {
            var info = stat()
            guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
                throw UsageError("run: spool directory '\(directory)' does not exist or is not a directory")
            }
        }
        try LedgerInputs.checkExplicitPaths(settings: settings)
        try checkRetention(settings.retention, spools: settings.spoolDirectories)
        try FilePath.makeDirectories(settings.stateDirectory, mode: 0o750)
        if !options.has("once") {
            // From here on a stop or reload request waits for the step in progress, a schema
            // migration or the start-up check included, instead of killing the process.
            try installSignalHandlers()
        }
        let lock = try StateLock(directory: settings.stateDirectory)
        defer { withExtendedLifetime(lock) {} }
        let notifier = ServiceNotifier(environment: environment, logger: logger)
        let store = try StoreRecovery.open(path: settings.databasePath, logger: logger) {
            // A migration or a full check of a large store can outlast the default start timeout.
            notifier.extendTimeout(microseconds: 600_000_000)
        }
        var ingestor = Ingestor(
            store: store, options: settings.ingestOptions, logger: logger, pricingPath: settings.pricingPath)
        var scanner = SpoolScanner(directories: settings.spoolDirectories, patterns: settings.spoolPatterns)
        // Only the daemon keeps its sums between folds: `--once` folds once.
        var folder = Folder(settings: settings, logger: logger, retainingSums: !options.has("once"))

        if options.has("once") {
            let ingestStart = monotonicNanoseconds()
            let summary = try ingestWithRetry(ingestor, scanner: scanner, logger: logger, deadline: 60)
            log(summary, seconds: Double(monotonicNanoseconds() - ingestStart) / 1e9, logger: logger)
            try folder.fold(store: store, into: settings.ledgerDirectory)
            _ = try Retention(policy: settings.retention, logger: logger).apply(store: store, now: WallClock.now())
            StoreRecovery.markCleanStop(path: settings.databasePath)
            return 0
        }

        let metrics = MetricsFile()
        store.commitObserver = { metrics.commitLatency.observe(nanoseconds: $0) }
        let stop: () -> Bool = { stopRequested.load(ordering: .relaxed) }
        let keepAlive = ServiceKeepAlive(notifier: notifier, isStopRequested: stop)
        // Asked after each commit, so a long pass keeps the watchdog fed.
        let tickingStop: () -> Bool = {
            keepAlive.tick()
            return stop()
        }
        ingestor.shouldStop = tickingStop
        folder.progress = keepAlive.tick
        var watcher = makeWatcher(settings: settings, logger: logger)
        logger.notice(
            "tokenledgerd started",
            [
                "spool.dirs": settings.spoolDirectories.joined(separator: ","), "state.dir": settings.stateDirectory,
                "watch": watcher == nil ? "poll" : "inotify",
            ])

        // Continuous replication runs on its own thread; see ReplicationWorker.
        let replication = try startReplication(context: context, environment: environment, logger: logger)
        defer { replication?.stop() }

        var loop = RunLoopState(pollInterval: settings.pollInterval, foldInterval: settings.foldInterval)
        var progress = ProgressReport()
        while !stop() {
            let now = monotonicNanoseconds()
            if loop.isScanDue(now: now) {
                do {
                    let summary = try ingestor.ingestAll(scanner)
                    let seconds = Double(monotonicNanoseconds() - now) / 1e9
                    loop.scanSucceeded(now: now)
                    progress.update(summary, now: now)
                    if summary.insertedEvents > 0 || summary.quarantined > 0 {
                        replication?.notify()
                        log(summary, seconds: seconds, logger: logger)
                        loop.isFoldPending = true
                    } else if !loop.isFoldPending, let folded = folder.retained?.state?.head,
                        try store.foldHead() != folded
                    {
                        // Another process stored events or changed costs (`import`, `quarantine
                        // retry`, `reprice`): the ledger files no longer match the store.
                        loop.isFoldPending = true
                    }
                    if summary.lines > 0 {
                        writeMetrics(metrics, store: store, settings: settings, logger: logger)
                    }
                } catch let error as StoreError where error.isTransient {
                    let delay = loop.scanFailed(now: now)
                    logger.warning(
                        "commit failed; offsets stay at the last commit, retrying",
                        ["error": "\(error)", "retry.seconds": "\((delay * 10).rounded() / 10)"])
                }
            }
            if loop.isFoldDue(now: now) {
                let foldStart = monotonicNanoseconds()
                if try foldUnlessBusy(folder, store: store, settings: settings, logger: logger) {
                    loop.folded(now: now)
                    metrics.lastFoldSeconds = Double(monotonicNanoseconds() - foldStart) / 1e9
                    metrics.lastFoldTimestamp = Double(WallClock.now()) / 1e9
                    writeMetrics(metrics, store: store, settings: settings, logger: logger)
                    do {
                        _ = try Retention(policy: settings.retention, logger: logger)
                            .apply(store: store, now: WallClock.now())
                    } catch let error as StoreError where error.isTransient {
                        logger.warning("retention skipped; the store is busy", ["error": "\(error)"])
                    }
                } else {
                    loop.foldFailed(now: now)
                }
            }
            if !keepAlive.isReady {
                // Ready only after recovery, the first scan and the first fold.
                notifier.ready(status: progress.statusLine(now: now))
                keepAlive.isReady = true
            } else if progress.isStatusChanged {
                notifier.status(progress.statusLine(now: now))
            }
            progress.isStatusChanged = false

            if reloadRequested.exchange(false, ordering: .relaxed) {
                notifier.reloading()
                switch context.loader.reload(previous: configuration) {
                case .success(let change):
                    configuration = change.current
                    settings = Settings.resolve(change.current)
                    for key in change.restartRequiredKeys where key == .stateDirectory {
                        settings.stateDirectory = context.settings.stateDirectory
                    }
                    logger = Logger(level: settings.logLevel)
                    logger.notice(
                        "configuration reloaded",
                        ["config.changed": change.changedKeys.map(\.qualifiedName).joined(separator: ",")])
                    for key in change.restartRequiredKeys {
                        logger.warning(
                            "configuration key needs a restart; keeping the running value",
                            ["config.key": key.qualifiedName])
                    }
                    ingestor = Ingestor(
                        store: store, options: settings.ingestOptions, logger: logger, pricingPath: settings.pricingPath
                    )
                    ingestor.shouldStop = tickingStop
                    scanner = SpoolScanner(directories: settings.spoolDirectories, patterns: settings.spoolPatterns)
                    folder = Folder(settings: settings, logger: logger, retainingSums: true)
                    folder.progress = keepAlive.tick
                    watcher = makeWatcher(settings: settings, logger: logger)
                    loop.reconfigure(pollInterval: settings.pollInterval, foldInterval: settings.foldInterval)
                case .failure(let error):
                    logger.error(
                        "configuration reload failed; keeping the previous configuration", ["error": "\(error)"])
                }
                if try foldUnlessBusy(folder, store: store, settings: settings, logger: logger) {
                    loop.folded(now: monotonicNanoseconds())
                }
                loop.isScanRequested = true
                notifier.ready(status: progress.statusLine(now: monotonicNanoseconds()))
            }

            // The loop itself feeds the watchdog, so a hung loop stops feeding it.
            keepAlive.tick()
            loop.maximumSleep = keepAlive.watchdogInterval
            guard !stop() else { break }
            if wait(watcher: watcher, timeout: loop.timeUntilNextWork(now: monotonicNanoseconds())) {
                loop.isScanRequested = true
            }
        }
        notifier.stopping(status: "finishing the last fold")
        logger.notice("stopping: folding once more")
        _ = try foldUnlessBusy(folder, store: store, settings: settings, logger: logger)
        StoreRecovery.markCleanStop(path: settings.databasePath)
        logger.notice("tokenledgerd stopped")
        return 0
    }

    /// Starts the replication worker when `[replication] target` or the systemd credential
    /// names a PostgreSQL target; returns `nil` when neither does.
    private static func startReplication(context: CommandContext, environment: [String: String], logger: Logger)
        throws -> ReplicationWorker?
    {
        let replication = ReplicationSettings.resolve(context.configuration)
        guard
            let target = try ConnectionTarget.resolve(
                argument: nil, option: "to", configured: replication.target, environment: environment)
        else { return nil }
        let worker = try ReplicationWorker(
            databasePath: context.settings.databasePath,
            replicator: Replicator(target: target, settings: replication, logger: logger), logger: logger)
        worker.start()
        logger.notice(
            "replicating to the central ledger",
            ["replication.target": target.identifier, "replication.host_id": replication.hostID])
        return worker
    }

    /// Rejects `retention = move` without a directory, or with one inside a spool directory.
    private static func checkRetention(_ policy: RetentionPolicy, spools: [String]) throws {
        guard policy.mode == .move else { return }
        guard let directory = policy.directory else {
            throw UsageError("run: retention = move needs retention_dir, the directory finished spool files go to")
        }
        var info = stat()
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw UsageError("run: retention_dir '\(directory)' does not exist or is not a directory")
        }
        let target = Self.realPath(directory)
        for spool in spools where target == Self.realPath(spool) || target.hasPrefix(Self.realPath(spool) + "/") {
            throw UsageError(
                "run: retention_dir '\(directory)' is inside the spool '\(spool)'; choose a directory outside it")
        }
    }

    private static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Writes `metrics.prom`; a failure is logged and does not stop ingestion.
    private static func writeMetrics(_ metrics: MetricsFile, store: Store, settings: Settings, logger: Logger) {
        do {
            try metrics.write(store: store, directory: settings.stateDirectory)
        } catch {
            logger.warning("cannot write metrics file", ["error": "\(error)"])
        }
    }

    private static func installSignalHandlers() throws {
        try WakePipe.open()
        // A parent may start us with these signals blocked (worker threads of many runtimes
        // block them, and children inherit the mask), which would make us unstoppable.
        var handled = sigset_t()
        sigemptyset(&handled)
        for number in [SIGTERM, SIGINT, SIGHUP] {
            sigaddset(&handled, number)
        }
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
        signal(SIGTERM) { _ in
            stopRequested.store(true, ordering: .relaxed)
            WakePipe.wake()
        }
        signal(SIGINT) { _ in
            stopRequested.store(true, ordering: .relaxed)
            WakePipe.wake()
        }
        signal(SIGHUP) { _ in
            reloadRequested.store(true, ordering: .relaxed)
            WakePipe.wake()
        }
    }

    private static func makeWatcher(settings: Settings, logger: Logger) -> SpoolWatcher? {
        do {
            return try SpoolWatcher(directories: settings.spoolDirectories)
        } catch {
            logger.warning(
                "inotify unavailable; polling the spool instead",
                ["error": "\(error)", "poll.interval": "\(settings.pollInterval)"])
            return nil
        }
    }

    /// Folds, and returns `false` instead of throwing when the store is busy or full, the fold's
    /// temporary files or the ledger files cannot be written, or the pricing file or model table
    /// is invalid. The loop then tries again later.
    private static func foldUnlessBusy(_ folder: Folder, store: Store, settings: Settings, logger: Logger) throws
        -> Bool
    {
        do {
            try folder.fold(store: store, into: settings.ledgerDirectory)
            return true
        } catch let error as StoreError where error.isTransient {
            logger.warning("fold failed; keeping the previous ledger files and retrying", ["error": "\(error)"])
            return false
        } catch let error
            where error is FoldSpillError || error is SpillFileError || error is SystemError
            || error is LedgerInputError
        {
            // A full state or ledger directory, a temporary file of the fold cut short, a replaced
            // ledger directory, or a pricing file or model table caught half written: ingestion
            // goes on, and the next fold tries again.
            logger.error(
                "fold failed; keeping the previous ledger files and retrying",
                [
                    "error": "\(error)", "ledger.directory": settings.ledgerDirectory,
                    "pricing.file": settings.pricingPath, "models.file": settings.modelsPath,
                ])
            return false
        }
    }

    /// Sleeps in `poll` until the spool changes, a signal arrives or `timeout` nanoseconds pass.
    /// Returns whether the spool changed.
    private static func wait(watcher: SpoolWatcher?, timeout: Int64) -> Bool {
        var descriptors = [pollfd(fd: WakePipe.readEnd.load(ordering: .relaxed), events: Int16(POLLIN), revents: 0)]
        if let watcher {
            descriptors.append(pollfd(fd: watcher.descriptor, events: Int16(POLLIN), revents: 0))
        }
        let milliseconds = Int32(clamping: max(0, (timeout + 999_999) / 1_000_000))
        let ready = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
        guard ready > 0 else { return false }
        if descriptors[0].revents != 0 {
            WakePipe.drain()
        }
        return watcher?.drain() ?? false
    }

    /// Ingests with retries of transient store failures until `deadline` seconds have passed.
    static func ingestWithRetry(
        _ ingestor: Ingestor, scanner: SpoolScanner, logger: Logger, deadline: Double
    ) throws -> IngestSummary {
        let start = monotonicNanoseconds()
        var backoff = Backoff()
        while true {
            do {
                return try ingestor.ingestAll(scanner)
            } catch let error as StoreError where error.isTransient {
                let delay = backoff.next()
                guard Double(monotonicNanoseconds() - start) / 1e9 + delay < deadline else { throw error }
                logger.warning(
                    "commit failed; offsets stay at the last commit, retrying",
                    ["error": "\(error)", "retry.seconds": "\((delay * 10).rounded() / 10)"])
                var request = timespec(tv_sec: Int(delay), tv_nsec: Int((delay - delay.rounded(.down)) * 1e9))
                var remaining = timespec()
                while nanosleep(&request, &remaining) == -1, errno == EINTR {
                    request = remaining
                }
            }
        }
    }

    /// Logs what one pass over the spool stored and how long it took, in seconds.
    private static func log(_ summary: IngestSummary, seconds: Double, logger: Logger) {
        logger.info(
            "ingested spool",
            [
                "spool.files": "\(summary.files)", "spool.lines": "\(summary.lines)",
                "events.new": "\(summary.insertedEvents)", "events.duplicate": "\(summary.duplicateEvents)",
                "quarantine.rows": "\(summary.quarantined)", "bytes.pending": "\(summary.pendingBytes)",
                "ingest.seconds": "\((seconds * 1000).rounded() / 1000)",
            ])
    }
}
