import Glibc
import LedgerCore
import LedgerStore
import Synchronization

/// The command-line entry point: parses arguments and runs one command.
public enum Commands {
    /// The version printed by `--version`.
    public static let version = "0.1.0"

    private struct CommandSpec {
        var name: String
        var summary: String
        var options: [OptionSpec]
        /// The option that a single argument without `--` sets, such as `file` for `import FILE`.
        var positional: String? = nil
        var run: (ParsedOptions, [String: String]) throws -> Int32
    }

    private static let helpOption = OptionSpec("help", help: "print this help and exit")

    private static var commands: [CommandSpec] {
        [
            CommandSpec(
                name: "run",
                summary: "Ingest every complete line in the spool, then fold. With --once, drain the spool, fold "
                    + "and exit; without it, keep polling the spool until SIGTERM or SIGINT.",
                options: [
                    OptionSpec("spool", value: "DIR", repeatable: true, help: "spool directory (default: ./spool)"),
                    OptionSpec("once", help: "drain the spool, fold and exit"),
                    OptionSpec(
                        "poll-interval", value: "SECONDS", help: "seconds between full spool scans (default: 10)"),
                    OptionSpec(
                        "fold-interval", value: "SECONDS", help: "seconds between folds in daemon mode (default: 60)"),
                ] + Settings.storeOptions + Settings.ledgerOptions + [helpOption],
                run: RunCommand.run),
            CommandSpec(
                name: "fold",
                summary: "Fold the stored events into runtime metrics and the ledger and Pareto files.",
                options: Settings.storeOptions + Settings.ledgerOptions + [ReplicateCommand.fromOption, helpOption],
                run: { options, environment in
                    if options.value("from") != nil {
                        return try ReplicateCommand.foldCentral(options, environment: environment)
                    }
                    let context = try CommandContext(options, environment: environment)
                    let store = try context.openStore()
                    try Folder(settings: context.settings, logger: context.logger)
                        .fold(store: store, into: context.settings.ledgerDirectory)
                    return 0
                }),
            CommandSpec(
                name: "export",
                summary: "Write a snapshot into --out: events.jsonl, the ledger files, manifest.json and status.json. "
                    + "With --check, write nothing and exit 1 when a fresh export would change a file in DIR.",
                options: [
                    OptionSpec("out", value: "DIR", help: "output directory (created when missing)"),
                    OptionSpec(
                        "check", value: "DIR",
                        help: "compare a fresh export with DIR instead of writing; exit 1 and list the files "
                            + "that would change (status.json is not compared)"),
                    OptionSpec("what", value: "WHAT", help: "all|ledger|events|status (default: all)"),
                ] + Settings.storeOptions + Settings.ledgerOptions + [ReplicateCommand.fromOption, helpOption],
                run: ExportCommand.run),
            CommandSpec(
                name: "replicate",
                summary: "Send the stored events that the central PostgreSQL ledger does not have yet, then exit. "
                    + "The connection string comes from a file or the configuration, never from the command line.",
                options: ReplicateCommand.options + [helpOption],
                run: ReplicateCommand.run),
            CommandSpec(
                name: "reprice",
                summary: "Recompute the cost of stored events with the current pricing file and log the old and "
                    + "new totals. Folds keep the cost an event was first given; this replaces it.",
                options: [
                    OptionSpec(
                        "since", value: "RFC3339",
                        help: "reprice only events that started at or after this instant (default: all events)")
                ] + Settings.storeOptions + Settings.ledgerOptions + [helpOption],
                run: RepriceCommand.run),
            CommandSpec(
                name: "status",
                summary: "Print tracked files and offsets, event counts by source, status and usage state, and "
                    + "quarantine counts by reason.",
                options: [OptionSpec("json", help: "print JSON instead of text")] + Settings.storeOptions
                    + [helpOption],
                run: { options, environment in
                    let context = try CommandContext(options, environment: environment)
                    let store = try context.openStore()
                    let report = try StatusReport.make(store: store)
                    print(
                        options.has("json") ? report.json() : report.text(), terminator: options.has("json") ? "\n" : ""
                    )
                    return 0
                }),
            CommandSpec(
                name: "pull",
                summary: "Ship CLIProxyAPI's usage queue into the spool until SIGTERM or SIGINT. The management key "
                    + "is read from a file, never from the command line.",
                options: PullCommand.options,
                run: PullCommand.run),
            CommandSpec(
                name: "import",
                summary: "Store the attempts of a legacy CLIProxyAPI statistics export (usage/export, v6.9 and "
                    + "older) given as FILE. Importing the same file again adds nothing.",
                options: ImportCommand.options + Settings.storeOptions + [helpOption],
                positional: "file",
                run: ImportCommand.run),
            CommandSpec(
                name: "quarantine list",
                summary: "Print quarantined lines with their reason, file, offset, detail and redacted sample.",
                options: QuarantineCommand.selectionOptions + [
                    OptionSpec("json", help: "print JSON lines instead of text")
                ] + Settings.storeOptions + [helpOption],
                run: QuarantineCommand.list),
            CommandSpec(
                name: "quarantine export",
                summary: "Write quarantined lines as JSON lines (redacted samples, never raw lines) to --out or "
                    + "standard output.",
                options: QuarantineCommand.selectionOptions + [
                    OptionSpec("out", value: "FILE", help: "file to write (default: standard output)")
                ] + Settings.storeOptions + [helpOption],
                run: QuarantineCommand.export),
            CommandSpec(
                name: "quarantine retry",
                summary: "Read each quarantined line again from its spool file and decode it with the current "
                    + "decoders; store the events it yields and delete its rows in one transaction.",
                options: Settings.storeOptions + [helpOption],
                run: QuarantineCommand.retry),
            CommandSpec(
                name: "check-config",
                summary: "Validate the configuration file and the TOKENLEDGERD_* environment variables, then print the "
                    + "effective settings as a configuration file. Exits 0 when valid, 2 otherwise.",
                options: [Settings.configOption, helpOption],
                run: { options, environment in
                    let configuration = try ConfigLoader(options: options, environment: environment).load()
                    for name in configuration.unknownEnvironmentNames {
                        writeError("tokenledgerd check-config: ignoring unknown environment variable \(name)\n")
                    }
                    print(
                        Settings.resolve(configuration).configurationText(
                            pull: PullSettings.resolve(configuration),
                            replication: ReplicationSettings.resolve(configuration)),
                        terminator: "")
                    return 0
                }),
        ]
    }

