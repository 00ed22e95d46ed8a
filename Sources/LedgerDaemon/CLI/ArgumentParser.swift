/// A usage error on the command line: the message names the flag and the fix. Exit code 2.
public struct UsageError: Error, Sendable, CustomStringConvertible {
    /// The message, without the program name.
    public var message: String

    /// Creates an error.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// One option a command accepts.
public struct OptionSpec: Sendable {
    /// The long name without dashes, such as `state-dir`.
    public var name: String
    /// The value's placeholder in help text, such as `DIR`; `nil` for a flag without value.
    public var valueName: String?
    /// Whether the option may be given more than once.
    public var isRepeatable: Bool
    /// What the option sets, with its unit and default.
    public var help: String

    /// Creates an option.
    public init(_ name: String, value: String? = nil, repeatable: Bool = false, help: String) {
        self.name = name
        self.valueName = value
        self.isRepeatable = repeatable
        self.help = help
    }
}

/// The options given to a command, by long name.
public struct ParsedOptions: Sendable {
    /// The values of each option in the order given; a flag without value has one empty string.
    public var values: [String: [String]] = [:]

    /// The last value of `name`.
    public func value(_ name: String) -> String? {
        values[name]?.last
    }

    /// Every value of a repeatable option.
    public func all(_ name: String) -> [String] {
        values[name] ?? []
    }

    /// Whether the flag `name` was given.
    public func has(_ name: String) -> Bool {
        values[name] != nil
    }
}

/// Parses `--name value`, `--name=value` and `--flag` against a table of options.
public enum ArgumentParser {
    /// Parses `arguments` (after the command name) for `command`.
    /// - Throws: ``UsageError`` for an unknown option, a missing value, a repeated single-valued
    ///   option or a positional argument.
    public static func parse(_ arguments: [String], command: String, options: [OptionSpec]) throws(UsageError)
        -> ParsedOptions
    {
        var parsed = ParsedOptions()
        var index = 0
        while index < arguments.count {
            var argument = arguments[index]
            index += 1
            if argument == "-h" {
                argument = "--help"
            }
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw UsageError(
                    "\(command): unexpected argument '\(argument)'; options start with '--' "
                        + "(see 'tokenledgerd \(command) --help')")
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let spec = options.first(where: { $0.name == name }) else {
                throw UsageError(
                    "\(command): unknown option '--\(name)' (see 'tokenledgerd \(command) --help' for the options)")
            }
            let value: String
            if let valueName = spec.valueName {
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index < arguments.count else {
                        throw UsageError("\(command): option '--\(name)' needs a value \(valueName)")
                    }
                    value = arguments[index]
                    index += 1
                }
                guard !value.isEmpty else {
                    throw UsageError("\(command): option '--\(name)' needs a non-empty value \(valueName)")
                }
            } else {
                guard inlineValue == nil else {
                    throw UsageError("\(command): option '--\(name)' takes no value")
                }
                value = ""
            }
            if parsed.values[name] != nil && !spec.isRepeatable {
                throw UsageError("\(command): option '--\(name)' was given twice; give it once")
            }
            parsed.values[name, default: []].append(value)
        }
        return parsed
    }

    /// Help text for a command: its synopsis, summary and options.
    public static func help(command: String, summary: String, options: [OptionSpec]) -> String {
        var synopsis = "usage: tokenledgerd \(command)"
        for option in options where option.name != "help" {
            let value = option.valueName.map { " \($0)" } ?? ""
            if option.help.contains("(required") {
                synopsis += " --\(option.name)\(value)"
            } else {
                synopsis += " [--\(option.name)\(value)]" + (option.isRepeatable ? "..." : "")
            }
        }
        var text = synopsis + "\n\n" + summary + "\n\noptions:\n"
        for option in options {
            let left = "  --\(option.name)" + (option.valueName.map { " \($0)" } ?? "")
            let padding = String(repeating: " ", count: max(2, 28 - left.count))
            text += left + padding + option.help + "\n"
        }
        return text
    }
}
