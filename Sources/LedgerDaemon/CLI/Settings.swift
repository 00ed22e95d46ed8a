import Glibc

/// Where the daemon reads and writes, resolved from flags, the environment and defaults.
public struct Settings: Sendable {
    /// The spool directories to scan.
    public var spoolDirectories: [String]
    /// The state directory holding the database.
    public var stateDirectory: String
    /// Where `run` and `fold` write the ledger files.
    public var ledgerDirectory: String
    /// tokenledger's pricing file.
    public var pricingPath: String
    /// tokenledger's model benchmark table.
    public var modelsPath: String
    /// The least severe log level written.
    public var logLevel: Logger.Level

    /// The database file inside the state directory.
    public var databasePath: String {
        FilePath.join(stateDirectory, "tokenledgerd.sqlite3")
    }

    /// The options shared by the commands that open the store.
    static let storeOptions: [OptionSpec] = [
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
    ]

    /// Resolves settings from parsed options and the process environment.
    /// - Throws: ``UsageError`` for an invalid log level.
    static func resolve(_ options: ParsedOptions, environment: [String: String]) throws(UsageError) -> Settings {
        let stateFromSystemd = environment["STATE_DIRECTORY"]?.split(separator: ":").first.map(String.init)
        let stateDirectory = options.value("state-dir") ?? stateFromSystemd ?? "./.tokenledgerd"
        let spools = options.all("spool")
        var level = Logger.Level.info
        if let name = options.value("log-level") {
            guard let parsed = Logger.Level(name: name) else {
                throw UsageError(
                    "option '--log-level' has invalid value '\(name)'; use one of "
                        + Logger.Level.allCases.map(\.name).joined(separator: ", "))
            }
            level = parsed
        }
        return Settings(
            spoolDirectories: spools.isEmpty ? ["./spool"] : spools,
            stateDirectory: stateDirectory,
            ledgerDirectory: options.value("ledger-dir") ?? FilePath.join(stateDirectory, "ledger"),
            pricingPath: options.value("pricing") ?? "./ledger/pricing.json",
            modelsPath: options.value("models") ?? "./ledger/models_normalized.csv",
            logLevel: level)
    }
}
