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
                options: Settings.storeOptions + Settings.ledgerOptions + [helpOption],
                run: { options, environment in
                    let context = try CommandContext(options, environment: environment)
                    let store = try context.openStore()
                    try Folder(settings: context.settings, logger: context.logger)
                        .fold(store: store, into: context.settings.ledgerDirectory)
                    return 0
                }),
            CommandSpec(
                name: "export",
                summary: "Write a snapshot into --out: events.jsonl, the ledger files and status.json.",
                options: [
                    OptionSpec("out", value: "DIR", help: "output directory (required; created when missing)"),
                    OptionSpec("what", value: "WHAT", help: "all|ledger|events|status (default: all)"),
                ] + Settings.storeOptions + Settings.ledgerOptions + [helpOption],
                run: ExportCommand.run),
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
                name: "check-config",
                summary: "Validate the configuration file and the TOKENLEDGERD_* environment variables, then print the "
                    + "effective settings as a configuration file. Exits 0 when valid, 2 otherwise.",
                options: [Settings.configOption, helpOption],
                run: { options, environment in
                    let configuration = try ConfigLoader(options: options, environment: environment).load()
                    for name in configuration.unknownEnvironmentNames {
                        writeError("tokenledgerd check-config: ignoring unknown environment variable \(name)\n")
                    }
                    print(Settings.resolve(configuration).configurationText(), terminator: "")
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
        guard let name = arguments.first else {
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
        guard let command = commands.first(where: { $0.name == name }) else {
            writeError("tokenledgerd: unknown command '\(name)'; run 'tokenledgerd --help' for the commands\n")
            return 2
        }
        do {
            let options = try ArgumentParser.parse(
                Array(arguments.dropFirst()), command: name, options: command.options)
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
        return try Store(path: settings.databasePath)
    }
}

enum ExportCommand {
    static func run(_ options: ParsedOptions, environment: [String: String]) throws -> Int32 {
        guard let out = options.value("out") else {
            throw UsageError("export: option '--out DIR' is required")
        }
        let what = options.value("what") ?? "all"
        guard ["all", "ledger", "events", "status"].contains(what) else {
            throw UsageError("export: option '--what' has invalid value '\(what)'; use all, ledger, events or status")
        }
        let context = try CommandContext(options, environment: environment)
        let store = try context.openStore()
        try FilePath.makeDirectories(out)
        let exporter = Exporter(settings: context.settings, logger: context.logger)
        if what == "all" || what == "events" {
            let count = try exporter.writeEvents(store: store, to: out)
            context.logger.info("exported events", ["export.events": "\(count)", "export.dir": out])
        }
        if what == "all" || what == "ledger" {
            let result = try Folder(settings: context.settings, logger: context.logger).compute(store: store)
            for file in result.files {
                try AtomicFile.write(file.contents, to: FilePath.join(out, file.name))
            }
        }
        if what == "all" || what == "status" {
            try exporter.writeStatus(store: store, to: out)
        }
        return 0
    }
}
