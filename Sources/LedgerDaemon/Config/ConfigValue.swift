import LedgerCore

/// A parsed, validated configuration value.
public enum ConfigValue: Sendable, Equatable {
    /// A path.
    case text(String)
    /// Paths or patterns, in the order given.
    case list([String])
    /// A duration in seconds.
    case seconds(Double)
    /// A count or a size in bytes.
    case integer(Int)
    /// A log level.
    case level(Logger.Level)
}

/// The reason a raw value was rejected, and the fix. The caller adds the location and key.
struct ValueProblem: Error {
    var problem: String
    var fix: String
}

extension ConfigKey.Kind {
    /// Splits and validates one raw list value: a path list from the environment splits on `:`,
    /// a pattern list splits on spaces and tabs everywhere, and anything else is one item.
    func parseItems(_ raw: String, isEnvironment: Bool) throws(ValueProblem) -> [String] {
        let items: [String]
        switch self {
        case .pathList where isEnvironment:
            items = raw.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        case .patternList:
            items = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        default:
            items = [raw]
        }
        for item in items {
            if self == .patternList {
                try Self.checkPattern(item)
            } else {
                try Self.checkPath(item)
            }
        }
        return items
    }

    /// Parses and validates one raw value of a single-valued kind.
    func parseValue(_ raw: String) throws(ValueProblem) -> ConfigValue {
        switch self {
        case .path:
            try Self.checkPath(raw)
            return .text(raw)
        case .pathList, .patternList:
            return .list(try parseItems(raw, isEnvironment: false))
        case .seconds:
            return .seconds(try Self.parseSeconds(raw))
        case .count(let range):
            guard raw.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(raw), range.contains(value)
            else {
                throw ValueProblem(
                    problem: "invalid value '\(raw)'",
                    fix: "give a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return .integer(value)
        case .byteSize(let range):
            guard let value = Self.parseByteSize(raw), range.contains(value) else {
                throw ValueProblem(
                    problem: "invalid value '\(raw)'",
                    fix: "give a size in bytes from \(Self.formatBytes(range.lowerBound)) to "
                        + "\(Self.formatBytes(range.upperBound)), optionally with a K, M or G suffix (powers of 1024)")
            }
            return .integer(value)
        case .proxyURL:
            do {
                _ = try ProxyAddress(parsing: raw)
            } catch {
                throw ValueProblem(
                    problem: "invalid value '\(raw)'",
                    fix: "give an http:// URL of this host, such as http://127.0.0.1:8317 (\(error.message))")
            }
            return .text(raw)
        case .choice(let words):
            guard words.contains(raw) else {
                throw ValueProblem(
                    problem: "invalid value '\(raw)'", fix: "use one of " + words.joined(separator: ", "))
            }
            return .text(raw)
        case .logLevel:
            guard let level = Logger.Level(name: raw) else {
                throw ValueProblem(
                    problem: "invalid value '\(raw)'",
                    fix: "use one of " + Logger.Level.allCases.map(\.name).joined(separator: ", "))
            }
            return .level(level)
        case .timeZone:
            guard ZoneOffsets(identifier: raw) != nil else {
                throw ValueProblem(
                    problem: "unknown time zone '\(raw)'",
                    fix: "give an IANA zone name such as UTC or America/New_York, as listed under /usr/share/zoneinfo "
                        + "(install the tzdata package when it is missing)")
            }
            return .text(raw)
        case .connectionString:
            do {
                if !raw.hasPrefix("@") {
                    _ = try ConnectionTarget(connectionString: raw)
                }
            } catch {
                // The raw value is not repeated: it may contain a password.
                throw ValueProblem(
                    problem: "invalid PostgreSQL connection string",
                    fix: "give @FILE naming a file that holds it, or libpq key=value pairs or a postgresql:// URL")
            }
            return .text(raw)
        case .runtimeWindow:
            guard RuntimeWindow(parsing: raw) != nil else {
                throw ValueProblem(
                    problem: "invalid value '\(raw)'",
                    fix: "give all, or a whole number of days, hours or minutes such as 30d, 24h or 90m "
                        + "(at most 36500d)")
            }
            return .text(raw)
        case .hostIdentifier:
            guard !raw.isEmpty, raw.utf8.count <= 255, raw.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw ValueProblem(
                    problem: "invalid value '\(raw)'",
                    fix: "give 1 to 255 printable ASCII characters without spaces, such as the host name")
            }
            return .text(raw)
        }
    }

    private static func checkPath(_ path: String) throws(ValueProblem) {
        guard !path.isEmpty else {
            throw ValueProblem(problem: "empty path", fix: "give a directory or file path")
        }
        guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw ValueProblem(problem: "path contains a control character", fix: "remove it")
        }
    }

    private static func checkPattern(_ pattern: String) throws(ValueProblem) {
        guard !pattern.contains("/") else {
            throw ValueProblem(
                problem: "pattern '\(pattern)' contains '/'",
                fix: "patterns match file names inside each spool directory, so give a name pattern such as '*.jsonl'")
        }
        guard !pattern.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw ValueProblem(problem: "pattern contains a control character", fix: "remove it")
        }
    }

    /// Parses `1`, `0.5`, `2s`, `250ms` or `1.5min` into seconds from 0.001 to 86400.
    private static func parseSeconds(_ raw: String) throws(ValueProblem) -> Double {
        var number = Substring(raw)
        var divisor = 1.0
        var multiplier = 1.0
        if number.hasSuffix("ms") {
            number = number.dropLast(2)
            divisor = 1000
        } else if number.hasSuffix("min") {
            number = number.dropLast(3)
            multiplier = 60
        } else if number.hasSuffix("s") {
            number = number.dropLast(1)
        }
        let isDecimal =
            !number.isEmpty && number.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }
            && number.utf8.filter({ $0 == 0x2E }).count <= 1
        guard isDecimal, let number = Double(number) else {
            throw ValueProblem(
                problem: "invalid value '\(raw)'",
                fix: "give seconds from 0.001 to 86400, such as 1, 0.5, 250ms or 2min")
        }
        let seconds = number * multiplier / divisor
        guard seconds >= 0.001, seconds <= 86_400 else {
            throw ValueProblem(
                problem: "value '\(raw)' is out of range",
                fix: "give seconds from 0.001 to 86400, such as 1, 0.5 or 2min")
        }
        return seconds
    }

    /// Parses a byte count with an optional binary suffix; `nil` when invalid or overflowing.
    private static func parseByteSize(_ raw: String) -> Int? {
        let suffixes: [(String, Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30),
            ("B", 1),
        ]
        var digits = Substring(raw)
        var multiplier = 1
        for (suffix, scale) in suffixes where digits.hasSuffix(suffix) {
            digits = digits.dropLast(suffix.count)
            multiplier = scale
            break
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(digits) else {
            return nil
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    /// Writes a byte count with the largest binary suffix that divides it, such as `4M`.
    static func formatBytes(_ value: Int) -> String {
        for (suffix, scale) in [("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)] where value >= scale {
            if value % scale == 0 {
                return "\(value / scale)\(suffix)"
            }
        }
        return "\(value)"
    }
}
