import Testing

@testable import LedgerCore

/// A byte-by-byte member scanner with the grammar and the recording rules of
/// ``JSONMemberScanner``, written for clarity, to check the fast paths of the scanner.
private struct ReferenceScanner {
    struct Member: Equatable {
        var parent: Int
        var keyStart: Int
        var keyEnd: Int
        var isPlainKey: Bool
        var kind: ScannedMember.Kind
        var valueStart: Int
        var valueEnd: Int
    }

    let bytes: [UInt8]
    var index = 0
    var members: [Member] = []

    static func scan(_ bytes: [UInt8]) -> [Member]? {
        var scanner = ReferenceScanner(bytes: bytes)
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "{"), scanner.scanObject(depth: 1, parent: -1) else { return nil }
        scanner.skipWhitespace()
        return scanner.index == bytes.count ? scanner.members : nil
    }

    func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    mutating func skipWhitespace() {
        while let byte = peek(), [0x20, 0x09, 0x0A, 0x0D].contains(byte) {
            index += 1
        }
    }

    mutating func expect(_ byte: Character) -> Bool {
        guard peek() == byte.asciiValue else { return false }
        index += 1
        return true
    }

    mutating func scanObject(depth: Int, parent: Int?) -> Bool {
        guard depth <= JSONParser.maximumDepth else { return false }
        index += 1
        skipWhitespace()
        if expect("}") { return true }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { return false }
            let keyStart = index + 1
            guard let (hasEscape, isASCII) = scanString() else { return false }
            let keyEnd = index - 1
            skipWhitespace()
            guard expect(":") else { return false }
            skipWhitespace()
            let valueStart = index
            var memberIndex: Int?
            if let parent, depth <= JSONMemberScanner.recordedDepth {
                memberIndex = members.count
                members.append(
                    Member(
                        parent: parent, keyStart: keyStart, keyEnd: keyEnd, isPlainKey: !hasEscape && isASCII,
                        kind: .null, valueStart: valueStart, valueEnd: valueStart))
            }
            guard let kind = scanValue(depth: depth, parent: memberIndex) else { return false }
            if let memberIndex {
                members[memberIndex].kind = kind
                let isString = kind == .string || kind == .escapedString
                members[memberIndex].valueStart = isString ? valueStart + 1 : valueStart
                members[memberIndex].valueEnd = isString ? index - 1 : index
            }
            skipWhitespace()
            if expect("}") { return true }
            guard expect(",") else { return false }
        }
    }

    mutating func scanArray(depth: Int) -> Bool {
        guard depth <= JSONParser.maximumDepth else { return false }
        index += 1
        skipWhitespace()
        if expect("]") { return true }
        while true {
            skipWhitespace()
            guard scanValue(depth: depth, parent: nil) != nil else { return false }
            skipWhitespace()
            if expect("]") { return true }
            guard expect(",") else { return false }
        }
    }

    mutating func scanValue(depth: Int, parent: Int?) -> ScannedMember.Kind? {
        switch peek() {
        case UInt8(ascii: "{"): return scanObject(depth: depth + 1, parent: parent) ? .object : nil
        case UInt8(ascii: "["): return scanArray(depth: depth + 1) ? .array : nil
        case UInt8(ascii: "\""):
            guard let (hasEscape, _) = scanString() else { return nil }
            return hasEscape ? .escapedString : .string
        case UInt8(ascii: "t"): return scanWord("true") ? .true : nil
        case UInt8(ascii: "f"): return scanWord("false") ? .false : nil
        case UInt8(ascii: "n"): return scanWord("null") ? .null : nil
        case .some: return scanNumber() ? .number : nil
        case nil: return nil
        }
    }

    mutating func scanWord(_ word: String) -> Bool {
        for character in word.utf8 {
            guard peek() == character else { return false }
            index += 1
        }
        return true
    }

    func isDigit(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    mutating func digits() -> Int {
        var count = 0
        while isDigit(peek()) {
            index += 1
            count += 1
        }
        return count
    }

    mutating func scanNumber() -> Bool {
        _ = expect("-")
        if expect("0") {
        } else if digits() == 0 {
            return false
        }
        if expect("."), digits() == 0 { return false }
        if expect("e") || expect("E") {
            _ = expect("+") || expect("-")
            if digits() == 0 { return false }
        }
        return true
    }

    /// Scans a string at its opening quote. Returns whether it has an escape and whether all its
    /// bytes are ASCII.
    mutating func scanString() -> (Bool, Bool)? {
        index += 1
        var hasEscape = false
        var isASCII = true
        while let byte = peek() {
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return (hasEscape, isASCII)
            case UInt8(ascii: "\\"):
                hasEscape = true
                index += 1
                guard let escaped = peek() else { return nil }
                index += 1
                if escaped == UInt8(ascii: "u") {
                    for _ in 0..<4 {
                        guard let hex = peek(), hex.isHexDigitASCII else { return nil }
                        index += 1
                    }
                } else if !Array(#""\/bfnrt"#.utf8).contains(escaped) {
                    return nil
                }
            case 0..<0x20:
                return nil
            case 0..<0x80:
                index += 1
            default:
                isASCII = false
                guard let length = utf8Length() else { return nil }
                index += length
            }
        }
        return nil
    }

    /// Decodes the sequence at `index` to its scalar and checks that it is the shortest form, no
    /// surrogate and at most U+10FFFF.
    func utf8Length() -> Int? {
        let lead = bytes[index]
        let length: Int
        var scalar: UInt32
        switch lead {
        case 0xC0...0xDF:
            length = 2
            scalar = UInt32(lead & 0x1F)
        case 0xE0...0xEF:
            length = 3
            scalar = UInt32(lead & 0x0F)
        case 0xF0...0xF7:
            length = 4
            scalar = UInt32(lead & 0x07)
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            guard byte & 0xC0 == 0x80 else { return nil }
            scalar = scalar << 6 | UInt32(byte & 0x3F)
        }
        let shortest: UInt32 = [2: 0x80, 3: 0x800, 4: 0x10000][length]!
        guard scalar >= shortest, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return nil }
        return length
    }
}

