extension OTLPTraceDecoder {
    /// Decodes `line` from its bytes when it is an OTLP trace export whose events are exactly
    /// those of its parsed tree.
    ///
    /// Returns `nil` for every other line, which the caller then parses into a tree. Such lines
    /// are: a line that does not start with `{"resourceSpans"`, invalid JSON, a key with an escape
    /// or a byte above 0x7F where names are looked up, and an escape in a string value that is
    /// read. A line with a rejected span is one too, so that the tree reports the reason.
    static func decodeScanned(_ line: UnsafeBufferPointer<UInt8>, now: Int64, cache: DecodeCache) -> LineOutcome? {
        guard OTLPName.startsLine(line), cache.scanner.scan(line), !cache.scanner.hasNonPlainKey else { return nil }
        // The last top-level member named resourceSpans is the one that JSONObject lookup returns.
        let members = cache.scanner.members
        var found: ScannedMember?
        for member in members.reversed()
        where member.parent == -1 && OTLPName.resourceSpans.equals(line, member.keyStart, member.keyEnd) {
            found = member
            break
        }
        guard let resourceSpans = found, resourceSpans.kind == .array else { return nil }
        var reader = ScannedSpanReader(cursor: ValidJSONCursor(bytes: line, index: resourceSpans.valueStart))
        do throws(ScannedSpanReader.Unread) {
            try reader.readResourceSpans()
            return LineDecoder.rejectingNULCharacters(try reader.decode(now: now, cache: cache))
        } catch {
            return nil
        }
    }
}

/// The names that the scanned OTLP path compares with keys, as bytes without a `String`.
enum OTLPName {
    static let resourceSpans: StaticString = "resourceSpans"
    static let resource: StaticString = "resource"
    static let scopeSpans: StaticString = "scopeSpans"
    static let spans: StaticString = "spans"
    static let attributes: StaticString = "attributes"
    static let key: StaticString = "key"
    static let value: StaticString = "value"
    static let traceId: StaticString = "traceId"
    static let spanId: StaticString = "spanId"
    static let parentSpanId: StaticString = "parentSpanId"
    static let startTimeUnixNano: StaticString = "startTimeUnixNano"
    static let endTimeUnixNano: StaticString = "endTimeUnixNano"
    static let status: StaticString = "status"
    static let code: StaticString = "code"
    static let serviceName: StaticString = "service.name"
    static let hostName: StaticString = "host.name"
    static let usagePrefix: StaticString = "gen_ai.usage."
    static let statusCodeError: StaticString = "STATUS_CODE_ERROR"
    /// The bytes before an attribute's key and between its key and the member of its value, in
    /// the compact spelling of exporters.
    static let compactAttributeHead: StaticString = #"{"key":""#
    static let compactAttributeMiddle: StaticString = #"","value":{"#

    private static let linePrefix: StaticString = #"{"resourceSpans""#

    /// Returns whether `line` starts with `{"resourceSpans"`, as OTLP exporters write it.
    static func startsLine(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.count >= linePrefix.utf8CodeUnitCount && linePrefix.equals(line, 0, linePrefix.utf8CodeUnitCount)
    }
}

extension StaticString {
    /// Returns whether the bytes of `text` from `start` to `end` are this ASCII name.
    ///
    /// It compares 8 bytes at a time while 8 remain, because most names compared are longer than 8 bytes.
    /// `start` and `end` must lie within `text`.
    func equals(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        let count = utf8CodeUnitCount
        guard end - start == count else { return false }
        let name = utf8Start
        var offset = 0
        if let base = text.baseAddress {
            let textStart = UnsafeRawPointer(base + start)
            let nameStart = UnsafeRawPointer(name)
            while offset + 8 <= count {
                guard
                    textStart.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                        == nameStart.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                else { return false }
                offset += 8
            }
        }
        while offset < count {
            guard text[start + offset] == name[offset] else { return false }
            offset += 1
        }
        return true
    }

    /// Returns whether the bytes of `text` from `start` to `end` begin with this ASCII name.
    func isPrefix(of text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        end - start >= utf8CodeUnitCount && equals(text, start, start + utf8CodeUnitCount)
    }
}

