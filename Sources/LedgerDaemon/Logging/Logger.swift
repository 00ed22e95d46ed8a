import Glibc

/// A small logger writing one line per message to stderr, prefixed with the syslog priority
/// (`<3>`, `<6>`, …) so that journald keeps the level.
///
/// Metadata goes after the message as `key=value` pairs with dotted keys (`spool.file`,
/// `db.rows`). Values are written as given: callers never pass secrets or payload lines.
public struct Logger: Sendable {
    /// Message severity, from most to least severe. Raw values are syslog priorities, except
    /// `trace`, which journald shows as debug.
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case critical = 2
        case error = 3
        case warning = 4
        case notice = 5
        case info = 6
        case debug = 7
        case trace = 8

        /// Parses a level name such as `info`.
        public init?(name: String) {
            guard let level = Level.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
            self = level
        }

        /// The level's name.
        public var name: String {
            switch self {
            case .critical: return "critical"
            case .error: return "error"
            case .warning: return "warning"
            case .notice: return "notice"
            case .info: return "info"
            case .debug: return "debug"
            case .trace: return "trace"
            }
        }

        var syslogPriority: Int { min(rawValue, 7) }

        public static func < (lhs: Level, rhs: Level) -> Bool {
            lhs.rawValue < rhs.rawValue
        }
    }

    /// The least severe level written.
    public var level: Level
    /// Where lines go; stderr unless a test replaces it.
    public var sink: @Sendable (String) -> Void

    /// Creates a logger writing to stderr.
    public init(level: Level = .info) {
        self.level = level
        self.sink = { line in
            var bytes = Array(line.utf8)
            bytes.append(0x0A)
            bytes.withUnsafeBytes { buffer in
                _ = Glibc.write(2, buffer.baseAddress, buffer.count)
            }
        }
    }

    /// Creates a logger with a custom sink.
    public init(level: Level, sink: @escaping @Sendable (String) -> Void) {
        self.level = level
        self.sink = sink
    }

    /// Whether messages at `level` are written.
    public func isEnabled(_ level: Level) -> Bool {
        level <= self.level
    }

    /// Writes `message` at `level` with `metadata` in the given order.
    public func log(
        _ level: Level, _ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]
    ) {
        guard isEnabled(level) else { return }
        var line = "<\(level.syslogPriority)>\(message())"
        for (key, value) in metadata {
            line += " \(key)=\(Self.quoted(value))"
        }
        sink(line)
    }

    public func critical(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]) {
        log(.critical, message(), metadata)
    }

    public func error(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]) {
        log(.error, message(), metadata)
    }

    public func warning(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]) {
        log(.warning, message(), metadata)
    }

    public func notice(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]) {
        log(.notice, message(), metadata)
    }

    public func info(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]) {
        log(.info, message(), metadata)
    }

    public func debug(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, String> = [:]) {
        log(.debug, message(), metadata)
    }

    /// Quotes a value that contains spaces, quotes or control characters.
    static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { $0 == " " || $0 == "\"" || $0.value < 0x20 }
        guard needsQuotes else { return value }
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            default:
                if scalar.value < 0x20 {
                    text += "\\x" + String(scalar.value, radix: 16)
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        return text + "\""
    }
}