    /// The top-level help text.
    public static var help: String {
        var text = """
            tokenledgerd \(version): turns LLM proxy usage telemetry into a cost and performance ledger.

            usage: tokenledgerd <command> [options]

            commands:

            """
        for command in commands {
            text +=
                "  " + command.name + String(repeating: " ", count: max(2, 14 - command.name.count))
                + Self.firstSentence(command.summary) + "\n"
        }
        text += "\nRun 'tokenledgerd <command> --help' for a command's options.\n"
        return text
    }

    /// Runs the command named by `arguments[0]` and returns the process exit code:
    /// 0 success, 1 runtime failure, 2 usage or configuration error.
    public static func main(arguments: [String], environment: [String: String]) -> Int32 {
        guard var name = arguments.first else {
            writeError(help)
            return 2
        }
        if name == "--help" || name == "-h" || name == "help" {
            print(help, terminator: "")
            return 0
        }
        if name == "--version" {
            print("tokenledgerd \(version)")
            return 0
        }
        var rest = Array(arguments.dropFirst())
        // A two-word command such as `quarantine list`.
        if let word = rest.first, commands.contains(where: { $0.name == "\(name) \(word)" }) {
            name += " " + word
            rest.removeFirst()
        }
        guard let command = commands.first(where: { $0.name == name }) else {
            writeError("tokenledgerd: unknown command '\(name)'; run 'tokenledgerd --help' for the commands\n")
            return 2
        }
        if let positional = command.positional, let index = positionalIndex(rest, options: command.options) {
            rest[index] = "--\(positional)=\(rest[index])"
        }
        do {
            let options = try ArgumentParser.parse(rest, command: name, options: command.options)
            if options.has("help") {
                print(
                    ArgumentParser.help(command: name, summary: command.summary, options: command.options),
                    terminator: "")
                return 0
            }
            return try command.run(options, environment)
        } catch let error as UsageError {
            let message = error.message.hasPrefix("\(name): ") ? error.message : "\(name): \(error.message)"
            writeError("tokenledgerd \(message)\n")
            return 2
        } catch let error as ConfigError {
            writeError("tokenledgerd \(name): \(error)\n")
            return 2
        } catch {
            writeError("<3>tokenledgerd \(name) failed: \(error)\n")
            return 1
        }
    }

