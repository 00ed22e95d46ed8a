/// Typed access to the members of one object of a line scanned by ``JSONMemberScanner``, read
/// straight from the line's bytes.
///
/// It returns exactly what ``FieldReader`` returns for the same object, or throws. It throws
/// for everything it does not read the same way: a value of the wrong type, a string with
/// escapes, a number that is not an exact `Int64`, an object nested deeper than the scanner
/// records. Its errors carry no useful detail: the caller drops them and decodes the line again
/// from a parsed tree, which reports the reason or reads the escapes.
struct ScannedFieldReader: RecordFields {
    let bytes: UnsafeBufferPointer<UInt8>
    let members: UnsafeBufferPointer<ScannedMember>
    /// The slots of the ``ScannedMemberIndex`` of `members`.
    let slots: UnsafeBufferPointer<Int32>
    /// The index of the member whose value is this object; -1 for the top-level object.
    let parent: Int
    /// The depth of this object; the top-level object is depth 1.
    let depth: Int
    /// The caches of interned strings and secret ids. The reference is strong, so a reader stays
    /// valid after its creator releases the cache.
    let cache: DecodeCache

    /// Empty, because the errors of this reader are never shown.
    var path: String { "" }

    /// The index of the last member named `name`, the one that ``JSONObject`` lookup returns.
    ///
    /// Inlined into each field reader, because the call and its register spills cost about a
    /// fifth of a lookup.
    @inline(__always)
    func memberIndex(_ name: String) -> Int? {
        // Reading the name's bytes in place, instead of through a mutable copy for `withUTF8`,
        // saves a retain and a release of the name per lookup.
        let found = name.utf8.withContiguousStorageIfAvailable { nameBytes in
            ScannedMemberIndex.lookup(nameBytes, parent: parent, slots: slots, members: members, bytes: bytes)
        }
        if let found {
            return found
        }
        return memberIndexCopyingName(name)
    }

    /// Looks up `name` through a copy of its bytes, for a name whose bytes are not contiguous.
    @inline(never)
    private func memberIndexCopyingName(_ name: String) -> Int? {
        Array(name.utf8).withUnsafeBufferPointer { nameBytes in
            ScannedMemberIndex.lookup(nameBytes, parent: parent, slots: slots, members: members, bytes: bytes)
        }
    }

    /// Returns the index of the last member named `field.name`, found through its precomputed fingerprint.
    @inline(__always)
    func memberIndex(_ field: FieldName) -> Int? {
        ScannedMemberIndex.lookup(
            field.fingerprint, keyHash: field.keyHash,
            name: UnsafeBufferPointer(start: field.name.utf8Start, count: field.name.utf8CodeUnitCount),
            parent: parent, slots: slots, members: members, bytes: bytes)
    }

    /// Returns whether the object has a member `name`, `null` included.
    func contains(_ name: String) -> Bool {
        memberIndex(name) != nil
    }

    /// Returns whether the object has a member `field`, `null` included.
    func contains(_ field: FieldName) -> Bool {
        memberIndex(field) != nil
    }

    func string(_ name: String, interned: Bool) throws(DecodeError) -> String? {
        try string(at: memberIndex(name), name: name, interned: interned)
    }

    func string(_ field: FieldName, interned: Bool) throws(DecodeError) -> String? {
        try string(at: memberIndex(field), name: field.string, interned: interned)
    }

    func int64(_ name: String) throws(DecodeError) -> Int64? {
        try int64(at: memberIndex(name), name: name)
    }

    func int64(_ field: FieldName) throws(DecodeError) -> Int64? {
        try int64(at: memberIndex(field), name: field.string)
    }

    func bool(_ name: String) throws(DecodeError) -> Bool? {
        try bool(at: memberIndex(name), name: name)
    }

    func bool(_ field: FieldName) throws(DecodeError) -> Bool? {
        try bool(at: memberIndex(field), name: field.string)
    }

    func object(_ name: String) throws(DecodeError) -> ScannedFieldReader? {
        try object(at: memberIndex(name), name: name)
    }

