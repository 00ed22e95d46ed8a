/// The source of an effective setting, as `check-config` prints it.
public enum ConfigOrigin: Sendable, Equatable, CustomStringConvertible {
    /// The built-in default.
    case builtIn
    /// A line of a configuration file; for a list, its first line.
    case file(path: String, line: Int)
    /// A `TOKENLEDGERD_*` environment variable.
    case environment(name: String)
    /// A command-line option, without dashes.
    case option(name: String)
    /// `$STATE_DIRECTORY`, which systemd sets from `StateDirectory=`.
    case systemdStateDirectory

    public var description: String {
        switch self {
        case .builtIn: return "default"
        case .file(let path, let line): return "\(path):\(line)"
        case .environment(let name): return "environment variable \(name)"
        case .option(let name): return "option --\(name)"
        case .systemdStateDirectory: return "environment variable STATE_DIRECTORY (systemd StateDirectory=)"
        }
    }
}
