import Glibc
import LedgerCore

/// The daemon's paths, timers and ingest limits, resolved from the merged configuration and the
/// defaults.
public struct Settings: Sendable {
    /// The spool directories to scan.
    public var spoolDirectories: [String]
    /// `fnmatch(3)` patterns a spool file name must match.
    public var spoolPatterns: [String]
    /// The state directory holding the database.
    public var stateDirectory: String
    /// Where `run` and `fold` write the ledger files.
    public var ledgerDirectory: String
    /// tokenledger's pricing file.
    public var pricingPath: String
    /// tokenledger's model benchmark table.
    public var modelsPath: String
    /// Seconds between spool scans in daemon mode.
    public var pollInterval: Double
    /// Seconds between folds in daemon mode.
    public var foldInterval: Double
    /// The least severe log level written.
    public var logLevel: Logger.Level
    /// Lines per ingest transaction at most.
    public var batchLines: Int
    /// Bytes of input per ingest transaction at most.
    public var batchBytes: Int
    /// Lines longer than this many bytes are quarantined as `line_too_long`.
    public var maximumLineLength: Int
    /// What happens to spool files that are fully committed and rotated away.
    public var retention: RetentionPolicy
    /// The IANA time zone of the rollups' days and months.
    public var timeZone: String
    /// The span of events the runtime metrics and the Pareto inputs cover.
    public var runtimeWindow: RuntimeWindow
    /// The configuration file that was read; `nil` when none was.
    public var configurationPath: String?
    /// The source of each value; keys that were not set have ``ConfigOrigin/builtIn``.
    public var origins: [ConfigKey: ConfigOrigin]

    /// The database file inside the state directory.
    public var databasePath: String {
        FilePath.join(stateDirectory, "tokenledgerd.sqlite3")
    }

    /// The ingest limits, with the rest of ``IngestOptions`` at its defaults.
    public var ingestOptions: IngestOptions {
        var options = IngestOptions()
        options.batchLines = batchLines
        options.batchBytes = batchBytes
        options.maximumLineLength = maximumLineLength
        return options
    }

    /// The `--config` option, accepted by every command that reads settings.
    static let configOption = OptionSpec(
        ConfigLoader.pathOption, value: "FILE",
        help: "configuration file (default: $TOKENLEDGERD_CONFIG, else \(ConfigLoader.defaultPath) when it exists)")

    /// The options shared by the commands that open the store.
    static let storeOptions: [OptionSpec] = [
        configOption,
        OptionSpec(
            "state-dir", value: "DIR",
            help: "state directory holding the database (default: $STATE_DIRECTORY, else ./.tokenledgerd)"),
        OptionSpec("log-level", value: "LEVEL", help: "critical|error|warning|notice|info|debug|trace (default: info)"),
    ]

    /// The options of the commands that build ledger files.
    static let ledgerOptions: [OptionSpec] = [
        OptionSpec("ledger-dir", value: "DIR", help: "where ledger files are written (default: <state-dir>/ledger)"),
        OptionSpec("pricing", value: "FILE", help: "tokenledger pricing file (default: ./ledger/pricing.json)"),
        OptionSpec(
            "models", value: "FILE", help: "tokenledger model benchmark table (default: ./ledger/models_normalized.csv)"
        ),
        OptionSpec(
            "time-zone", value: "ZONE", help: "IANA time zone of the daily and monthly rollups (default: UTC)"),
        OptionSpec(
            "runtime-window", value: "SPAN",
            help: "runtime metrics cover events this long before the newest one: all, or days, hours or minutes "
                + "such as 30d, 24h or 90m (default: all)"),
    ]

    /// Resolves settings from a merged configuration, using the default for every key that no
    /// source set. The configuration was validated when it was loaded, so this cannot fail.
    public static func resolve(_ configuration: Configuration) -> Settings {
        let defaults = IngestOptions()
        let stateDirectory = configuration.text(.stateDirectory) ?? "./.tokenledgerd"
        var origins: [ConfigKey: ConfigOrigin] = [:]
        for key in ConfigKey.all {
            origins[key] = configuration.origin(key) ?? .builtIn
        }
        return Settings(
            spoolDirectories: configuration.list(.spool) ?? ["./spool"],
            spoolPatterns: configuration.list(.patterns) ?? SpoolScanner.defaultPatterns,
            stateDirectory: stateDirectory,
            ledgerDirectory: configuration.text(.ledgerDirectory) ?? FilePath.join(stateDirectory, "ledger"),
            pricingPath: configuration.text(.pricing) ?? "./ledger/pricing.json",
            modelsPath: configuration.text(.models) ?? "./ledger/models_normalized.csv",
            pollInterval: configuration.seconds(.pollInterval) ?? 10,
            foldInterval: configuration.seconds(.foldInterval) ?? 60,
            logLevel: configuration.level(.logLevel) ?? .info,
            batchLines: configuration.integer(.batchLines) ?? defaults.batchLines,
            batchBytes: configuration.integer(.batchBytes) ?? defaults.batchBytes,
            maximumLineLength: configuration.integer(.maximumLineLength) ?? defaults.maximumLineLength,
            retention: RetentionPolicy(
                mode: configuration.text(.retention).flatMap(RetentionPolicy.Mode.init(rawValue:)) ?? .off,
                directory: configuration.text(.retentionDirectory),
                minimumAge: configuration.seconds(.retentionMinimumAge) ?? 300),
            timeZone: configuration.text(.timeZone) ?? "UTC",
            runtimeWindow: configuration.text(.runtimeWindow).flatMap(RuntimeWindow.init(parsing:)) ?? .all,
            configurationPath: configuration.filePath,
            origins: origins)
    }

    /// Returns the effective value of `key`.
    public func value(of key: ConfigKey) -> ConfigValue? {
        switch key {
        case .stateDirectory: return .text(stateDirectory)
        case .spool: return .list(spoolDirectories)
        case .patterns: return .list(spoolPatterns)
        case .ledgerDirectory: return .text(ledgerDirectory)
        case .retention: return .text(retention.mode.rawValue)
        case .retentionDirectory: return retention.directory.map { .text($0) }
        case .retentionMinimumAge: return .seconds(retention.minimumAge)
        case .pricing: return .text(pricingPath)
        case .models: return .text(modelsPath)
        case .pollInterval: return .seconds(pollInterval)
        case .foldInterval: return .seconds(foldInterval)
        case .logLevel: return .level(logLevel)
        case .batchLines: return .integer(batchLines)
        case .batchBytes: return .integer(batchBytes)
        case .maximumLineLength: return .integer(maximumLineLength)
        case .timeZone: return .text(timeZone)
        case .runtimeWindow: return .text(runtimeWindow.description)
        default: preconditionFailure("Settings.value(of:) misses the key \(key)")
        }
    }
}
