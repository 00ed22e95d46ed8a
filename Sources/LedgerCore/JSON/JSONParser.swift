/// A strict RFC 8259 JSON reader over UTF-8 bytes.
///
/// Strictness: no comments, no trailing commas, no leading `+` or zeros, no byte-order mark, no
/// unescaped control characters, and every string must be valid UTF-8. An escaped lone UTF-16
/// surrogate (`"\uD800"`) is well-formed JSON that no Swift string can hold, so it becomes
/// U+FFFD. Nesting is limited to ``maximumDepth`` levels so that hostile input cannot exhaust
/// the stack.
public struct JSONParser {
    /// The deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 512

    /// Parses one JSON text that spans all of `bytes`, surrounding whitespace allowed.
    /// - Throws: ``JSONParseError`` naming the first violation and its byte offset.
    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) in try parse(buffer: buffer) }
        }
        if let result {
            return try result.get()
        }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { buffer throws(JSONParseError) in try parse(buffer: buffer) }
    }

    /// Parses one JSON text held in a string.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Parses one JSON text that spans all of `buffer`, surrounding whitespace allowed.
    public static func parse(buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        var reader = Reader(bytes: buffer)
        reader.skipWhitespace()
        guard reader.index < buffer.count else {
            throw JSONParseError(code: .empty, offset: 0)
        }
        let value = try reader.readValue(depth: 0)
        reader.skipWhitespace()
        guard reader.index == buffer.count else {
            throw JSONParseError(code: .trailingData, offset: reader.index)
        }
        return value
    }
}

private struct Reader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    func fail(_ code: JSONParseError.Code, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(code: code, offset: offset ?? index)
    }

    mutating func readValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw fail(.unexpectedEnd) }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            return .object(try readObject(depth: depth + 1))
        case UInt8(ascii: "["):
            return .array(try readArray(depth: depth + 1))
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try readNumber())
        default:
            throw fail(.unexpectedByte)
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let start = literal.utf8Start
        for offset in 0..<count {
            guard index + offset < bytes.count else { throw fail(.unexpectedEnd, at: bytes.count) }
            guard bytes[index + offset] == start[offset] else { throw fail(.unexpectedByte, at: index + offset) }
        }
        index += count
    }

    mutating func readObject(depth: Int) throws(JSONParseError) -> JSONObject {
        guard depth <= JSONParser.maximumDepth else { throw fail(.tooDeep) }
        index += 1
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        guard index < bytes.count else { throw fail(.unexpectedEnd) }
        if bytes[index] == UInt8(ascii: "}") {
            index += 1
            return JSONObject(members: members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            guard bytes[index] == UInt8(ascii: "\"") else { throw fail(.unexpectedByte) }
            let key = try readString()
            skipWhitespace()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            guard bytes[index] == UInt8(ascii: ":") else { throw fail(.unexpectedByte) }
            index += 1
            skipWhitespace()
            let value = try readValue(depth: depth)
            members.append((key, value))
            skipWhitespace()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "}"):
                index += 1
                return JSONObject(members: members)
            default:
                throw fail(.unexpectedByte)
            }
        }
    }

    mutating func readArray(depth: Int) throws(JSONParseError) -> [JSONValue] {
        guard depth <= JSONParser.maximumDepth else { throw fail(.tooDeep) }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        guard index < bytes.count else { throw fail(.unexpectedEnd) }
        if bytes[index] == UInt8(ascii: "]") {
            index += 1
            return elements
        }
        while true {
            skipWhitespace()
            elements.append(try readValue(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "]"):
                index += 1
                return elements
            default:
                throw fail(.unexpectedByte)
            }
        }
    }

    /// Reads `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` and returns its text.
    mutating func readNumber() throws(JSONParseError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") {
            index += 1
        }
        guard index < bytes.count else { throw fail(.invalidNumber) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if isDigit(bytes[index]) {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        } else {
            throw fail(.invalidNumber)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail(.invalidNumber) }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail(.invalidNumber) }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    mutating func readString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes, so the content is the raw bytes once they validate as UTF-8.
        // `String(validating:as:)` looks up generic metadata on every call, so the bytes are
        // checked here and `String(decoding:as:)` only copies them.
        // The scan stops only at quotes, backslashes, control characters and bytes above 0x7F,
        // and passes over the plain ASCII bytes between them 8 at a time.
        var hasNonASCII = false
        while true {
            index = JSONMemberScanner.firstSpecialByte(in: bytes, from: index)
            guard index < bytes.count else { break }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let content = UnsafeBufferPointer(rebasing: bytes[start..<index])
                if hasNonASCII {
                    let invalid = UTF8Sequence.firstInvalid(content)
                    guard invalid == content.count else { throw fail(.invalidUTF8, at: start + invalid) }
                }
                index += 1
                return String(decoding: content, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                break
            }
            if byte < 0x20 {
                throw fail(.controlCharacterInString)
            }
            hasNonASCII = true
            index += 1
        }
        guard index < bytes.count else { throw fail(.unexpectedEnd) }
        var decoded = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let isValid = decoded.withUnsafeBufferPointer { UTF8Sequence.firstInvalid($0) == $0.count }
                guard isValid else {
                    // Escapes only add valid UTF-8, so the invalid byte is in the raw content.
                    let raw = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    throw fail(.invalidUTF8, at: start + UTF8Sequence.firstInvalid(raw))
                }
                let string = String(decoding: decoded, as: UTF8.self)
                index += 1
                return string
            }
            if byte < 0x20 {
                throw fail(.controlCharacterInString)
            }
            if byte != UInt8(ascii: "\\") {
                decoded.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): decoded.append(0x22)
            case UInt8(ascii: "\\"): decoded.append(0x5C)
            case UInt8(ascii: "/"): decoded.append(0x2F)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                let scalar = try readUnicodeEscape()
                appendUTF8(scalar, to: &decoded)
            default:
                throw fail(.invalidEscape, at: index - 1)
            }
        }
        throw fail(.unexpectedEnd)
    }

    /// Reads the four hex digits after `\u`, and a following low surrogate escape when the first
    /// is a high surrogate. A surrogate without its partner becomes U+FFFD.
    mutating func readUnicodeEscape() throws(JSONParseError) -> Unicode.Scalar {
        let first = try readHex4()
        if (0xD800...0xDBFF).contains(first) {
            let save = index
            if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                index += 2
                let second = try readHex4()
                if (0xDC00...0xDFFF).contains(second) {
                    let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    return Unicode.Scalar(value) ?? "\u{FFFD}"
                }
                index = save
            }
            return "\u{FFFD}"
        }
        return Unicode.Scalar(first) ?? "\u{FFFD}"
    }

    mutating func readHex4() throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail(.invalidEscape)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    func appendUTF8(_ scalar: Unicode.Scalar, to buffer: inout [UInt8]) {
        UTF8.encode(scalar) { buffer.append($0) }
    }
}
