/// One member of an object found by ``JSONMemberScanner``, as byte ranges of the scanned text.
struct ScannedMember {
    /// The kind of a member's value.
    enum Kind: UInt8 {
        case null
        case `true`
        case `false`
        case number
        /// A string without escapes: its content bytes are its UTF-8 value.
        case string
        /// A string with at least one backslash escape.
        case escapedString
        case array
        case object
    }

    /// The index in ``JSONMemberScanner/members`` of the member whose value contains this one;
    /// -1 for a member of the top-level object.
    var parent: Int
    /// The key's bytes between its quotes.
    var keyStart: Int
    var keyEnd: Int
    /// The key's length and outer bytes, for ``ScannedMemberIndex``.
    var keyFingerprint: KeyFingerprint
    /// Whether the key has no escape and no byte above 0x7F, so that its bytes compare with an
    /// ASCII name exactly as `String` equality would.
    var isPlainKey: Bool
    var kind: Kind
    /// The value's bytes: between the quotes for a string, the whole value otherwise.
    var valueStart: Int
    var valueEnd: Int
}

/// A validating scan of one JSON text that records where the members of its top-level object
/// and of the objects nested up to ``recordedDepth`` levels deep sit, without building values.
///
/// The scan accepts exactly the texts that ``JSONParser`` accepts: the same RFC 8259 grammar,
/// the same UTF-8 rules (RFC 3629, through ``UTF8Sequence``), the same escapes and the same
/// nesting limit. The tests check this on every JSONTestSuite case. It reports no
/// error detail, so a caller that needs one parses the text again with ``JSONParser``.
struct JSONMemberScanner {
    /// The deepest object whose members are recorded; the top-level object is depth 1.
    static let recordedDepth = 3
    /// The number of members that the first scan has room for.
    static let initialCapacity = 64

    /// Room for the members of a scan, written in place through a pointer. Only the first
    /// `memberCount` elements belong to the last scan. Its count is the capacity, which doubles
    /// whenever a text has more members than it.
    private var storage: [ScannedMember] = []
    private var memberCount = 0
    /// Whether some recorded key has an escape or a byte above 0x7F.
    private(set) var hasNonPlainKey = false
    /// The index of ``members`` by object and key, filled while each scan records the members.
    private(set) var index = ScannedMemberIndex()

    /// The members recorded by the last successful ``scan(_:)``, in source order.
    var members: ArraySlice<ScannedMember> { storage[..<memberCount] }

