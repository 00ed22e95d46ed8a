/// A genai-prices match rule, which decides whether a model or provider name refers to an entry.
///
/// The text clauses compare case-insensitively, after lowercasing both sides, and `regex` runs
/// its pattern unchanged against the lowercased name and matches anywhere in it, as in
/// genai-prices' Python package (Python's `re.search`).
public indirect enum GenAIMatchClause: Sendable, Equatable {
    /// The whole name equals the text.
    case equals(String)
    /// The name starts with the text.
    case startsWith(String)
    /// The name ends with the text.
    case endsWith(String)
    /// The name contains the text.
    case contains(String)
    /// The pattern matches somewhere in the name.
    case regex(String)
    /// Any of the clauses matches.
    case or([GenAIMatchClause])
    /// Every clause matches.
    case and([GenAIMatchClause])

    /// Returns whether the clause matches `name`, which callers pass already lowercased.
    public func matches(_ name: String) -> Bool {
        switch self {
        case .equals(let text):
            return name == text.lowercased()
        case .startsWith(let text):
            return name.hasPrefix(text.lowercased())
        case .endsWith(let text):
            return name.hasSuffix(text.lowercased())
        case .contains(let text):
            return name.contains(text.lowercased())
        case .regex(let pattern):
            // `Regex` is not Sendable, so the pattern is compiled per use; the parser has already
            // checked that it compiles, which makes the failure branch unreachable.
            guard let compiled = try? Regex(pattern) else { return false }
            return name.contains(compiled)
        case .or(let clauses):
            return clauses.contains { $0.matches(name) }
        case .and(let clauses):
            return clauses.allSatisfy { $0.matches(name) }
        }
    }

    /// Parses a clause object: exactly one member named `equals`, `starts_with`, `ends_with`,
    /// `contains`, `regex`, `or` or `and`.
    /// - Throws: ``PricingError`` with code `invalidPriceData` for any other shape, and for a
    ///   pattern that does not compile.
    public init(json value: JSONValue, at path: String) throws(PricingError) {
        guard let object = value.objectValue, object.members.count == 1, let member = object.members.first else {
            throw Self.invalid(at: path, "an object with exactly one member")
        }
        let memberPath = "\(path).\(member.key)"
        switch member.key {
        case "or", "and":
            guard let elements = member.value.arrayValue else { throw Self.invalid(at: memberPath, "an array") }
            var clauses: [GenAIMatchClause] = []
            for (index, element) in elements.enumerated() {
                clauses.append(try GenAIMatchClause(json: element, at: "\(memberPath)[\(index)]"))
            }
            self = member.key == "or" ? .or(clauses) : .and(clauses)
        default:
            guard let text = member.value.stringValue else { throw Self.invalid(at: memberPath, "a string") }
            switch member.key {
            case "equals": self = .equals(text)
            case "starts_with": self = .startsWith(text)
            case "ends_with": self = .endsWith(text)
            case "contains": self = .contains(text)
            case "regex":
                guard (try? Regex(text)) != nil else { throw Self.invalid(at: memberPath, "a valid regex") }
                self = .regex(text)
            default:
                throw PricingError(
                    code: .invalidPriceData,
                    message: "unknown match clause \"\(member.key)\" at \(path); expected equals, starts_with, "
                        + "ends_with, contains, regex, or, and")
            }
        }
    }

    private static func invalid(at path: String, _ expected: String) -> PricingError {
        PricingError(code: .invalidPriceData, message: "invalid match clause at \(path): expected \(expected)")
    }
}
