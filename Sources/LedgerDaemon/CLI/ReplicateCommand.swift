import Glibc
import LedgerCore
import LedgerStore

/// `tokenledgerd replicate`, and `fold` and `export` with `--from`, which read the central ledger.
enum ReplicateCommand {
    /// The options of `replicate`.
    static let options: [OptionSpec] =
        [
            OptionSpec(
                "to", value: "@FILE",
                help: "file holding the PostgreSQL connection string (default: [replication] target, else "
                    + "$CREDENTIALS_DIRECTORY/\(ConnectionTarget.credentialName)); a password on the command line "
                    + "is rejected"),
            OptionSpec(
                "timeout", value: "SECONDS",
                help: "give up when PostgreSQL stays unreachable this long (default: 300)"),
        ] + Settings.storeOptions

    /// The `--from` option of `fold` and `export`.
    static let fromOption = OptionSpec(
        "from", value: "@FILE",
        help: "read the events of every host from the central PostgreSQL ledger whose connection string FILE "
            + "holds, instead of the local store")

    /// Sends every stored event not yet in the central ledger and every cost changed since the last
    /// run, then exits. Unreachable servers are retried with backoff until `--timeout`.
    static func run(_ options: ParsedOptions, environment: [String: String]) throws -> Int32 {
        let timeout =
            try options.value("timeout").map { raw -> Double in
                guard let seconds = Double(raw), seconds > 0, seconds <= 86_400 else {
                    throw UsageError(
                        "replicate: option '--timeout' has invalid value '\(raw)'; give 1 to 86400 seconds")
                }
                return seconds
            } ?? 300
        let context = try CommandContext(options, environment: environment)
        let replication = ReplicationSettings.resolve(context.configuration)
        let target = try resolveTarget(options.value("to"), option: "to", replication, environment: environment)
        let store = try context.openStore()
        let replicator = Replicator(target: target, settings: replication, logger: context.logger)
        let start = monotonicNanoseconds()
        var backoff = ReconnectBackoff(initialMilliseconds: 250, maximumMilliseconds: 5000)
        var total = Replicator.Summary()
        while true {
            do {
                let summary = try replicator.catchUp(store: store)
                total.sentEvents += summary.sentEvents
                total.batches += summary.batches
                total.sentCostChanges += summary.sentCostChanges
                break
            } catch let error as PostgresError where error.isTransient {
                let delay = backoff.nextDelay()
                let elapsed = Double(monotonicNanoseconds() - start) / 1e9
                guard elapsed + Double(delay) / 1000 < timeout else { throw error }
                context.logger.warning(
                    "replication failed; retrying",
                    [
                        "error": "\(error)", "replication.target": target.identifier,
                        "retry.seconds": "\(Double(delay) / 1000)",
                    ])
                sleep(milliseconds: delay)
            }
        }
        let elapsed = Double(monotonicNanoseconds() - start) / 1e9
        context.logger.info(
            "replicated",
            [
                "replication.target": target.identifier, "replication.events": "\(total.sentEvents)",
                "replication.batches": "\(total.batches)", "replication.cost_changes": "\(total.sentCostChanges)",
                "replication.seconds": "\((elapsed * 1000).rounded() / 1000)",
            ])
        return 0
    }

    /// Resolves the target of `--to` or `--from`, else the configuration, else the credential.
    /// - Throws: ``UsageError`` when none is given or the value is invalid.
    static func resolveTarget(
        _ argument: String?, option: String, _ replication: ReplicationSettings, environment: [String: String]
    ) throws -> ConnectionTarget {
        do {
            guard
                let target = try ConnectionTarget.resolve(
                    argument: argument, option: option, configured: replication.target, environment: environment)
            else {
                throw UsageError(
                    "no PostgreSQL target; give --\(option) @FILE, set target in [replication], or run under "
                        + "systemd with LoadCredential=\(ConnectionTarget.credentialName):FILE")
            }
            return target
        } catch let error as PostgresError {
            throw UsageError(error.message)
        }
    }

    /// `fold --from`: folds the central ledger's events into the ledger directory. Events without a
    /// recorded cost are priced in memory; nothing is written to the central ledger.
    static func foldCentral(_ options: ParsedOptions, environment: [String: String]) throws -> Int32 {
        let context = try CommandContext(settingOptions(options), environment: environment)
        let source = try centralSource(options, context: context, environment: environment)
        let inputs = try LedgerInputs.load(settings: context.settings, logger: context.logger)
        let folder = Folder(settings: context.settings, logger: context.logger)
        var result = try folder.compute(store: source.events, inputs: inputs)
        result.files.append(
            Folder.manifest(for: result.files, result: result, inputs: inputs, settings: context.settings))
        let directory = context.settings.ledgerDirectory
        try FilePath.makeDirectories(directory)
        try AtomicFile.writeChanged(result.files, into: directory)
        context.logger.info(
            "folded the central ledger",
            [
                "replication.target": source.target.identifier, "fold.events": "\(result.eventCount)",
                "ledger.dir": directory,
            ])
        return 0
    }

    /// Opens the central ledger for `export --from` and loads the ledger inputs.
    static func centralExportSource(
        _ options: ParsedOptions, context: CommandContext, environment: [String: String]
    ) throws -> (CentralEventSource, LedgerInputs) {
        let source = try centralSource(options, context: context, environment: environment)
        let inputs = try LedgerInputs.load(settings: context.settings, logger: context.logger)
        return (source.events, inputs)
    }

    private static func centralSource(
        _ options: ParsedOptions, context: CommandContext, environment: [String: String]
    ) throws -> (target: ConnectionTarget, events: CentralEventSource) {
        let replication = ReplicationSettings.resolve(context.configuration)
        let target = try resolveTarget(options.value("from"), option: "from", replication, environment: environment)
        let inputs = try LedgerInputs.load(settings: context.settings, logger: context.logger)
        let recorder = inputs.pricer.map { CostRecorder(pricer: $0, logger: context.logger) }
        return (target, try CentralEventSource(target: target, settings: replication, recorder: recorder))
    }

    /// Returns `options` without `--from`, for the configuration loader: `pull` gives the
    /// `proxy_url` key the same option name.
    static func settingOptions(_ options: ParsedOptions) -> ParsedOptions {
        var options = options
        options.values["from"] = nil
        return options
    }

    /// Sleeps `milliseconds`, resuming after signals.
    static func sleep(milliseconds: Int64) {
        var request = timespec(tv_sec: Int(milliseconds / 1000), tv_nsec: Int(milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1, errno == EINTR {
            request = remaining
        }
    }
}