    /// Finds the first argument that is neither an option nor the value of one.
    private static func positionalIndex(_ arguments: [String], options: [OptionSpec]) -> Int? {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("-") else { return index }
            let name = String(argument.drop(while: { $0 == "-" }))
            let takesValue = options.first(where: { $0.name == name })?.valueName != nil
            index += takesValue ? 2 : 1
        }
        return nil
    }

    /// The text up to the first period that ends a sentence (one followed by a space or the end).
    static func firstSentence(_ text: String) -> String {
        let characters = Array(text)
        for index in characters.indices.dropLast() where characters[index] == "." && characters[index + 1] == " " {
            return String(characters[..<index])
        }
        return text.hasSuffix(".") ? String(text.dropLast()) : text
    }

    static func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            _ = Glibc.write(2, buffer.baseAddress, buffer.count)
        }
    }
}

/// Settings, logger and store access shared by the commands.
struct CommandContext {
    /// Reads the configuration again on `SIGHUP`, with the same environment and options.
    let loader: ConfigLoader
    let configuration: Configuration
    let settings: Settings
    let logger: Logger

    /// Loads the configuration from the file, the environment and `options`, and logs a warning
    /// for each unknown `TOKENLEDGERD_*` variable.
    /// - Throws: ``ConfigError`` for an invalid configuration.
    init(_ options: ParsedOptions, environment: [String: String]) throws(ConfigError) {
        loader = ConfigLoader(options: options, environment: environment)
        configuration = try loader.load()
        settings = Settings.resolve(configuration)
        logger = Logger(level: settings.logLevel)
        for name in configuration.unknownEnvironmentNames {
            logger.warning("ignoring unknown environment variable", ["config.variable": name])
        }
    }

    /// Opens the store in the state directory, creating both when missing.
    func openStore() throws -> Store {
        guard access(settings.databasePath, F_OK) == 0 else {
            throw UsageError(
                "no store at '\(settings.databasePath)'; check --state-dir, or run 'tokenledgerd run' first to create it"
            )
        }
        try FilePath.makeDirectories(settings.stateDirectory, mode: 0o750)
        return try Store(
            path: settings.databasePath,
            beforeMigrating: StoreRecovery.migrationNotice(logger, path: settings.databasePath))
    }
}

enum ExportCommand {
    static func run(_ options: ParsedOptions, environment: [String: String]) throws -> Int32 {
        let out = options.value("out")
        let check = options.value("check")
        guard out != nil || check != nil else {
            throw UsageError("export: option '--out DIR' is required, or '--check DIR' to compare without writing")
        }
        guard out == nil || check == nil else {
            throw UsageError("export: give either '--out DIR' or '--check DIR', not both")
        }
        let what = options.value("what") ?? "all"
        guard ["all", "ledger", "events", "status"].contains(what) else {
            throw UsageError("export: option '--what' has invalid value '\(what)'; use all, ledger, events or status")
        }
        let context = try CommandContext(ReplicateCommand.settingOptions(options), environment: environment)
        let exporter = Exporter(settings: context.settings, logger: context.logger)
        if options.value("from") != nil {
            // status.json describes a local store, so the central ledger exports no status.
            let (source, inputs) = try ReplicateCommand.centralExportSource(
                options, context: context, environment: environment)
            let (exitCode, fileCount) = try Self.export(
                source: source, inputs: inputs, what: what == "status" ? "none" : what, check: check, out: out,
                exporter: exporter)
            if let exitCode { return exitCode }
            context.logger.info("exported", ["export.files": "\(fileCount)", "export.dir": out ?? ""])
            return 0
        }

        let store = try context.openStore()
        let inputs = try LedgerInputs.load(settings: context.settings, logger: context.logger)
        try Folder(settings: context.settings, logger: context.logger).priceNewEvents(store: store, inputs: inputs)
        let (exitCode, fileCount) = try Self.export(
            source: store, inputs: inputs, what: what, check: check, out: out, exporter: exporter)
        if let exitCode { return exitCode }
        guard let out else { return 2 }
        if what == "all" || what == "status" {
            let status = try exporter.statusFile(store: store)
            try AtomicFile.write(status.contents, to: FilePath.join(out, status.name))
        }
        context.logger.info("exported", ["export.files": "\(fileCount)", "export.dir": out])
        return 0
    }