    func object(_ field: FieldName) throws(DecodeError) -> ScannedFieldReader? {
        try object(at: memberIndex(field), name: field.string)
    }

    func secretID(_ name: String, kind: SecretHasher.Kind) throws(DecodeError) -> String? {
        try secretID(at: memberIndex(name), name: name, kind: kind)
    }

    func secretID(_ field: FieldName, kind: SecretHasher.Kind) throws(DecodeError) -> String? {
        try secretID(at: memberIndex(field), name: field.string, kind: kind)
    }

    func timestamp(_ name: String, now: Int64) throws(DecodeError) -> Int64 {
        try timestamp(at: memberIndex(name), name: name, now: now)
    }

    func timestamp(_ field: FieldName, now: Int64) throws(DecodeError) -> Int64 {
        try timestamp(at: memberIndex(field), name: field.string, now: now)
    }

    @inline(__always)
    private func string(at index: Int?, name: @autoclosure () -> String, interned: Bool) throws(DecodeError) -> String?
    {
        guard let index else { return nil }
        let member = members[index]
        switch member.kind {
        case .null:
            return nil
        case .string:
            let value = slice(member)
            return interned ? cache.strings.string(value) : String(decoding: value, as: UTF8.self)
        default:
            throw Self.unread(name())
        }
    }

    @inline(__always)
    private func int64(at index: Int?, name: @autoclosure () -> String) throws(DecodeError) -> Int64? {
        guard let index else { return nil }
        let member = members[index]
        switch member.kind {
        case .null:
            return nil
        case .number:
            guard let value = Self.exactInt64(slice(member)) else { throw Self.unread(name()) }
            return value
        default:
            throw Self.unread(name())
        }
    }

    @inline(__always)
    private func bool(at index: Int?, name: @autoclosure () -> String) throws(DecodeError) -> Bool? {
        guard let index else { return nil }
        switch members[index].kind {
        case .null: return nil
        case .true: return true
        case .false: return false
        default: throw Self.unread(name())
        }
    }

    @inline(__always)
    private func object(at index: Int?, name: @autoclosure () -> String) throws(DecodeError) -> ScannedFieldReader? {
        guard let index else { return nil }
        switch members[index].kind {
        case .null:
            return nil
        case .object where depth < JSONMemberScanner.recordedDepth:
            return ScannedFieldReader(
                bytes: bytes, members: members, slots: slots, parent: index, depth: depth + 1, cache: cache)
        default:
            throw Self.unread(name())
        }
    }

    @inline(__always)
    private func secretID(at index: Int?, name: @autoclosure () -> String, kind: SecretHasher.Kind) throws(DecodeError)
        -> String?
    {
        guard let index else { return nil }
        let member = members[index]
        switch member.kind {
        case .null:
            return nil
        case .string:
            let value = slice(member)
            return value.isEmpty ? nil : cache.secretIDs.id(utf8: value, kind: kind)
        default:
            throw Self.unread(name())
        }
    }

    @inline(__always)
    private func timestamp(at index: Int?, name: @autoclosure () -> String, now: Int64) throws(DecodeError) -> Int64 {
        guard let index else { throw Self.unread(name()) }
        let member = members[index]
        let instant: Int64
        switch member.kind {
        case .string:
            guard let parsed = Timestamp.parseRFC3339(utf8: slice(member)) else { throw Self.unread(name()) }
            instant = parsed
        case .number:
            guard let number = Self.exactInt64(slice(member)) else { throw Self.unread(name()) }
            instant = Timestamp.fromEpochNumber(number)
        default:
            throw Self.unread(name())
        }
        // The name is made a `String` only for the message of an instant out of range.
        if !TimestampField.isInRange(instant, now: now) {
            try TimestampField.checkRange(instant, name: name(), spelling: "", now: now)
        }
        return instant
    }

