/// Reads the spans of an OTLP trace export from the bytes of a line that ``JSONMemberScanner``
/// accepted, and decodes them as ``OTLPTraceDecoder/decode(_:now:)`` decodes the parsed tree.
///
/// Duplicate names resolve as ``JSONObject`` lookup resolves them: the last member counts, and
/// the last attribute with a key counts. Whatever it cannot read exactly as the tree path
/// would, and every span that the tree path would reject, throws ``Unread``.
struct ScannedSpanReader {
    /// Thrown for a line that the tree path must decode.
    struct Unread: Error {}

    /// An attribute whose `value` object has a first member.
    struct Attribute {
        var keyStart: Int
        var keyEnd: Int
        /// The first member of `value`, whatever its name.
        var value: JSONTextRange
    }

    /// The members of one span that decoding reads, as the last member of each name.
    struct Span {
        var isObject = true
        var traceID: JSONTextRange?
        var spanID: JSONTextRange?
        var parentSpanID: JSONTextRange?
        var start: JSONTextRange?
        var end: JSONTextRange?
        /// `status.code`, `nil` when `status` is not an object or has no `code`.
        var statusCode: JSONTextRange?
        /// The span's attributes in ``ScannedSpanReader/attributes``.
        var attributeStart = 0
        var attributeEnd = 0
        /// Whether the span has a `gen_ai.usage.*` attribute.
        var hasUsage = false
        /// The index of its resource's names in ``ScannedSpanReader/resourceNames``.
        var resource = 0
    }

    private(set) var cursor: ValidJSONCursor
    var bytes: UnsafeBufferPointer<UInt8> { cursor.bytes }
    private(set) var spans: [Span] = []
    private(set) var attributes: [Attribute] = []
    /// `service.name` and `host.name` of each resource, in the order of `resourceSpans`.
    private(set) var resourceNames: [(serviceName: String?, hostName: String?)] = []

    /// Creates a reader whose cursor is at the `[` of `resourceSpans`.
    init(cursor: ValidJSONCursor) {
        self.cursor = cursor
    }

    // MARK: reading

    /// Reads every span of `resourceSpans` and the names of their resources.
    mutating func readResourceSpans() throws(Unread) {
        cursor.enterContainer()
        while nextObjectElement() {
            cursor.enterContainer()
            let firstSpan = spans.count
            var names: (serviceName: String?, hostName: String?) = (nil, nil)
            while let key = try nextKey() {
                if OTLPName.resource.equals(bytes, key.start, key.end) {
                    names = try readResource()
                } else if OTLPName.scopeSpans.equals(bytes, key.start, key.end) {
                    spans.removeSubrange(firstSpan...)
                    try readScopeSpans()
                } else {
                    cursor.skipValue()
                }
            }
            for index in firstSpan..<spans.count {
                spans[index].resource = resourceNames.count
            }
            resourceNames.append(names)
        }
    }

    /// Returns the key of the next member of the object being read.
    /// - Throws: ``Unread`` for a key with an escape or a byte above 0x7F, because such a key might
    ///   equal a name as a `String` without equal bytes.
    private mutating func nextKey() throws(Unread) -> JSONTextRange? {
        guard let (key, hasEscape) = cursor.nextMember() else { return nil }
        guard !hasEscape, key.isASCII else { throw Unread() }
        return key
    }

    /// Enters the object at the cursor, or skips any other value and returns `false`.
    private mutating func enterObject() -> Bool {
        guard cursor.peek() == UInt8(ascii: "{") else {
            cursor.skipValue()
            return false
        }
        cursor.enterContainer()
        return true
    }

    /// Enters the array at the cursor, or skips any other value and returns `false`.
    private mutating func enterArray() -> Bool {
        guard cursor.peek() == UInt8(ascii: "[") else {
            cursor.skipValue()
            return false
        }
        cursor.enterContainer()
        return true
    }

    /// Moves to the next element of the array being read that is an object, skipping the others.
    /// Returns `false` after the last element.
    private mutating func nextObjectElement() -> Bool {
        while cursor.nextElement() {
            if cursor.peek() == UInt8(ascii: "{") {
                return true
            }
            cursor.skipValue()
        }
        return false
    }

