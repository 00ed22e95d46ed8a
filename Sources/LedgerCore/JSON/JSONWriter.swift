/// Appends compact JSON text to a byte buffer, for exports that must be deterministic.
public struct JSONWriter {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = [false]

    /// Creates an empty writer.
    public init() {}

    /// Starts an object, as a value or as the member `key` of the enclosing object.
    public mutating func beginObject(_ key: String? = nil) {
        prefix(key)
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    /// Ends the innermost object.
    public mutating func endObject() {
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    /// Writes a string member, or `null` when `value` is `nil`.
    public mutating func string(_ key: String, _ value: String?) {
        prefix(key)
        guard let value else {
            bytes.append(contentsOf: Array("null".utf8))
            return
        }
        Self.appendQuoted(value, to: &bytes)
    }

    /// Writes an integer member, or `null` when `value` is `nil`.
    public mutating func integer(_ key: String, _ value: Int64?) {
        prefix(key)
        bytes.append(contentsOf: Array((value.map { String($0) } ?? "null").utf8))
    }

    /// Writes a member whose value is already JSON text, such as a decimal number.
    public mutating func raw(_ key: String, _ json: String) {
        prefix(key)
        bytes.append(contentsOf: Array(json.utf8))
    }

    private mutating func prefix(_ key: String?) {
        if needsComma[needsComma.count - 1] {
            bytes.append(UInt8(ascii: ","))
        }
        needsComma[needsComma.count - 1] = true
        if let key {
            Self.appendQuoted(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
        }
    }

    /// Appends `value` as a JSON string, escaping quotes, backslashes and control characters.
    public static func appendQuoted(_ value: String, to bytes: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
