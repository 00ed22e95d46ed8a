/// An invalid configuration: the message names where the value came from (file and line,
/// environment variable or option), the key, and the fix. Exit code 2.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of mistake.
    public enum Code: String, Sendable {
        /// The file named by `--config` or `TOKENLEDGERD_CONFIG` does not exist.
        case fileNotFound = "file_not_found"
        /// The file exists but could not be read, is too large or is not UTF-8.
        case unreadableFile = "unreadable_file"
        /// A line is neither `[section]`, `key = value`, a comment nor blank.
        case invalidSyntax = "invalid_syntax"
        /// A `[section]` header names no known section.
        case unknownSection = "unknown_section"
        /// A key is not known in its section, or appears before any section header.
        case unknownKey = "unknown_key"
        /// A single-valued key is set twice in one file.
        case duplicateKey = "duplicate_key"
        /// A value cannot be parsed or is out of range.
        case invalidValue = "invalid_value"
    }

    /// The source of a rejected value.
    public enum Location: Sendable, Equatable {
        /// A line of a configuration file, counted from 1.
        case file(path: String, line: Int)
        /// A whole configuration file.
        case wholeFile(path: String)
        /// An environment variable such as `TOKENLEDGERD_SPOOL`.
        case environment(name: String)
        /// A command-line option such as `--poll-interval`.
        case option(name: String)
    }

    /// The kind of mistake.
    public var code: Code
    /// The source of the value.
    public var location: Location
    /// The key concerned, such as `daemon.state_dir`; `nil` for file-level and syntax errors.
    public var key: String?
    /// The problem, without the location.
    public var problem: String
    /// The action that fixes the problem.
    public var fix: String

    /// Creates an error.
    public init(_ code: Code, at location: Location, key: String? = nil, problem: String, fix: String) {
        self.code = code
        self.location = location
        self.key = key
        self.problem = problem
        self.fix = fix
    }

    /// The location as the message prints it, such as `/etc/tokenledgerd/tokenledgerd.conf:12`.
    public var locationText: String {
        switch location {
        case .file(let path, let line): return "\(path):\(line)"
        case .wholeFile(let path): return path
        case .environment(let name): return "environment variable \(name)"
        case .option(let name): return "option '--\(name)'"
        }
    }

    /// The whole message: location, problem and fix.
    public var description: String {
        "\(locationText): \(problem); \(fix)"
    }
}
