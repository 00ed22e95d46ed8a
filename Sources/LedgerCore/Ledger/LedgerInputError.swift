/// The reason a pricing file or a model benchmark table cannot be loaded.
public struct LedgerInputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of problem found in an input.
    public enum Code: String, Sendable {
        /// The pricing file is not JSON.
        case invalidJSON = "invalid JSON"
        /// A member has the wrong JSON type, or an object repeats a name.
        case invalidStructure = "invalid structure"
        /// A required member is absent.
        case missingField = "missing field"
        /// A rate or fee is not a non-negative JSON number that fits the decimal range.
        case invalidNumber = "invalid number"
        /// A provider alias or a model alias names a provider or model that the file does not define.
        case unknownAliasTarget = "unknown alias target"
        /// The CSV text is malformed: an unterminated quoted field or invalid UTF-8.
        case invalidCSV = "invalid CSV"
        /// The CSV header lacks a required column.
        case missingColumn = "missing column"
        /// A CSV record lacks a required cell or has an unreadable value.
        case invalidRecord = "invalid record"
    }

    /// The kind of problem.
    public var code: Code
    /// A message naming the failure, the value at fault and the fix. It never contains whole input lines.
    public var message: String
    /// The 1-based line of the CSV record at fault, when the input is a CSV table.
    public var line: Int?

    /// Creates an error.
    public init(code: Code, message: String, line: Int? = nil) {
        self.code = code
        self.message = message
        self.line = line
    }

    public var description: String {
        if let line {
            return "\(code.rawValue) at line \(line): \(message)"
        }
        return "\(code.rawValue): \(message)"
    }
}