    private func slice(_ member: ScannedMember) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[member.valueStart..<member.valueEnd])
    }

    private static func unread(_ name: String) -> DecodeError {
        DecodeError(.invalidField, "\(name) is not read from the scanned line")
    }

    /// Reads a JSON number's text as `Int64(text)` does: digits with an optional minus sign,
    /// `nil` for a fraction, an exponent or a value outside the `Int64` range.
    @inline(__always)
    static func exactInt64(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        let isNegative = text.first == UInt8(ascii: "-")
        if isNegative {
            index = 1
        }
        guard index < text.count else { return nil }
        // At most 18 digits stay below 10^18, inside the Int64 range, so they need no overflow checks.
        if text.count - index <= 18 {
            var magnitude: Int64 = 0
            while index < text.count {
                let digit = text[index] &- UInt8(ascii: "0")
                guard digit <= 9 else { return nil }
                magnitude = magnitude &* 10 &+ Int64(digit)
                index += 1
            }
            return isNegative ? -magnitude : magnitude
        }
        // Accumulated as a negative number, so that Int64.min fits.
        var value: Int64 = 0
        while index < text.count {
            let byte = text[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (scaled, overflow) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowSum) = scaled.subtractingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflow, !overflowSum else { return nil }
            value = next
            index += 1
        }
        if isNegative {
            return value
        }
        return value == .min ? nil : -value
    }
}

extension UsageQueueDecoder {
    private static let otlpPrefix = Array(#"{"resourceSpans""#.utf8)

    /// Decodes `line` from its bytes when it is a usage-queue record that ``ScannedFieldReader``
    /// reads exactly as the parsed tree would be read.
    ///
    /// Returns `nil` for every other line, which the caller then parses into a tree. That second
    /// pass also finds the reason of a reject.
    static func decodeScanned(_ line: UnsafeBufferPointer<UInt8>, now: Int64, cache: DecodeCache) -> CanonicalEvent? {
        var event = emptyEvent
        guard decodeScanned(line, now: now, cache: cache, into: &event) else { return nil }
        return event
    }

    /// Decodes `line` as ``decodeScanned(_:now:cache:)`` does, into `event`, which must be
    /// ``emptyEvent`` on entry. Returns `false`, with `event` unchanged, for every other line.
    ///
    /// The event is set in place, because returning it as an optional copied its bytes twice.
    static func decodeScanned(
        _ line: UnsafeBufferPointer<UInt8>, now: Int64, cache: DecodeCache, into event: inout CanonicalEvent
    ) -> Bool {
        // OTLP exporters write `resourceSpans` first. Such a line goes to the tree without a scan
        // that would find the same member later.
        if line.starts(with: otlpPrefix) {
            return false
        }
        // A key with an escape or a non-ASCII byte might still equal a field name as a `String`, so
        // such a line goes to the tree too. The closure runs inside the access to `cache.scanner`,
        // which the decoder never touches: it reads only `cache.strings` and `cache.secretIDs`.
        let decoded = cache.scanner.scanPlainKeys(line) { members, slots in
            decodeScanned(line, members: members, slots: slots, now: now, cache: cache, into: &event)
        }
        return decoded ?? false
    }

    private static func decodeScanned(
        _ line: UnsafeBufferPointer<UInt8>, members: UnsafeBufferPointer<ScannedMember>,
        slots: UnsafeBufferPointer<Int32>, now: Int64, cache: DecodeCache, into event: inout CanonicalEvent
    ) -> Bool {
        let record = ScannedFieldReader(
            bytes: line, members: members, slots: slots, parent: -1, depth: 1, cache: cache)
        // The shapes that LineDecoder tries before the usage queue must not match. Any of these
        // members sends the line to the tree, even where that shape needs more members. They are
        // tested one by one, because a loop over an array literal would allocate it for every line.
        let names = UsageQueueFieldNames.shared
        guard !record.contains(names.resourceSpans), !record.contains(names.executionID),
            !record.contains(names.usage), !record.contains(names.gapMarker)
        else { return false }
        // `timestamp` is not tested here, because the decoder throws without it and so sends the
        // line to the tree.
        guard record.contains(names.tokens), record.contains(names.provider) || record.contains(names.model)
        else { return false }
        do {
            try decode(fields: record, rawLine: line, now: now, into: &event)
        } catch {
            return false
        }
        return true
    }
}