    /// Scans `bytes` as one JSON text, surrounding whitespace allowed.
    /// - Returns: `true` when the text is valid JSON and its top level is an object; `false`
    ///   otherwise, with ``members`` left incomplete.
    mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if storage.isEmpty {
            storage = Self.makeStorage(capacity: Self.initialCapacity)
        }
        // The index has room for twice the members of the text before, not for the whole storage,
        // so that one text with many members does not make every later scan clear a large table.
        // A text with more members than that room scans again with twice the room.
        var capacity = ScannedMemberIndex.capacity(forMembers: 2 * memberCount)
        while true {
            let (isValid, count, hasNonPlainKey, isOutOfRoom, limit) = storage.withUnsafeMutableBufferPointer {
                members in
                index.withClearedSlots(capacity: capacity) { slots in
                    let limit = min(members.count, slots.count / 2)
                    var cursor = ScanCursor(
                        bytes: bytes, members: UnsafeMutableBufferPointer(rebasing: members[..<limit]), slots: slots)
                    let isValid = cursor.scanTopLevelObject()
                    return (isValid, cursor.count, cursor.hasNonPlainKey, cursor.isOutOfRoom, limit)
                }
            }
            if isOutOfRoom {
                capacity = 2 * limit
                if limit == storage.count {
                    storage = Self.makeStorage(capacity: 2 * storage.count)
                }
                continue
            }
            memberCount = count
            self.hasNonPlainKey = hasNonPlainKey
            return isValid
        }
    }

    /// Scans `bytes` as ``scan(_:)`` does and, for a valid text whose keys are all plain
    /// (``ScannedMember/isPlainKey``), calls `body` with the recorded members and the slots of their
    /// ``ScannedMemberIndex``. Returns nil for every other text.
    ///
    /// The buffers are read in place, so a caller that keeps the scanner in a class property pays
    /// for one exclusivity check and copies no array. `body` must not access this scanner.
    mutating func scanPlainKeys<Result>(
        _ bytes: UnsafeBufferPointer<UInt8>,
        _ body: (_ members: UnsafeBufferPointer<ScannedMember>, _ slots: UnsafeBufferPointer<Int32>) -> Result
    ) -> Result? {
        guard scan(bytes), !hasNonPlainKey else { return nil }
        let count = memberCount
        return storage.withUnsafeBufferPointer { storage in
            index.slots.withUnsafeBufferPointer { slots in
                body(UnsafeBufferPointer(rebasing: storage[..<count]), slots)
            }
        }
    }

    private static func makeStorage(capacity: Int) -> [ScannedMember] {
        let empty = ScannedMember(
            parent: -1, keyStart: 0, keyEnd: 0, keyFingerprint: KeyFingerprint(length: 0, head: 0, tail: 0),
            isPlainKey: true, kind: .null, valueStart: 0, valueEnd: 0)
        return Array(repeating: empty, count: capacity)
    }

    /// Returns the position of the first byte at or after `start` that is a quote, a backslash, a
    /// control character or above 0x7F, or `bytes.count` when there is none.
    ///
    /// Most bytes of a string are plain ASCII, so it tests 8 of them at a time while 8 remain.
    /// It is inlined because most strings are short, so that the cost of a call is a large part
    /// of the search.
    @inline(__always)
    static func firstSpecialByte(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var position = start
        let count = bytes.count
        if let base = bytes.baseAddress {
            while position + 8 <= count {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
                let special = Self.specialBytes(word)
                if special != 0 {
                    return position + special.trailingZeroBitCount / 8
                }
                position += 8
            }
        }
        while position < count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 {
                return position
            }
            position += 1
        }
        return count
    }

    /// Returns the position of the first byte at or after `start` that is not an ASCII digit, or
    /// `bytes.count` when there is none.
    ///
    /// It tests 8 bytes at a time while 8 remain, so that a run of up to 7 digits costs one test.
    @inline(__always)
    static func firstNonDigit(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var position = start
        let count = bytes.count
        if let base = bytes.baseAddress {
            while position + 8 <= count {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
                let nonDigits = Self.nonDigitBytes(word)
                if nonDigits != 0 {
                    return position + nonDigits.trailingZeroBitCount / 8
                }
                position += 8
            }
        }
        while position < count, bytes[position] &- UInt8(ascii: "0") < 10 {
            position += 1
        }
        return position
    }

    /// Returns `word` with the high bit set in exactly those bytes that are not ASCII digits.
    ///
    /// A byte is a digit when its high nibble is 3 and its low nibble plus 6 stays below 0x10. The
    /// sums of low nibbles and 6 carry into no other byte, and neither does the final test for a
    /// nonzero byte, which adds 0x7F to its low 7 bits.
    static func nonDigitBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highNibbles = (word & (ones &* 0xF0)) ^ (ones &* 0x30)
        let lowNibbleAbove9 = ((word & (ones &* 0x0F)) &+ ones &* 0x06) & (ones &* 0x10)
        let differences = highNibbles | lowNibbleAbove9
        let lowBits = ones &* 0x7F
        return (((differences & lowBits) &+ lowBits) | differences) & (ones &* 0x80)
    }

    /// Returns `word` with the high bit set in its lowest byte (the first in memory) that is a
    /// quote, a backslash, below 0x20 or above 0x7F, and possibly in bytes above that one.
    ///
    /// A byte equal to 0 after an XOR is found by the borrow of subtracting 1, as is a byte below
    /// 0x20 by subtracting 0x20. A borrow only carries into higher bytes, so the lowest byte
    /// flagged is always one of the bytes sought.
    static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quotes = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
        let backslashes = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        let isQuote = (quotes &- ones) & ~quotes
        let isBackslash = (backslashes &- ones) & ~backslashes
        let isControl = (word &- ones &* 0x20) & ~word
        return (isQuote | isBackslash | isControl | word) & (ones &* 0x80)
    }
}