    /// Streams `events.jsonl` and builds the other files of `what` from `source`. With `check`,
    /// compares them with the files in that directory and returns the exit code. Otherwise writes
    /// them into `out` and returns no exit code and the number of files.
    private static func export(
        source: some EventSource, inputs: LedgerInputs, what: String, check: String?, out: String?,
        exporter: Exporter
    ) throws -> (exitCode: Int32?, fileCount: Int) {
        let directory = check ?? out ?? "."
        if check == nil {
            try FilePath.makeDirectories(directory)
        }

        // events.jsonl is streamed to a temporary file, or compared with the existing one, so memory
        // does not grow with the number of events. The other files are small and built in memory.
        var events: StreamedFile?
        var listing: [(name: String, sha256: String)] = []
        var isEventsUnchanged = true
        if what == "all" || what == "events" {
            let file = try StreamedFile(path: FilePath.join(directory, Exporter.eventsName), writing: check == nil)
            try exporter.writeEvents(store: source, mapping: ProviderMapping(pricing: inputs.pricing), to: file)
            let (sha256, isUnchanged) = try file.finish()
            listing.append((Exporter.eventsName, sha256))
            isEventsUnchanged = isUnchanged
            events = file
        }
        var files: [LedgerFile] = []
        if what == "all" || what == "ledger" {
            files = try exporter.ledgerFiles(source: source, inputs: inputs, listing: listing)
        }

        if let check {
            var changed: [String] = []
            if let events, !isEventsUnchanged {
                let exists = access(events.path, F_OK) == 0
                changed.append((exists ? "differs: " : "missing: ") + events.path)
            }
            let exitCode = try Self.check(
                files, against: check, changedBefore: changed, total: files.count + listing.count)
            return (exitCode, files.count + listing.count)
        }
        // events.jsonl is replaced after the other files are written and before any of them is
        // renamed, so that a crash leaves the previous set whole, manifest included.
        try AtomicFile.writeChanged(files, into: directory, beforeRenames: { try events?.commit() })
        return (nil, files.count + listing.count)
    }

    /// Compares `files` with the files of the same names in `directory`; prints each name that
    /// differs or is missing and returns 1 when any does, else 0. `status.json` is not compared,
    /// because it holds the last fold time.
    static func check(
        _ files: [LedgerFile], against directory: String, changedBefore: [String] = [], total: Int? = nil
    ) throws -> Int32 {
        var changed = changedBefore
        for file in files {
            let path = FilePath.join(directory, file.name)
            guard let bytes = LedgerInputs.readFile(path) else {
                changed.append("missing: \(path)")
                continue
            }
            if bytes != Array(file.contents.utf8) {
                changed.append("differs: \(path)")
            }
        }
        for line in changed {
            print(line)
        }
        if !changed.isEmpty {
            Commands.writeError(
                "tokenledgerd export: \(changed.count) of \(total ?? files.count) files in \(directory) differ from a fresh "
                    + "export; run 'tokenledgerd export --out \(directory)' and commit the result\n")
        }
        return changed.isEmpty ? 0 : 1
    }
}
