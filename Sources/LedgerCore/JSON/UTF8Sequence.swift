/// UTF-8 validation shared by the JSON parser and the member scanner, so both accept exactly the
/// same texts.
enum UTF8Sequence {
    /// Returns the length of the multi-byte UTF-8 sequence at `start`, or `nil` when it is not a
    /// valid one. RFC 3629 forbids overlong forms, surrogates and code points above U+10FFFF.
    static func length(in bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Int? {
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch bytes[start] {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            upper = 0x9F
        case 0xF0:
            length = 4
            lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            upper = 0x8F
        default: return nil
        }
        guard bytes.count - start >= length else { return nil }
        let second = bytes[start + 1]
        guard second >= lower, second <= upper else { return nil }
        for offset in 2..<max(length, 2) where bytes[start + offset] & 0xC0 != 0x80 {
            return nil
        }
        return length
    }

    /// Returns the offset of the first byte that starts no valid UTF-8 sequence, `bytes.count`
    /// when every sequence is valid.
    static func firstInvalid(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var index = 0
        while index < bytes.count {
            if bytes[index] < 0x80 {
                index += 1
                continue
            }
            guard let length = length(in: bytes, at: index) else { return index }
            index += length
        }
        return index
    }
}