/// The kinds of content besides plain ASCII characters that a JSON string has.
struct StringContent: OptionSet {
    let rawValue: UInt8

    /// At least one backslash escape.
    static let escape = StringContent(rawValue: 1)
    /// At least one byte above 0x7F.
    static let nonASCII = StringContent(rawValue: 2)
}

private struct ScanCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    /// Room for the recorded members, the first `count` of which are written.
    let members: UnsafeMutableBufferPointer<ScannedMember>
    var count = 0
    /// The ``ScannedMemberIndex`` slots, cleared, with at least twice as many slots as `members`.
    let slots: UnsafeMutableBufferPointer<Int32>
    var hasNonPlainKey = false
    /// Whether the scan stopped because `members` had no room for one more member.
    var isOutOfRoom = false

    init(
        bytes: UnsafeBufferPointer<UInt8>, members: UnsafeMutableBufferPointer<ScannedMember>,
        slots: UnsafeMutableBufferPointer<Int32>
    ) {
        self.bytes = bytes
        self.members = members
        self.slots = slots
    }

    mutating func scanTopLevelObject() -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return false }
        guard scanObject(depth: 1, parent: -1) else { return false }
        skipWhitespace()
        return index == bytes.count
    }

    /// Returns whether the byte at `index`, after any whitespace, is `expected`. The byte is tested
    /// first, so a compact text skips no whitespace.
    @inline(__always)
    mutating func isAt(_ expected: UInt8) -> Bool {
        if index < bytes.count, bytes[index] == expected {
            return true
        }
        skipWhitespace()
        return index < bytes.count && bytes[index] == expected
    }

    /// The byte that follows a member or an element.
    enum Separator {
        /// A comma: another member or element follows.
        case next
        /// The closing byte of the container.
        case closed
        /// Any other byte, or the end of the text.
        case invalid
    }

    /// Moves past the whitespace and the separator after a member or an element, whose container
    /// ends with `closing`.
    @inline(__always)
    mutating func scanSeparator(closing: UInt8) -> Separator {
        guard index < bytes.count else { return .invalid }
        var separator = bytes[index]
        if separator <= 0x20 {
            skipWhitespaceRun()
            guard index < bytes.count else { return .invalid }
            separator = bytes[index]
        }
        if separator == UInt8(ascii: ",") {
            index += 1
            return .next
        }
        if separator == closing {
            index += 1
            return .closed
        }
        return .invalid
    }

    /// Moves past whitespace. Most calls find none, and every whitespace byte is at most 0x20, so
    /// one comparison decides those calls, and it is inlined so that they cost no call.
    @inline(__always)
    mutating func skipWhitespace() {
        guard index < bytes.count, bytes[index] <= 0x20 else { return }
        skipWhitespaceRun()
    }

    mutating func skipWhitespaceRun() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Scans the value at `index`, whose enclosing object or array is at `depth`. `parent` is the
    /// member that contains it when that member is recorded, else nil.
    ///
    /// It is inlined into the object and array scans, which saves one call per value.
    @inline(__always)
    mutating func scanValue(depth: Int, parent: Int?) -> ScannedMember.Kind? {
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            if parent == nil || depth + 1 > JSONMemberScanner.recordedDepth {
                return scanUnrecordedObject(depth: depth + 1) ? .object : nil
            }
            return scanObject(depth: depth + 1, parent: parent) ? .object : nil
        case UInt8(ascii: "["):
            return scanArray(depth: depth + 1) ? .array : nil
        case UInt8(ascii: "\""):
            guard let content = scanString() else { return nil }
            return content.contains(.escape) ? .escapedString : .string
        case UInt8(ascii: "t"):
            return scanLiteral("true") ? .true : nil
        case UInt8(ascii: "f"):
            return scanLiteral("false") ? .false : nil
        case UInt8(ascii: "n"):
            return scanLiteral("null") ? .null : nil
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return scanNumber() ? .number : nil
        default:
            return nil
        }
    }

    /// Moves past `literal`, `true`, `false` or `null`, when the text at `index` starts with it.
    ///
    /// It is inlined, so that the literal's length and bytes are constants in each call.
    @inline(__always)
    mutating func scanLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        let start = literal.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] {
            return false
        }
        index += count
        return true
    }

    /// Scans the object at `index`. Its members are recorded when `parent` is not nil and `depth`
    /// is at most ``JSONMemberScanner/recordedDepth``.
    mutating func scanObject(depth: Int, parent: Int?) -> Bool {
        guard depth <= JSONParser.maximumDepth else { return false }
        let records = parent != nil && depth <= JSONMemberScanner.recordedDepth
        index += 1
        skipWhitespace()
        guard index < bytes.count else { return false }
        if bytes[index] == UInt8(ascii: "}") {
            index += 1
            return true
        }
        // Compact texts have no whitespace between tokens, so each token is tested for first and
        // whitespace is skipped only when that test fails.
        while true {
            guard isAt(UInt8(ascii: "\"")) else { return false }
            let keyStart = index + 1
            guard let keyContent = scanString() else { return false }
            let keyEnd = index - 1
            guard isAt(UInt8(ascii: ":")) else { return false }
            index += 1
            skipWhitespace()
            let valueStart = index
            // A recorded member takes its place in source order before its value is scanned, so
            // that the members of an object in its value come after it. It is written and added to
            // the index once its value is scanned. Lookups return the same members as with
            // insertion in source order, because members with the same parent and key still are.
            var memberIndex: Int?
            if records {
                guard count < members.count else {
                    isOutOfRoom = true
                    return false
                }
                memberIndex = count
                count += 1
            }
            // Strings and numbers are scanned here rather than through `scanValue`, which the
            // optimizer keeps a function of its own because it recurses, so that most values cost
            // no call.
            let kind: ScannedMember.Kind
            let first = index < bytes.count ? bytes[index] : 0
            if first == UInt8(ascii: "\"") {
                guard let content = scanString() else { return false }
                kind = content.contains(.escape) ? .escapedString : .string
            } else if first &- UInt8(ascii: "0") < 10 || first == UInt8(ascii: "-") {
                guard scanNumber() else { return false }
                kind = .number
            } else {
                guard let other = scanValue(depth: depth, parent: memberIndex) else { return false }
                kind = other
            }
            if let memberIndex, let parent {
                let isPlain = keyContent.isEmpty
                if !isPlain {
                    hasNonPlainKey = true
                }
                let isString = kind == .string || kind == .escapedString
                members[memberIndex] = ScannedMember(
                    parent: parent, keyStart: keyStart, keyEnd: keyEnd,
                    keyFingerprint: KeyFingerprint(bytes, from: keyStart, to: keyEnd), isPlainKey: isPlain,
                    kind: kind, valueStart: isString ? valueStart + 1 : valueStart,
                    valueEnd: isString ? index - 1 : index)
                ScannedMemberIndex.insert(
                    memberIndex, members: UnsafeBufferPointer(members), slots: slots, bytes: bytes)
            }
            switch scanSeparator(closing: UInt8(ascii: "}")) {
            case .next: continue
            case .closed: return true
            case .invalid: return false
            }
        }
    }

    /// Scans the object at `index` as ``scanObject(depth:parent:)`` does, without recording its
    /// members. Most objects of an OTLP line sit in arrays or deeper than
    /// ``JSONMemberScanner/recordedDepth``, so this lean loop scans most of its bytes.
    mutating func scanUnrecordedObject(depth: Int) -> Bool {
        guard depth <= JSONParser.maximumDepth else { return false }
        index += 1
        skipWhitespace()
        guard index < bytes.count else { return false }
        if bytes[index] == UInt8(ascii: "}") {
            index += 1
            return true
        }
        while true {
            guard isAt(UInt8(ascii: "\"")) else { return false }
            guard scanString() != nil else { return false }
            guard isAt(UInt8(ascii: ":")) else { return false }
            index += 1
            skipWhitespace()
            let first = index < bytes.count ? bytes[index] : 0
            if first == UInt8(ascii: "\"") {
                guard scanString() != nil else { return false }
            } else if first &- UInt8(ascii: "0") < 10 || first == UInt8(ascii: "-") {
                guard scanNumber() else { return false }
            } else {
                guard scanValue(depth: depth, parent: nil) != nil else { return false }
            }
            switch scanSeparator(closing: UInt8(ascii: "}")) {
            case .next: continue
            case .closed: return true
            case .invalid: return false
            }
        }
    }

    mutating func scanArray(depth: Int) -> Bool {
        guard depth <= JSONParser.maximumDepth else { return false }
        index += 1
        skipWhitespace()
        guard index < bytes.count else { return false }
        if bytes[index] == UInt8(ascii: "]") {
            index += 1
            return true
        }
        // Elements that are objects, strings or numbers are scanned without the call to
        // `scanValue`, as the values of members are.
        while true {
            skipWhitespace()
            let first = index < bytes.count ? bytes[index] : 0
            if first == UInt8(ascii: "{") {
                guard scanUnrecordedObject(depth: depth + 1) else { return false }
            } else if first == UInt8(ascii: "\"") {
                guard scanString() != nil else { return false }
            } else if first &- UInt8(ascii: "0") < 10 || first == UInt8(ascii: "-") {
                guard scanNumber() else { return false }
            } else {
                guard scanValue(depth: depth, parent: nil) != nil else { return false }
            }
            switch scanSeparator(closing: UInt8(ascii: "]")) {
            case .next: continue
            case .closed: return true
            case .invalid: return false
            }
        }
    }

    /// Scans `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    ///
    /// Most numbers are integers, so the integer part is scanned inline and the fraction and
    /// exponent by a call only when a `.`, `e` or `E` follows it.
    @inline(__always)
    mutating func scanNumber() -> Bool {
        if bytes[index] == UInt8(ascii: "-") {
            index += 1
        }
        guard index < bytes.count else { return false }
        let lead = bytes[index]
        if lead == UInt8(ascii: "0") {
            index += 1
        } else if isDigit(lead) {
            index = JSONMemberScanner.firstNonDigit(in: bytes, from: index + 1)
        } else {
            return false
        }
        guard index < bytes.count else { return true }
        let next = bytes[index]
        if next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            return scanFractionAndExponent()
        }
        return true
    }

    /// Scans the `(. [0-9]+)? ([eE] [+-]? [0-9]+)?` of a number at `index`.
    mutating func scanFractionAndExponent() -> Bool {
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { return false }
            skipDigits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { return false }
            skipDigits()
        }
        return true
    }

    mutating func skipDigits() {
        index = JSONMemberScanner.firstNonDigit(in: bytes, from: index)
    }

    func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// Scans the string whose opening quote is at `index` and leaves `index` after its closing
    /// quote. Returns the content it has besides plain ASCII, or nil when it is invalid.
    ///
    /// It is inlined too, because with ``JSONMemberScanner/firstSpecialByte(in:from:)`` inside it
    /// the Swift 6.3.1 optimizer keeps it a function of its own, whose calls cost more than the
    /// inlined search saves.
    @inline(__always)
    mutating func scanString() -> StringContent? {
        index += 1
        var content: StringContent = []
        while true {
            index = JSONMemberScanner.firstSpecialByte(in: bytes, from: index)
            guard index < bytes.count else { return nil }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return content
            }
            if byte == UInt8(ascii: "\\") {
                content.insert(.escape)
                guard scanEscape() else { return nil }
                continue
            }
            if byte < 0x20 {
                return nil
            }
            content.insert(.nonASCII)
            guard let length = UTF8Sequence.length(in: bytes, at: index) else { return nil }
            index += length
        }
    }

    /// Scans the escape whose backslash is at `index`: one of `\" \\ \/ \b \f \n \r \t` or `\u`
    /// with four hex digits.
    mutating func scanEscape() -> Bool {
        index += 1
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 1
            return true
        case UInt8(ascii: "u"):
            index += 1
            guard bytes.count - index >= 4 else { return false }
            for offset in 0..<4 where !isHexDigit(bytes[index + offset]) {
                return false
            }
            index += 4
            return true
        default:
            return false
        }
    }

    func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
            UInt8(ascii: "A")...UInt8(ascii: "F"):
            return true
        default:
            return false
        }
    }
}
