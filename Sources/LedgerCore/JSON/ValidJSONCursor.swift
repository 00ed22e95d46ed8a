/// One value found by ``ValidJSONCursor``, as a byte range of the text.
struct JSONTextRange {
    var kind: ScannedMember.Kind
    /// The value's bytes: between the quotes for a string, the whole value otherwise.
    var start: Int
    var end: Int
    /// Whether a string has no byte above 0x7F. Always `true` for other kinds.
    var isASCII: Bool
}

/// A forward reader of a JSON text that ``JSONMemberScanner`` has already accepted.
///
/// It walks objects and arrays member by member and skips what its caller does not read,
/// without building values. It checks no grammar: on a text the scanner rejected, its results
/// are meaningless.
struct ValidJSONCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    /// The position of the next byte to read.
    var index: Int

    init(bytes: UnsafeBufferPointer<UInt8>, index: Int) {
        self.bytes = bytes
        self.index = index
    }

    /// Returns the first byte of the next value, after whitespace.
    mutating func peek() -> UInt8 {
        skipWhitespace()
        return bytes[index]
    }

    /// Moves past the `{` or `[` of the next value.
    mutating func enterContainer() {
        skipWhitespace()
        index += 1
    }

    /// Reads the key of the next member of the object being read and the colon after it, or
    /// moves past the object's `}` and returns `nil` when no member is left.
    mutating func nextMember() -> (key: JSONTextRange, hasEscape: Bool)? {
        skipWhitespace()
        if bytes[index] == UInt8(ascii: ",") {
            index += 1
            skipWhitespace()
        }
        if bytes[index] == UInt8(ascii: "}") {
            index += 1
            return nil
        }
        let (key, hasEscape) = readString()
        skipWhitespace()
        index += 1
        return (key, hasEscape)
    }

    /// Moves to the next element of the array being read and returns `true`, or moves past the
    /// array's `]` and returns `false` when no element is left.
    mutating func nextElement() -> Bool {
        skipWhitespace()
        if bytes[index] == UInt8(ascii: ",") {
            index += 1
            skipWhitespace()
        }
        if bytes[index] == UInt8(ascii: "]") {
            index += 1
            return false
        }
        return true
    }

    /// Reads the next value, skipping over the contents of an object or array.
    mutating func readValue() -> JSONTextRange {
        skipWhitespace()
        let start = index
        switch bytes[index] {
        case UInt8(ascii: "\""):
            let (text, hasEscape) = readString()
            var range = text
            range.kind = hasEscape ? .escapedString : .string
            return range
        case UInt8(ascii: "{"):
            skipContainer()
            return JSONTextRange(kind: .object, start: start, end: index, isASCII: true)
        case UInt8(ascii: "["):
            skipContainer()
            return JSONTextRange(kind: .array, start: start, end: index, isASCII: true)
        case UInt8(ascii: "t"):
            index += 4
            return JSONTextRange(kind: .true, start: start, end: index, isASCII: true)
        case UInt8(ascii: "f"):
            index += 5
            return JSONTextRange(kind: .false, start: start, end: index, isASCII: true)
        case UInt8(ascii: "n"):
            index += 4
            return JSONTextRange(kind: .null, start: start, end: index, isASCII: true)
        default:
            while index < bytes.count, Self.isNumberByte(bytes[index]) {
                index += 1
            }
            return JSONTextRange(kind: .number, start: start, end: index, isASCII: true)
        }
    }

    /// Skips the next value.
    mutating func skipValue() {
        _ = readValue()
    }

    /// Reads the string whose opening quote is at `index` and moves past its closing quote.
    ///
    /// It is inlined because most keys and values read are short strings, so that the cost of a
    /// call is a large part of reading one.
    @inline(__always)
    private mutating func readString() -> (JSONTextRange, hasEscape: Bool) {
        index += 1
        let start = index
        var hasEscape = false
        var isASCII = true
        while true {
            index = JSONMemberScanner.firstSpecialByte(in: bytes, from: index)
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let range = JSONTextRange(kind: .string, start: start, end: index, isASCII: isASCII)
                index += 1
                return (range, hasEscape)
            }
            if byte == UInt8(ascii: "\\") {
                // The escaped character is skipped too, so that an escaped quote does not end the string.
                hasEscape = true
                index += 2
            } else {
                isASCII = false
                index += 1
            }
        }
    }

    /// Moves past the object or array whose opening bracket is at `index`.
    private mutating func skipContainer() {
        var depth = 0
        while true {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                _ = readString()
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 {
                    index += 1
                    return
                }
            default:
                break
            }
            index += 1
        }
    }

    private mutating func skipWhitespace() {
        while true {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
            UInt8(ascii: "e"), UInt8(ascii: "E"):
            return true
        default:
            return false
        }
    }
}