extension UInt8 {
    fileprivate var isHexDigitASCII: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}

@Suite("Member scanner against a byte-by-byte reference")
struct MemberScannerReferenceTests {
    /// Scans `bytes` with ``JSONMemberScanner`` and checks acceptance and every recorded member
    /// against the reference, and acceptance against ``JSONParser``.
    static func check(_ bytes: [UInt8], scanner: inout JSONMemberScanner) {
        let expected = ReferenceScanner.scan(bytes)
        let isValid = bytes.withUnsafeBufferPointer { scanner.scan($0) }
        let parsed = try? JSONParser.parse(bytes)
        #expect(isValid == (expected != nil), "\(bytes)")
        #expect(isValid == (parsed?.objectValue != nil), "\(bytes)")
        guard isValid, let expected else { return }
        let found = scanner.members.map { member in
            ReferenceScanner.Member(
                parent: member.parent, keyStart: member.keyStart, keyEnd: member.keyEnd,
                isPlainKey: member.isPlainKey, kind: member.kind, valueStart: member.valueStart,
                valueEnd: member.valueEnd)
        }
        #expect(found == expected, "\(bytes)")
        #expect(scanner.hasNonPlainKey == expected.contains { !$0.isPlainKey }, "\(bytes)")
        checkIndex(bytes, scanner: scanner)
    }

