/// Decodes OTLP/JSON trace lines (`ExportTraceServiceRequest`, one per line, as the
/// OpenTelemetry Collector file exporter writes them) into one event per GenAI span.
///
/// A span is a GenAI span when it carries a `gen_ai.usage.*` attribute or
/// `gen_ai.operation.name`. Attributes are read from the span itself; resource attributes
/// contribute only `service.name` and `host.name`.
public enum OTLPTraceDecoder {
    /// Whether `object` looks like an OTLP trace export.
    public static func matches(_ object: JSONObject) -> Bool {
        object["resourceSpans"] != nil
    }

    /// Decodes every GenAI span of one line. A malformed span becomes a reject and does not
    /// stop the others.
    public static func decode(_ object: JSONObject, now: Int64) -> LineOutcome {
        var outcome = LineOutcome()
        guard let resourceSpans = object["resourceSpans"]?.arrayValue else {
            outcome.rejects.append(DecodeError(.invalidField, "resourceSpans is not an array"))
            return outcome
        }
        // Each span's attributes are flattened once, for the aggregating-span pass and the decoding.
        var spans: [SpanEntry] = []
        for (resourceIndex, resourceSpan) in resourceSpans.enumerated() {
            let resource = attributes(of: resourceSpan["resource"])
            let serviceName = resource["service.name"]?.stringValue
            let hostName = resource["host.name"]?.stringValue
            for (scopeIndex, scopeSpan) in (resourceSpan["scopeSpans"]?.arrayValue ?? []).enumerated() {
                for (spanIndex, span) in (scopeSpan["spans"]?.arrayValue ?? []).enumerated() {
                    spans.append(
                        SpanEntry(
                            span: span, attributes: attributes(of: span),
                            location: SpanLocation(resource: resourceIndex, scope: scopeIndex, span: spanIndex),
                            serviceName: serviceName, hostName: hostName))
                }
            }
        }
        let aggregatingSpans = aggregatingSpanIDs(spans)
        for entry in spans {
            if let spanText = entry.span["spanId"]?.stringValue, aggregatingSpans.contains(spanText) {
                // An agent span repeats the usage of its child LLM spans: only leaves count.
                outcome.aggregatingSpansSkipped += 1
                continue
            }
            do {
                guard var event = try decodeSpan(entry, now: now) else { continue }
                event.serviceName = entry.serviceName
                event.hostName = entry.hostName
                outcome.events.append(event)
            } catch {
                outcome.rejects.append(error)
            }
        }
        return outcome
    }

    /// One span of a line with its flattened attributes and the attributes of its resource that
    /// events keep.
    struct SpanEntry {
        var span: JSONValue
        var attributes: [String: JSONValue]
        /// Whether the span has a `gen_ai.usage.*` attribute.
        var hasUsage: Bool
        var location: SpanLocation
        var serviceName: String?
        var hostName: String?

        init(
            span: JSONValue, attributes: [String: JSONValue], location: SpanLocation, serviceName: String?,
            hostName: String?
        ) {
            self.span = span
            self.attributes = attributes
            self.hasUsage = attributes.keys.contains { $0.hasPrefix("gen_ai.usage.") }
            self.location = location
            self.serviceName = serviceName
            self.hostName = hostName
        }
    }

    /// The position of a span in its line, written out only for a message, such as
    /// `resourceSpans[0].scopeSpans[1].spans[2]`.
    struct SpanLocation: CustomStringConvertible {
        var resource: Int
        var scope: Int
        var span: Int

        var description: String {
            "resourceSpans[\(resource)].scopeSpans[\(scope)].spans[\(span)]"
        }
    }

    /// The span ids (as written) of spans that are the parent of another span with GenAI usage in
    /// the same line. Such a span's own usage, if any, is the sum of its children's.
    static func aggregatingSpanIDs(_ spans: [SpanEntry]) -> Set<String> {
        var parents: Set<String> = []
        for entry in spans {
            guard let parent = entry.span["parentSpanId"]?.stringValue, !parent.isEmpty else { continue }
            if entry.hasUsage {
                parents.insert(parent)
            }
        }
        guard !parents.isEmpty else { return [] }
        var aggregating: Set<String> = []
        for entry in spans {
            guard let spanID = entry.span["spanId"]?.stringValue, parents.contains(spanID) else { continue }
            if entry.hasUsage {
                aggregating.insert(spanID)
            }
        }
        return aggregating
    }

