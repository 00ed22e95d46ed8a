/// One key of the configuration: its section, value type, environment variable and option.
///
/// Every key can be set in the file (`[section]` / `name = value`), by the environment variable
/// `TOKENLEDGERD_<NAME>` and, when ``option`` is set, by a command-line option. Later sources
/// override earlier ones in that order; a list set by a later source replaces the whole list.
public struct ConfigKey: Sendable, Hashable, CustomStringConvertible {
    /// The type of a key's value and how it is written.
    public enum Kind: Sendable, Hashable {
        /// One file system path.
        case path
        /// Paths, one per file line or option; colon-separated in the environment.
        case pathList
        /// `fnmatch(3)` file name patterns, separated by spaces or tabs; the key may repeat.
        case patternList
        /// A duration from 0.001 to 86400 seconds, written `1.5`, `1.5s`, `250ms` or `2min`.
        case seconds
        /// A whole number in the range.
        case count(ClosedRange<Int>)
        /// A size in bytes in the range, written with an optional `K`, `M` or `G` suffix
        /// (powers of 1024; `KiB`, `MiB`, `GiB` and `B` are accepted too).
        case byteSize(ClosedRange<Int>)
        /// A ``Logger/Level`` name.
        case logLevel
        /// A plain `http://` URL of a loopback host; see ``ProxyAddress``.
        case proxyURL
        /// One of the listed words.
        case choice([String])
        /// An IANA time zone name from the system's tz database, such as `America/New_York`.
        case timeZone
        /// A libpq connection string, or `@FILE` naming a file that holds one; printed redacted.
        case connectionString
        /// A host identifier: printable ASCII without spaces, at most 255 bytes.
        case hostIdentifier
        /// A ``RuntimeWindow``: `all`, or a whole number of days, hours or minutes such as `30d`.
        case runtimeWindow

        /// Whether the key takes several values.
        public var isList: Bool {
            self == .pathList || self == .patternList
        }
    }

    /// The section the key belongs in, such as `daemon`.
    public let section: String
    /// The key's name inside its section, such as `state_dir`.
    public let name: String
    /// The value's type.
    public let kind: Kind
    /// The long option that overrides the key, without dashes; `nil` when there is none.
    public let option: String?

    /// The section and name joined with a dot, such as `daemon.state_dir`.
    public var qualifiedName: String { section + "." + name }

    /// The environment variable that overrides the key, such as `TOKENLEDGERD_STATE_DIR`.
    public var environmentName: String { "TOKENLEDGERD_" + name.uppercased() }

    public var description: String { qualifiedName }

    /// The sections a file may contain.
    public static let sections = ["daemon", "ingest", "ledger", "pull", "replication"]

    /// The state directory holding the database and the run lock.
    public static let stateDirectory = ConfigKey(section: "daemon", name: "state_dir", kind: .path, option: "state-dir")
    /// The spool directories to scan.
    public static let spool = ConfigKey(section: "daemon", name: "spool", kind: .pathList, option: "spool")
    /// The file name patterns a spool file must match.
    public static let patterns = ConfigKey(section: "daemon", name: "patterns", kind: .patternList, option: nil)
    /// The directory that folds write the ledger files into.
    public static let ledgerDirectory = ConfigKey(
        section: "daemon", name: "ledger_dir", kind: .path, option: "ledger-dir")
    /// tokenledger's pricing file.
    public static let pricing = ConfigKey(section: "daemon", name: "pricing", kind: .path, option: "pricing")
    /// tokenledger's model benchmark table.
    public static let models = ConfigKey(section: "daemon", name: "models", kind: .path, option: "models")
    /// Seconds between spool scans in daemon mode.
    public static let pollInterval = ConfigKey(
        section: "daemon", name: "poll_interval", kind: .seconds, option: "poll-interval")
    /// Seconds between folds in daemon mode.
    public static let foldInterval = ConfigKey(
        section: "daemon", name: "fold_interval", kind: .seconds, option: "fold-interval")
    /// The least severe log level written.
    public static let logLevel = ConfigKey(section: "daemon", name: "log_level", kind: .logLevel, option: "log-level")
    /// Lines per ingest transaction at most.
    public static let batchLines = ConfigKey(
        section: "ingest", name: "batch_lines", kind: .count(1...1_000_000), option: nil)
    /// Bytes of input per ingest transaction at most.
    public static let batchBytes = ConfigKey(
        section: "ingest", name: "batch_bytes", kind: .byteSize(1024...(1 << 30)), option: nil)
    /// Lines longer than this many bytes are quarantined as `line_too_long`.
    public static let maximumLineLength = ConfigKey(
        section: "ingest", name: "max_line_length", kind: .byteSize(1024...(1 << 30)), option: nil)

    /// What happens to spool files that are fully committed and rotated away; see ``RetentionPolicy``.
    public static let retention = ConfigKey(
        section: "ingest", name: "retention", kind: .choice(RetentionPolicy.Mode.allCases.map(\.rawValue)),
        option: nil)
    /// Where `retention = move` puts finished spool files.
    public static let retentionDirectory = ConfigKey(
        section: "ingest", name: "retention_dir", kind: .path, option: nil)
    /// How long a finished spool file must be unmodified before retention removes it.
    public static let retentionMinimumAge = ConfigKey(
        section: "ingest", name: "retention_min_age", kind: .seconds, option: nil)

    /// The IANA time zone whose calendar days and months the rollups use.
    public static let timeZone = ConfigKey(section: "ledger", name: "time_zone", kind: .timeZone, option: "time-zone")
    /// How far back from the newest attempt the runtime metrics and the Pareto inputs reach.
    public static let runtimeWindow = ConfigKey(
        section: "ledger", name: "runtime_window", kind: .runtimeWindow, option: "runtime-window")

    /// Every key, in the order `check-config` prints them.
    public static let all: [ConfigKey] =
        [
            stateDirectory, spool, patterns, ledgerDirectory, pricing, models, pollInterval, foldInterval, logLevel,
            batchLines, batchBytes, maximumLineLength, retention, retentionDirectory, retentionMinimumAge, timeZone,
            runtimeWindow,
        ] + pullKeys + replicationKeys

    /// Keys whose new value a running daemon cannot apply on reload: it holds the lock and the
    /// open store in the old state directory until it restarts, and the replication thread keeps
    /// the target and settings it started with.
    public static let restartRequired: Set<ConfigKey> = Set([stateDirectory] + replicationKeys)

    /// Looks up the key named `name` in `section`.
    public static func named(_ name: String, in section: String) -> ConfigKey? {
        all.first { $0.section == section && $0.name == name }
    }
}