    /// Checks that the index of `scanner` finds, for the key of each recorded member, the last
    /// member of the same object with that key.
    static func checkIndex(_ bytes: [UInt8], scanner: JSONMemberScanner) {
        let members = Array(scanner.members)
        let slots = scanner.index.slots
        bytes.withUnsafeBufferPointer { buffer in
            members.withUnsafeBufferPointer { members in
                slots.withUnsafeBufferPointer { slots in
                    for member in members {
                        let key = Array(bytes[member.keyStart..<member.keyEnd])
                        let expected = members.indices.last { index in
                            members[index].parent == member.parent
                                && Array(bytes[members[index].keyStart..<members[index].keyEnd]) == key
                        }
                        let found = key.withUnsafeBufferPointer { name in
                            ScannedMemberIndex.lookup(
                                name, parent: member.parent, slots: slots, members: members, bytes: buffer)
                        }
                        #expect(found == expected, "\(bytes)")
                    }
                }
            }
        }
    }

    static let pieces: [String] = [
        "{", "}", "[", "]", ",", ":", " ", "\t", "\n", "\r", "\"", "\\", "\\u", "\\u00e9", "\\ud83d", "\\n", "\\x",
        "\\/", "0", "1", "9", "-", "+", ".", "e", "E", "00", "-0", "12345678", "123456789012", "1.5e+10", "true",
        "false", "null", "tru", "nul", "\"a\"", "\"k\":", "\"abcdefghijkl\":", "é", "\u{1F600}", "x",
        "{\"a\":", "[1,", "\"é\":",
    ]

    static let rawBytes: [UInt8] = [
        0x00, 0x01, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xA0, 0x9F, 0xED, 0xEF, 0xF0, 0x90,
        0x8F, 0xF4, 0xF5, 0xFF,
    ]