    private mutating func readResource() throws(Unread) -> (serviceName: String?, hostName: String?) {
        guard enterObject() else { return (nil, nil) }
        var names: (serviceName: String?, hostName: String?) = (nil, nil)
        while let key = try nextKey() {
            guard OTLPName.attributes.equals(bytes, key.start, key.end) else {
                cursor.skipValue()
                continue
            }
            let start = attributes.count
            try readAttributes()
            names.serviceName = try string(OTLPName.serviceName, in: start..<attributes.count)
            names.hostName = try string(OTLPName.hostName, in: start..<attributes.count)
            attributes.removeSubrange(start...)
        }
        return names
    }

    private mutating func readScopeSpans() throws(Unread) {
        guard enterArray() else { return }
        while nextObjectElement() {
            cursor.enterContainer()
            let firstSpan = spans.count
            while let key = try nextKey() {
                if OTLPName.spans.equals(bytes, key.start, key.end) {
                    spans.removeSubrange(firstSpan...)
                    try readSpans()
                } else {
                    cursor.skipValue()
                }
            }
        }
    }

    private mutating func readSpans() throws(Unread) {
        guard enterArray() else { return }
        while cursor.nextElement() {
            guard cursor.peek() == UInt8(ascii: "{") else {
                cursor.skipValue()
                spans.append(Span(isObject: false))
                continue
            }
            spans.append(try readSpan())
        }
    }

    private mutating func readSpan() throws(Unread) -> Span {
        cursor.enterContainer()
        var span = Span()
        span.attributeStart = attributes.count
        while let key = try nextKey() {
            let name = (start: key.start, end: key.end)
            if OTLPName.traceId.equals(bytes, name.start, name.end) {
                span.traceID = cursor.readValue()
            } else if OTLPName.spanId.equals(bytes, name.start, name.end) {
                span.spanID = cursor.readValue()
            } else if OTLPName.parentSpanId.equals(bytes, name.start, name.end) {
                span.parentSpanID = cursor.readValue()
            } else if OTLPName.startTimeUnixNano.equals(bytes, name.start, name.end) {
                span.start = cursor.readValue()
            } else if OTLPName.endTimeUnixNano.equals(bytes, name.start, name.end) {
                span.end = cursor.readValue()
            } else if OTLPName.status.equals(bytes, name.start, name.end) {
                span.statusCode = try readStatusCode()
            } else if OTLPName.attributes.equals(bytes, name.start, name.end) {
                attributes.removeSubrange(span.attributeStart...)
                try readAttributes()
            } else {
                cursor.skipValue()
            }
        }
        span.attributeEnd = attributes.count
        for index in span.attributeStart..<span.attributeEnd {
            let attribute = attributes[index]
            if OTLPName.usagePrefix.isPrefix(of: bytes, attribute.keyStart, attribute.keyEnd) {
                span.hasUsage = true
                break
            }
        }
        return span
    }

    private mutating func readStatusCode() throws(Unread) -> JSONTextRange? {
        guard enterObject() else { return nil }
        var code: JSONTextRange?
        while let key = try nextKey() {
            if OTLPName.code.equals(bytes, key.start, key.end) {
                code = cursor.readValue()
            } else {
                cursor.skipValue()
            }
        }
        return code
    }

    /// Appends the attributes of the array at the cursor that have a string `key` and a `value`
    /// object with a member, as ``OTLPTraceDecoder/attributes(of:)`` keeps them.
    private mutating func readAttributes() throws(Unread) {
        guard enterArray() else { return }
        while nextObjectElement() {
            if let attribute = readCompactAttribute() {
                attributes.append(attribute)
                continue
            }
            cursor.enterContainer()
            var keyText: JSONTextRange?
            var value: JSONTextRange?
            while let key = try nextKey() {
                if OTLPName.key.equals(bytes, key.start, key.end) {
                    keyText = cursor.readValue()
                } else if OTLPName.value.equals(bytes, key.start, key.end) {
                    value = readFirstMember()
                } else {
                    cursor.skipValue()
                }
            }
            guard let keyText, let value, keyText.kind == .string || keyText.kind == .escapedString else { continue }
            guard keyText.kind == .string, keyText.isASCII else { throw Unread() }
            attributes.append(Attribute(keyStart: keyText.start, keyEnd: keyText.end, value: value))
        }
    }

