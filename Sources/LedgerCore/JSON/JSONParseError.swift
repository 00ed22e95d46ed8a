/// The reason a byte sequence is not a JSON text.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of grammar violation was found.
    public enum Code: String, Sendable {
        case empty = "empty input"
        case unexpectedEnd = "unexpected end of input"
        case unexpectedByte = "unexpected byte"
        case trailingData = "data after the JSON value"
        case invalidNumber = "invalid number"
        case invalidEscape = "invalid escape sequence"
        case controlCharacterInString = "unescaped control character in string"
        case invalidUTF8 = "invalid UTF-8"
        case tooDeep = "nesting deeper than the limit"
    }

    /// The kind of violation.
    public var code: Code
    /// The byte offset at which the violation was detected, from the start of the input.
    public var offset: Int

    /// Creates an error of `code` detected at byte `offset`.
    public init(code: Code, offset: Int) {
        self.code = code
        self.offset = offset
    }

    public var description: String {
        "\(code.rawValue) at byte \(offset)"
    }
}