    @Test("random texts scan like the reference")
    func randomTexts() {
        var generator = SystemRandomNumberGenerator()
        var scanner = JSONMemberScanner()
        for _ in 0..<20000 {
            var bytes = Array(#"{"a":"#.utf8)
            for _ in 0..<Int.random(in: 0...24, using: &generator) {
                if Int.random(in: 0..<6, using: &generator) == 0 {
                    bytes.append(Self.rawBytes.randomElement(using: &generator)!)
                } else {
                    bytes += Array(Self.pieces.randomElement(using: &generator)!.utf8)
                }
            }
            Self.check(bytes, scanner: &scanner)
            Self.check(bytes + Array("}".utf8), scanner: &scanner)
            Self.check(bytes + Array("\"}".utf8), scanner: &scanner)
        }
    }

    @Test("every byte value inside strings, keys and numbers")
    func everyByte() {
        var scanner = JSONMemberScanner()
        for byte in UInt8.min...UInt8.max {
            for padding in 0...9 {
                let run = [UInt8](repeating: UInt8(ascii: "a"), count: padding)
                let digits = [UInt8](repeating: UInt8(ascii: "7"), count: padding)
                let texts: [[UInt8]] = [
                    Array(#"{"k":""#.utf8) + run + [byte] + run + Array(#""}"#.utf8),
                    Array(#"{""#.utf8) + run + [byte] + Array(#"":1}"#.utf8),
                    Array(#"{"k":1"#.utf8) + digits + [byte] + Array("}".utf8),
                    Array(#"{"k":-1."#.utf8) + digits + [byte] + digits + Array("}".utf8),
                    Array(#"{"k":2e"#.utf8) + [byte] + digits + Array("}".utf8),
                    Array(#"{"k":"\"#.utf8) + [byte] + run + Array(#""}"#.utf8),
                    Array(#"{"k":[1"#.utf8) + [byte] + Array("]}".utf8),
                    [byte] + Array(#"{"k":1}"#.utf8) + [byte],
                ]
                for text in texts {
                    Self.check(text, scanner: &scanner)
                }
            }
        }
    }

    @Test("UTF-8 sequences of every lead and continuation byte")
    func utf8Sequences() {
        var scanner = JSONMemberScanner()
        let continuations: [UInt8] = [0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0]
        for lead in UInt8(0x80)...UInt8.max {
            for second in continuations {
                for third in continuations {
                    for fourth in [0x80, 0xC0] as [UInt8] {
                        let sequence = [lead, second, third, fourth]
                        for length in 1...4 {
                            let prefix = Array(sequence.prefix(length))
                            Self.check(Array(#"{"k":""#.utf8) + prefix + Array(#""}"#.utf8), scanner: &scanner)
                            Self.check(Array(#"{""#.utf8) + prefix + Array(#"":"v"}"#.utf8), scanner: &scanner)
                        }
                    }
                }
            }
        }
    }

    @Test("numbers of every shape and length")
    func numbers() {
        var scanner = JSONMemberScanner()
        let integers = ["0", "00", "01", "7", "-", "-0", "-01", "12", "123456789", "1234567890123456789012", "-9"]
        let fractions = ["", ".", ".0", ".5", ".12345678", ".123456789012", ".e"]
        let exponents = ["", "e", "E", "e+", "e-", "e1", "E+12345678", "e-0", "e+123456789", "ee1"]
        for integer in integers {
            for fraction in fractions {
                for exponent in exponents {
                    let number = integer + fraction + exponent
                    for suffix in ["}", ",\"b\":1}", " }", "x}", "", "]}"] {
                        Self.check(Array(#"{"n":\#(number)\#(suffix)"#.utf8), scanner: &scanner)
                        Self.check(Array(#"{"n":[\#(number)\#(suffix)]}"#.utf8), scanner: &scanner)
                    }
                }
            }
        }
    }

    @Test("deep nesting, records and every truncation")
    func nestingAndTruncation() {
        var scanner = JSONMemberScanner()
        let texts = [
            #"{"a":{"b":{"c":{"d":{"e":1}}},"f":[{"g":{"h":2}}]},"i":"j\"k","l":[true,false,null],"m":-0.5e-3}"#,
            #" {"timestamp":"2026-12-01T06:00:13.156692+08:00","tokens":{"input_tokens":26222,"x":0}} "#,
            #"{"é\u00e9":{"\\":"\ud83d\ude00","k":"\u20ac€","n":12345678901234567890}}"#,
            #"{"a":{"b":1,"b":{"c":2,"c":3},"a":4},"a":[{"a":5}],"b":{"a":6},"a":{"a":{"a":{"a":7}}}}"#,
            "{\"a\":" + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}",
            "{\"a\":" + String(repeating: "{\"b\":", count: 600) + "1" + String(repeating: "}", count: 600) + "}",
            "{\"a\":" + String(repeating: "[", count: 1200) + String(repeating: "]", count: 1200) + "}",
        ]
        for text in texts {
            let bytes = Array(text.utf8)
            for end in 0...bytes.count {
                Self.check(Array(bytes[..<end]), scanner: &scanner)
                Self.check(Array(bytes[end...]), scanner: &scanner)
            }
        }
    }

    @Test("digit search matches a byte loop")
    func digitSearch() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<4000 {
            let count = Int.random(in: 0...40, using: &generator)
            var bytes = (0..<count).map { _ in UInt8(ascii: "0") + UInt8.random(in: 0...9, using: &generator) }
            for _ in 0..<Int.random(in: 0...3, using: &generator) where count > 0 {
                bytes[Int.random(in: 0..<count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            bytes.withUnsafeBufferPointer { buffer in
                for start in 0...count {
                    let expected = buffer[start...].firstIndex { $0 < 0x30 || $0 > 0x39 } ?? count
                    #expect(JSONMemberScanner.firstNonDigit(in: buffer, from: start) == expected, "\(bytes) \(start)")
                }
            }
        }
        for byte in UInt8.min...UInt8.max {
            let isDigit = byte >= 0x30 && byte <= 0x39
            for position in 0..<8 {
                var word = [UInt8](repeating: UInt8(ascii: "5"), count: 8)
                word[position] = byte
                let flags = JSONMemberScanner.nonDigitBytes(
                    word.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
                #expect(flags == (isDigit ? 0 : UInt64(0x80) << (8 * position)), "\(byte) at \(position)")
            }
        }
    }
}