extension ScannedSpanReader {
    /// Decodes the spans read, as ``OTLPTraceDecoder/decode(_:now:)`` decodes them.
    /// - Throws: ``Unread`` for a span that the tree path would reject or read otherwise.
    func decode(now: Int64, cache: DecodeCache) throws(Unread) -> LineOutcome {
        let bytes = cursor.bytes
        var parents: Set<String> = []
        for span in spans where span.hasUsage {
            if let parent = try Self.text(span.parentSpanID, bytes: bytes), !parent.isEmpty {
                parents.insert(parent)
            }
        }
        var aggregating: Set<String> = []
        if !parents.isEmpty {
            for span in spans where span.hasUsage {
                if let spanText = try Self.text(span.spanID, bytes: bytes), parents.contains(spanText) {
                    aggregating.insert(spanText)
                }
            }
        }
        var outcome = LineOutcome()
        outcome.events.reserveCapacity(spans.count)
        for span in spans {
            if !aggregating.isEmpty, let spanText = try Self.text(span.spanID, bytes: bytes),
                aggregating.contains(spanText)
            {
                outcome.aggregatingSpansSkipped += 1
                continue
            }
            guard var event = try decodeSpan(span, now: now, cache: cache) else { continue }
            let names = resourceNames[span.resource]
            event.serviceName = names.serviceName
            event.hostName = names.hostName
            outcome.events.append(event)
        }
        return outcome
    }

    private func decodeSpan(_ span: Span, now: Int64, cache: DecodeCache) throws(Unread) -> CanonicalEvent? {
        guard span.isObject else { throw Unread() }
        let read = ReadSpanAttributes(attributes[span.attributeStart..<span.attributeEnd], bytes: bytes)
        guard span.hasUsage || read.operationName != nil else { return nil }
        let traceID = try id(span.traceID, byteCount: 16)
        let spanID = try id(span.spanID, byteCount: 8)
        let start = try nanoseconds(span.start)
        guard start >= Timestamp.earliestAccepted, start <= Timestamp.latestAccepted(now: now) else {
            throw Unread()
        }
        let end = try span.end.map { value throws(Unread) in try nanoseconds(value) }

        var provider = try interned(read.providerName, cache: cache)
        if provider == nil {
            provider = try interned(read.system, cache: cache)
        }
        let requestModel = try interned(read.requestModel, cache: cache)
        let responseModel = try interned(read.responseModel, cache: cache)
        let failed = try isError(span.statusCode)
        let usage = try readUsage(read)
        if let end {
            guard end >= start, end - start <= FieldReader.maximumMilliseconds * 1_000_000 else { throw Unread() }
        }
        let statusCode = try read.httpStatusCode.flatMap {
            value throws(Unread) in try Self.integer(value, bytes: bytes)
        }
        return OTLPTraceDecoder.makeEvent(
            traceID: traceID, spanID: spanID, start: start, end: end, provider: provider,
            requestModel: requestModel, responseModel: responseModel,
            sessionID: try Self.text(read.conversationID, bytes: bytes), failed: failed, usage: usage,
            statusCode: statusCode)
    }

    /// Returns a string value through the interner of `cache`, for values such as providers and
    /// models that repeat from span to span, or `nil` for another kind.
    /// - Throws: ``ScannedSpanReader/Unread`` for a string with an escape.
    private func interned(_ value: JSONTextRange?, cache: DecodeCache) throws(Unread) -> String? {
        guard let value else { return nil }
        switch value.kind {
        case .string:
            return cache.strings.string(UnsafeBufferPointer(rebasing: bytes[value.start..<value.end]))
        case .escapedString:
            throw Unread()
        default:
            return nil
        }
    }

    private func readUsage(_ read: ReadSpanAttributes) throws(Unread) -> OTLPTraceDecoder.Usage {
        func count(_ value: JSONTextRange?, _ alternative: JSONTextRange? = nil) throws(Unread) -> Int64? {
            if let value {
                return try checkedCount(value)
            }
            if let alternative {
                return try checkedCount(alternative)
            }
            return nil
        }
        func checkedCount(_ value: JSONTextRange) throws(Unread) -> Int64 {
            guard let number = try Self.integer(value, bytes: bytes), number >= 0,
                number <= FieldReader.maximumTokenCount
            else { throw Unread() }
            return number
        }
        let input = try count(read.inputTokens, read.promptTokens)
        let output = try count(read.outputTokens, read.completionTokens)
        let cacheRead = try count(read.cacheReadTokens)
        let cacheWrite = try count(read.cacheCreationTokens, read.cacheWriteTokens)
        let reasoning = try count(read.reasoningTokens)
        return OTLPTraceDecoder.usage(
            input: input, output: output, cacheRead: cacheRead, cacheWrite: cacheWrite, reasoning: reasoning)
    }

