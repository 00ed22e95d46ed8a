import Glibc
import LedgerCore
import LedgerStore
import Synchronization

/// Set by the SIGTERM and SIGINT handlers; the run loop stops when it is non-zero.
let stopSignal = Atomic<Int32>(0)

enum RunCommand {
    static func run(_ options: ParsedOptions, environment: [String: String]) throws -> Int32 {
        let pollInterval = try seconds(options, "poll-interval", default: 1)
        let foldInterval = try seconds(options, "fold-interval", default: 60)
        let context = try CommandContext(options, environment: environment)
        let settings = context.settings
        let logger = context.logger
        for directory in settings.spoolDirectories {
            var info = stat()
            guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
                throw UsageError("run: spool directory '\(directory)' does not exist or is not a directory")
            }
        }
        try FilePath.makeDirectories(settings.stateDirectory, mode: 0o750)
        let lock = try StateLock(directory: settings.stateDirectory)
        defer { withExtendedLifetime(lock) {} }
        let store = try Store(path: settings.databasePath)
        let ingestor = Ingestor(store: store, logger: logger)
        let scanner = SpoolScanner(directories: settings.spoolDirectories)
        let folder = Folder(settings: settings, logger: logger)

        if options.has("once") {
            let summary = try ingestor.ingestAll(scanner)
            log(summary, logger: logger)
            try folder.fold(store: store, into: settings.ledgerDirectory)
            return 0
        }

        signal(SIGTERM) { _ in stopSignal.store(1, ordering: .relaxed) }
        signal(SIGINT) { _ in stopSignal.store(1, ordering: .relaxed) }
        logger.notice(
            "tokenledgerd started",
            [
                "spool.dirs": settings.spoolDirectories.joined(separator: ","),
                "state.dir": settings.stateDirectory,
            ])
        var lastFold: Int64 = 0
        var isDirty = true
        while stopSignal.load(ordering: .relaxed) == 0 {
            let summary = try ingestor.ingestAll(scanner)
            if summary.insertedEvents > 0 || summary.quarantined > 0 {
                log(summary, logger: logger)
                isDirty = true
            }
            let now = WallClock.now()
            if isDirty && now - lastFold >= Int64(foldInterval * 1e9) {
                try folder.fold(store: store, into: settings.ledgerDirectory)
                lastFold = now
                isDirty = false
            }
            // NOTE: daemon mode polls the spool; inotify wake-ups are not implemented yet.
            var request = timespec(
                tv_sec: Int(pollInterval), tv_nsec: Int((pollInterval - pollInterval.rounded(.down)) * 1e9))
            var remaining = timespec()
            while stopSignal.load(ordering: .relaxed) == 0, nanosleep(&request, &remaining) == -1, errno == EINTR {
                request = remaining
            }
        }
        logger.notice("stopping: finishing the last fold")
        try folder.fold(store: store, into: settings.ledgerDirectory)
        logger.notice("tokenledgerd stopped")
        return 0
    }

    private static func log(_ summary: IngestSummary, logger: Logger) {
        logger.info(
            "ingested spool",
            [
                "spool.files": "\(summary.files)", "spool.lines": "\(summary.lines)",
                "events.new": "\(summary.insertedEvents)", "events.duplicate": "\(summary.duplicateEvents)",
                "quarantine.rows": "\(summary.quarantined)", "bytes.pending": "\(summary.pendingBytes)",
            ])
    }

    private static func seconds(_ options: ParsedOptions, _ name: String, default value: Double) throws -> Double {
        guard let text = options.value(name) else { return value }
        guard let seconds = Double(text), seconds.isFinite, seconds > 0, seconds <= 86_400 else {
            throw UsageError("run: option '--\(name)' has invalid value '\(text)'; give seconds between 0 and 86400")
        }
        return seconds
    }
}