    private static func decodeSpan(_ entry: SpanEntry, now: Int64) throws(DecodeError) -> CanonicalEvent? {
        let span = entry.span
        let location = entry.location
        guard span.objectValue != nil else {
            throw DecodeError(.invalidField, "\(location) is not an object")
        }
        let attributes = entry.attributes
        guard entry.hasUsage || attributes["gen_ai.operation.name"] != nil else {
            return nil
        }

        guard let traceText = span["traceId"]?.stringValue, let traceID = spanID(traceText, byteCount: 16) else {
            throw DecodeError(.invalidField, "\(location).traceId is not 16 bytes in hex or base64")
        }
        guard let spanText = span["spanId"]?.stringValue, let spanID = spanID(spanText, byteCount: 8) else {
            throw DecodeError(.invalidField, "\(location).spanId is not 8 bytes in hex or base64")
        }
        let start = try nanoseconds(span["startTimeUnixNano"], location: location, field: "startTimeUnixNano")
        if start < Timestamp.earliestAccepted || start > Timestamp.latestAccepted(now: now) {
            // The field name is written out only for the error that this call throws.
            try TimestampField.checkRange(
                start, name: "\(location).startTimeUnixNano", spelling: String(start), now: now)
        }
        let end = try span["endTimeUnixNano"].map { value throws(DecodeError) in
            try nanoseconds(value, location: location, field: "endTimeUnixNano")
        }

        let provider = attributes["gen_ai.provider.name"]?.stringValue ?? attributes["gen_ai.system"]?.stringValue
        let requestModel = attributes["gen_ai.request.model"]?.stringValue
        let responseModel = attributes["gen_ai.response.model"]?.stringValue
        let failed = isError(span["status"])

        let usage = try readUsage(attributes, location: location)
        if let end {
            guard end >= start, end - start <= FieldReader.maximumMilliseconds * 1_000_000 else {
                throw DecodeError(
                    .invalidField, "\(location) ends before it starts or lasts longer than 7 days")
            }
        }
        return makeEvent(
            traceID: traceID, spanID: spanID, start: start, end: end, provider: provider,
            requestModel: requestModel, responseModel: responseModel,
            sessionID: attributes["gen_ai.conversation.id"]?.stringValue, failed: failed, usage: usage,
            statusCode: attributes["http.response.status_code"].flatMap(integer))
    }

    /// Makes the event of one GenAI span whose fields have all been read and checked, `end` included.
    static func makeEvent(
        traceID: [UInt8], spanID: [UInt8], start: Int64, end: Int64?, provider: String?, requestModel: String?,
        responseModel: String?, sessionID: String?, failed: Bool, usage: Usage, statusCode: Int64?
    ) -> CanonicalEvent {
        var event = CanonicalEvent(
            key: EventKey(namespace: SourceShape.otlpSpan.rawValue, bytes: traceID + spanID),
            shape: .otlpSpan, provider: nonEmpty(provider) ?? "unknown",
            model: nonEmpty(responseModel) ?? nonEmpty(requestModel) ?? "unknown",
            startedAtNanoseconds: start, status: failed ? .failed : .succeeded,
            buckets: usage.buckets, usageState: usage.state, quality: usage.quality)
        event.requestedModel = nonEmpty(requestModel)
        event.sessionID = nonEmpty(sessionID)
        event.requestID = requestID(traceID: traceID, spanID: spanID)
        if let end {
            event.latencyMilliseconds = (end - start + 500_000) / 1_000_000
        }
        if let statusCode {
            event.statusCode = Int(clamping: statusCode)
        }
        return event
    }