    /// Decodes a trace or span id of `byteCount` bytes written in hex or base64.
    /// - Throws: ``ScannedSpanReader/Unread`` for anything the tree path rejects.
    private func id(_ value: JSONTextRange?, byteCount: Int) throws(Unread) -> [UInt8] {
        guard let value, value.kind == .string else { throw Unread() }
        if value.end - value.start == byteCount * 2 {
            var decoded: [UInt8] = []
            decoded.reserveCapacity(byteCount)
            var index = value.start
            var isZero = true
            while index < value.end, let high = HexEncoding.nibble(bytes[index]),
                let low = HexEncoding.nibble(bytes[index + 1])
            {
                let byte = high << 4 | low
                isZero = isZero && byte == 0
                decoded.append(byte)
                index += 2
            }
            if index == value.end {
                guard !isZero else { throw Unread() }
                return decoded
            }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[value.start..<value.end]), as: UTF8.self)
        guard let decoded = OTLPTraceDecoder.spanID(text, byteCount: byteCount) else { throw Unread() }
        return decoded
    }

    /// Reads a count of nanoseconds written as a decimal string or a number.
    /// - Throws: ``ScannedSpanReader/Unread`` when it is missing, `null` or anything else, which
    ///   the tree path rejects.
    private func nanoseconds(_ value: JSONTextRange?) throws(Unread) -> Int64 {
        guard let value, let number = try Self.integer(value, bytes: bytes) else { throw Unread() }
        return number
    }

    private func isError(_ code: JSONTextRange?) throws(Unread) -> Bool {
        guard let code else { return false }
        switch code.kind {
        case .string where code.isASCII:
            return OTLPName.statusCodeError.equals(bytes, code.start, code.end)
        case .string, .escapedString:
            throw Unread()
        case .number:
            return ScannedFieldReader.exactInt64(UnsafeBufferPointer(rebasing: bytes[code.start..<code.end])) == 2
        default:
            return false
        }
    }
}

/// The attributes of one span that decoding reads, each the last one with its key, found in one
/// pass over the span's attributes instead of one pass per name.
struct ReadSpanAttributes {
    var operationName: JSONTextRange?
    var providerName: JSONTextRange?
    var system: JSONTextRange?
    var requestModel: JSONTextRange?
    var responseModel: JSONTextRange?
    var conversationID: JSONTextRange?
    var httpStatusCode: JSONTextRange?
    var inputTokens: JSONTextRange?
    var promptTokens: JSONTextRange?
    var outputTokens: JSONTextRange?
    var completionTokens: JSONTextRange?
    var cacheReadTokens: JSONTextRange?
    var cacheCreationTokens: JSONTextRange?
    var cacheWriteTokens: JSONTextRange?
    var reasoningTokens: JSONTextRange?

    /// Collects the values of `attributes`, whose keys are in `bytes`.
    init(_ attributes: ArraySlice<ScannedSpanReader.Attribute>, bytes: UnsafeBufferPointer<UInt8>) {
        for attribute in attributes {
            let start = attribute.keyStart
            let end = attribute.keyEnd
            let value = attribute.value
            if ("gen_ai.operation.name" as StaticString).equals(bytes, start, end) {
                operationName = value
            } else if ("gen_ai.provider.name" as StaticString).equals(bytes, start, end) {
                providerName = value
            } else if ("gen_ai.system" as StaticString).equals(bytes, start, end) {
                system = value
            } else if ("gen_ai.request.model" as StaticString).equals(bytes, start, end) {
                requestModel = value
            } else if ("gen_ai.response.model" as StaticString).equals(bytes, start, end) {
                responseModel = value
            } else if ("gen_ai.conversation.id" as StaticString).equals(bytes, start, end) {
                conversationID = value
            } else if ("http.response.status_code" as StaticString).equals(bytes, start, end) {
                httpStatusCode = value
            } else if ("gen_ai.usage.input_tokens" as StaticString).equals(bytes, start, end) {
                inputTokens = value
            } else if ("gen_ai.usage.prompt_tokens" as StaticString).equals(bytes, start, end) {
                promptTokens = value
            } else if ("gen_ai.usage.output_tokens" as StaticString).equals(bytes, start, end) {
                outputTokens = value
            } else if ("gen_ai.usage.completion_tokens" as StaticString).equals(bytes, start, end) {
                completionTokens = value
            } else if ("gen_ai.usage.cache_read.input_tokens" as StaticString).equals(bytes, start, end) {
                cacheReadTokens = value
            } else if ("gen_ai.usage.cache_creation.input_tokens" as StaticString).equals(bytes, start, end) {
                cacheCreationTokens = value
            } else if ("gen_ai.usage.cache_write.input_tokens" as StaticString).equals(bytes, start, end) {
                cacheWriteTokens = value
            } else if ("gen_ai.usage.reasoning.output_tokens" as StaticString).equals(bytes, start, end) {
                reasoningTokens = value
            }
        }
    }
}