    /// Reads the attribute object at the cursor when it is written as exporters write it,
    /// `{"key":"…","value":{"…":…}}` without whitespace, with a plain ASCII key and one member
    /// in `value`. Returns `nil` with the cursor unmoved for any other spelling, which the general
    /// member loop reads.
    private mutating func readCompactAttribute() -> Attribute? {
        let start = cursor.index
        guard OTLPName.compactAttributeHead.isPrefix(of: bytes, start, bytes.count) else { return nil }
        let keyStart = start + OTLPName.compactAttributeHead.utf8CodeUnitCount
        let keyEnd = JSONMemberScanner.firstSpecialByte(in: bytes, from: keyStart)
        guard keyEnd < bytes.count, bytes[keyEnd] == UInt8(ascii: "\""),
            OTLPName.compactAttributeMiddle.isPrefix(of: bytes, keyEnd, bytes.count)
        else { return nil }
        cursor.index = keyEnd + OTLPName.compactAttributeMiddle.utf8CodeUnitCount
        // The name of the value's member is not read: any name counts.
        guard cursor.nextMember() != nil else {
            cursor.index = start
            return nil
        }
        let value = cursor.readValue()
        let end = cursor.index
        guard end + 2 <= bytes.count, bytes[end] == UInt8(ascii: "}"), bytes[end + 1] == UInt8(ascii: "}") else {
            cursor.index = start
            return nil
        }
        cursor.index = end + 2
        return Attribute(keyStart: keyStart, keyEnd: keyEnd, value: value)
    }

    /// Returns the value of the first member of the object at the cursor, whatever its name, or
    /// `nil` for an empty object or another kind of value.
    private mutating func readFirstMember() -> JSONTextRange? {
        guard enterObject() else { return nil }
        guard cursor.nextMember() != nil else { return nil }
        let first = cursor.readValue()
        while cursor.nextMember() != nil {
            cursor.skipValue()
        }
        return first
    }

    // MARK: values

    /// Returns the value of the last attribute in `range` whose key is `name`.
    func attribute(_ name: StaticString, in range: Range<Int>) -> JSONTextRange? {
        var index = range.upperBound
        while index > range.lowerBound {
            index -= 1
            let attribute = attributes[index]
            if name.equals(bytes, attribute.keyStart, attribute.keyEnd) {
                return attribute.value
            }
        }
        return nil
    }

    /// Returns the string value of the attribute `name` as `stringValue` reads it, `nil` for another kind.
    func string(_ name: StaticString, in range: Range<Int>) throws(Unread) -> String? {
        guard let value = attribute(name, in: range) else { return nil }
        return try Self.text(value, bytes: bytes)
    }

    /// Returns a string value as a `String`, `nil` for another kind.
    /// - Throws: ``Unread`` for a string with an escape.
    static func text(_ value: JSONTextRange?, bytes: UnsafeBufferPointer<UInt8>) throws(Unread) -> String? {
        guard let value else { return nil }
        switch value.kind {
        case .string:
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[value.start..<value.end]), as: UTF8.self)
        case .escapedString:
            throw Unread()
        default:
            return nil
        }
    }

    /// Returns a number that is an exact `Int64`, or a string that `Int64(_:)` reads, as
    /// ``OTLPTraceDecoder`` reads an `intValue`. Returns `nil` for anything else.
    static func integer(_ value: JSONTextRange, bytes: UnsafeBufferPointer<UInt8>) throws(Unread) -> Int64? {
        let text = UnsafeBufferPointer(rebasing: bytes[value.start..<value.end])
        switch value.kind {
        case .number:
            return ScannedFieldReader.exactInt64(text)
        case .string:
            // `Int64(_: String)` also takes a leading plus sign.
            if text.first == UInt8(ascii: "+") {
                guard text.count > 1, text[1] != UInt8(ascii: "-") else { return nil }
                return ScannedFieldReader.exactInt64(UnsafeBufferPointer(rebasing: text[1...]))
            }
            return ScannedFieldReader.exactInt64(text)
        case .escapedString:
            throw Unread()
        default:
            return nil
        }
    }
}