    /// Returns `traceId:spanId` in lowercase hex, written into one string instead of joining three.
    static func requestID(traceID: [UInt8], spanID: [UInt8]) -> String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 2 * (traceID.count + spanID.count) + 1) { output in
            let table = digits.utf8Start
            var position = 0
            func append(_ byte: UInt8) {
                output[position] = table[Int(byte >> 4)]
                output[position + 1] = table[Int(byte & 0x0F)]
                position += 2
            }
            for byte in traceID {
                append(byte)
            }
            output[position] = UInt8(ascii: ":")
            position += 1
            for byte in spanID {
                append(byte)
            }
            return position
        }
    }

    struct Usage {
        var buckets: TokenBuckets
        var state: UsageState
        var quality: UsageQuality
    }

    /// Maps semantic-convention counters, where input includes cache reads and writes and output
    /// includes reasoning, onto disjoint buckets.
    private static func readUsage(
        _ attributes: [String: JSONValue], location: SpanLocation
    ) throws(DecodeError) -> Usage {
        // Two names at most, and no list of them, which would allocate an array for every call.
        func count(_ name: String, _ alternative: String? = nil) throws(DecodeError) -> Int64? {
            if let value = attributes[name] {
                return try checkedCount(value, name: name)
            }
            if let alternative, let value = attributes[alternative] {
                return try checkedCount(value, name: alternative)
            }
            return nil
        }
        func checkedCount(_ value: JSONValue, name: String) throws(DecodeError) -> Int64 {
            guard let number = integer(value) else {
                throw DecodeError(.invalidField, "\(location) attribute \(name) is not an integer")
            }
            guard number >= 0, number <= FieldReader.maximumTokenCount else {
                throw DecodeError(
                    .invalidField,
                    "\(location) attribute \(name) is \(number), outside 0 to \(FieldReader.maximumTokenCount)")
            }
            return number
        }
        let input = try count("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
        let output = try count("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
        let cacheRead = try count("gen_ai.usage.cache_read.input_tokens")
        let cacheWrite = try count(
            "gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_write.input_tokens")
        let reasoning = try count("gen_ai.usage.reasoning.output_tokens")
        return usage(
            input: input, output: output, cacheRead: cacheRead, cacheWrite: cacheWrite, reasoning: reasoning)
    }

    /// Maps the checked counters of one span onto disjoint buckets; `nil` for an absent counter.
    static func usage(
        input: Int64?, output: Int64?, cacheRead: Int64?, cacheWrite: Int64?, reasoning: Int64?
    ) -> Usage {
        guard input != nil || output != nil || cacheRead != nil || cacheWrite != nil || reasoning != nil else {
            return Usage(buckets: .zero, state: .missing, quality: .complete)
        }
        let buckets = TokenBuckets(
            inputUncached: (input ?? 0) &- (cacheRead ?? 0) &- (cacheWrite ?? 0),
            cacheRead: cacheRead ?? 0, cacheWrite: cacheWrite ?? 0, output: output ?? 0,
            reasoning: reasoning ?? 0)
        if buckets.hasNegative || buckets.reasoning > buckets.output {
            let reportedTotal = max(input ?? 0, 0) &+ max(output ?? 0, 0)
            return Usage(buckets: TokenBuckets(unclassified: reportedTotal), state: .present, quality: .inconsistent)
        }
        return Usage(buckets: buckets, state: buckets.isZero ? .zero : .present, quality: .complete)
    }

    /// Flattens `attributes: [{key, value: {stringValue|intValue|…}}]` into a dictionary of the
    /// inner values. Later duplicates win.
    static func attributes(of holder: JSONValue?) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for attribute in holder?["attributes"]?.arrayValue ?? [] {
            guard let key = attribute["key"]?.stringValue, let wrapper = attribute["value"]?.objectValue else {
                continue
            }
            if let value = wrapper.members.first?.value {
                result[key] = value
            }
        }
        return result
    }

    /// An `intValue` as OTLP/JSON writes it (a decimal string), or a plain JSON integer.
    private static func integer(_ value: JSONValue) -> Int64? {
        value.int64Value ?? value.stringValue.flatMap { Int64($0) }
    }

    private static func nanoseconds(
        _ value: JSONValue?, location: SpanLocation, field: String
    ) throws(DecodeError) -> Int64 {
        guard let value, !value.isNull else {
            throw DecodeError(.missingField, "\(location).\(field) is missing")
        }
        guard let number = integer(value) else {
            throw DecodeError(.invalidField, "\(location).\(field) is not a decimal count of nanoseconds")
        }
        return number
    }

    /// Decodes a trace or span id written as hex (the OTLP/JSON rule) or base64 (protobuf's JSON
    /// mapping, which some producers keep).
    static func spanID(_ text: String, byteCount: Int) -> [UInt8]? {
        if text.utf8.count == byteCount * 2, let bytes = HexEncoding.decode(text) {
            return bytes.allSatisfy({ $0 == 0 }) ? nil : bytes
        }
        if let bytes = Base64.decode(text), bytes.count == byteCount {
            return bytes.allSatisfy({ $0 == 0 }) ? nil : bytes
        }
        return nil
    }

    private static func isError(_ status: JSONValue?) -> Bool {
        guard let code = status?["code"] else { return false }
        return code.stringValue == "STATUS_CODE_ERROR" || code.int64Value == 2
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
