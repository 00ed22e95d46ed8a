import Glibc

/// Decodes one spool line: parses it, recognizes its shape and hands it to that shape's decoder.
public struct LineDecoder: Sendable {
    /// Lines longer than this many bytes are rejected without parsing.
    public var maximumLineLength: Int

    /// Creates a decoder.
    public init(maximumLineLength: Int = 4 << 20) {
        self.maximumLineLength = maximumLineLength
    }

    /// Decodes `line`, which excludes its newline.
    ///
    /// Surrounding whitespace (a CRLF line end's CR included) and a leading UTF-8 byte-order mark
    /// are not part of the record: they are dropped before parsing and before hashing, so a copy
    /// with other line ends or trailing spaces keeps its event keys.
    /// - Parameter now: the current instant in nanoseconds since the epoch, for range checks.
    public func decode(_ rawLine: UnsafeBufferPointer<UInt8>, now: Int64) -> LineOutcome {
        decode(rawLine, now: now, cache: DecodeCache())
    }

    /// Decodes `line`, which excludes its newline, reusing `cache` from earlier lines.
    ///
    /// A usage-queue record or an OTLP trace export is read straight from its bytes when that
    /// gives exactly the events of its parsed tree. Every other line, rejects included, is parsed
    /// into a tree.
    /// - Parameter now: the current instant in nanoseconds since the epoch, for range checks.
    public func decode(_ rawLine: UnsafeBufferPointer<UInt8>, now: Int64, cache: DecodeCache) -> LineOutcome {
        switch decodeLine(rawLine, now: now, cache: cache) {
        case .event(let event): return LineOutcome(events: [event])
        case .outcome(let outcome): return outcome
        }
    }

    /// The result of ``decodeLine(_:now:cache:)`` for one line.
    public enum DecodedLine: Sendable {
        /// The one event of a usage-queue record read straight from its bytes.
        case event(CanonicalEvent)
        /// The events and rejects of any other line.
        case outcome(LineOutcome)
    }

    /// Decodes `line` as ``decode(_:now:cache:)`` does, and returns a usage-queue record's event
    /// without the array of a ``LineOutcome``, which would be allocated for every such line.
    /// - Parameter now: the current instant in nanoseconds since the epoch, for range checks.
    public func decodeLine(_ rawLine: UnsafeBufferPointer<UInt8>, now: Int64, cache: DecodeCache) -> DecodedLine {
        var scanned: CanonicalEvent?
        if let outcome = decodeLine(rawLine, now: now, cache: cache, scannedEvent: { scanned = $0 }) {
            return .outcome(outcome)
        }
        // A nil outcome means that the closure received the usage-queue record's event.
        return .event(scanned.take().unsafelyUnwrapped)
    }

    /// Decodes `line` as ``decodeLine(_:now:cache:)`` does. Passes a usage-queue record's event
    /// to `scannedEvent` and returns `nil`, or returns the outcome of any other line.
    ///
    /// The event is passed to a closure that consumes it instead of being returned in a
    /// ``DecodedLine``, because taking it out of the enum case copied the event and its strings.
    public func decodeLine(
        _ rawLine: UnsafeBufferPointer<UInt8>, now: Int64, cache: DecodeCache,
        scannedEvent: (consuming CanonicalEvent) -> Void
    ) -> LineOutcome? {
        let line = Self.trimmed(rawLine)
        guard line.count <= maximumLineLength else {
            return LineOutcome(rejects: [
                DecodeError(.lineTooLong, "line of \(line.count) bytes exceeds the limit of \(maximumLineLength)")
            ])
        }
        var event = UsageQueueDecoder.emptyEvent
        if UsageQueueDecoder.decodeScanned(line, now: now, cache: cache, into: &event) {
            // Without `consume`, Swift 6.3.1 copied the event into the call and destroyed the original.
            scannedEvent(consume event)
            return nil
        }
        if let outcome = OTLPTraceDecoder.decodeScanned(line, now: now, cache: cache) {
            return outcome
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(buffer: line)
        } catch {
            return LineOutcome(rejects: [DecodeError(.invalidJSON, error.description)])
        }
        return Self.decode(value, keyBytes: line, now: now)
    }

    /// Decodes one parsed record of any accepted shape.
    ///
    /// Shapes are tried in this order: OTLP trace export (`resourceSpans`), accounting event
    /// (`execution_id` and `schema_version`), legacy statistics export (`usage.apis`), usage-queue
    /// record (`timestamp`, `tokens`, and `provider` or `model`), normalized event (`usage` and
    /// `timestamp`).
    /// - Parameters:
    ///   - keyBytes: the bytes that shapes without an id of their own hash into the event key:
    ///     the trimmed line, or the record's ``JSONValue/compactBytes`` when it was not read as a line.
    ///   - now: the current instant in nanoseconds since the epoch, for range checks.
    public static func decode(_ value: JSONValue, keyBytes: some Collection<UInt8>, now: Int64) -> LineOutcome {
        rejectingNULCharacters(decodeShape(value, keyBytes: keyBytes, now: now))
    }

    /// Moves the events with a NUL character in a text field to the rejects. SQLite text ends at
    /// the first NUL, so such a value would be stored shortened, as another provider or model.
    static func rejectingNULCharacters(_ outcome: LineOutcome) -> LineOutcome {
        guard outcome.events.contains(where: { $0.fieldWithNULCharacter != nil }) else { return outcome }
        var result = outcome
        result.events = []
        for event in outcome.events {
            if let field = event.fieldWithNULCharacter {
                result.rejects.append(
                    DecodeError(.invalidField, "\(field) contains a NUL character (\\u0000), which is not stored"))
            } else {
                result.events.append(event)
            }
        }
        return result
    }

    private static func decodeShape(_ value: JSONValue, keyBytes: some Collection<UInt8>, now: Int64) -> LineOutcome {
        guard let object = value.objectValue else {
            return LineOutcome(rejects: [
                DecodeError(.unknownShape, "record is a JSON \(kind(of: value)), not an object")
            ])
        }
        if OTLPTraceDecoder.matches(object) {
            return OTLPTraceDecoder.decode(object, now: now)
        }
        do throws(DecodeError) {
            if AccountingEventDecoder.matches(object) {
                return LineOutcome(events: [try AccountingEventDecoder.decode(object, now: now)])
            }
            if LegacyExportDecoder.matches(object) {
                return LegacyExportDecoder.decode(object, now: now)
            }
            if GapMarkerDecoder.matches(object) {
                let gap = try GapMarkerDecoder.decode(object, rawLine: keyBytes, now: now)
                var event = CanonicalEvent(
                    key: gap.key, shape: .gapMarker, provider: "tokenledgerd", model: "gap",
                    startedAtNanoseconds: gap.marker.sinceNanoseconds, status: .failed, buckets: .zero,
                    usageState: .missing, quality: .complete)
                event.requestID = gap.marker.reason
                event.latencyMilliseconds = gap.marker.windowMilliseconds
                return LineOutcome(events: [event])
            }
            if UsageQueueDecoder.matches(object) {
                return LineOutcome(events: [try UsageQueueDecoder.decode(object, rawLine: keyBytes, now: now)])
            }
            if NormalizedEventDecoder.matches(object) {
                return LineOutcome(events: [try NormalizedEventDecoder.decode(object, keyBytes: keyBytes, now: now)])
            }
        } catch {
            return LineOutcome(rejects: [error])
        }
        let names = object.keys.prefix(8).map(Redactor.identifier).joined(separator: ",")
        return LineOutcome(rejects: [
            DecodeError(.unknownShape, "object with keys [\(names)] matches no accepted shape")
        ])
    }

    /// `line` without surrounding ASCII whitespace and without a leading byte-order mark.
    public static func trimmed(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0
        var end = line.count
        if end >= 3, line[0] == 0xEF, line[1] == 0xBB, line[2] == 0xBF {
            start = 3
        }
        while start < end, isWhitespace(line[start]) { start += 1 }
        while end > start, isWhitespace(line[end - 1]) { end -= 1 }
        return UnsafeBufferPointer(rebasing: line[start..<end])
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }

    /// Decodes a line held in an array.
    public func decode(_ line: [UInt8], now: Int64) -> LineOutcome {
        line.withUnsafeBufferPointer { decode($0, now: now) }
    }

    /// The JSON type of `value` in words, for messages.
    static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "Boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension CanonicalEvent {
    /// The name of the first text field that contains a NUL character, `nil` when none does.
    var fieldWithNULCharacter: String? {
        // Tested one by one, because an array of the fields would be allocated for every event.
        if Self.hasNULCharacter(provider) { return "provider" }
        if Self.hasNULCharacter(model) { return "model" }
        if Self.hasNULCharacter(requestedModel) { return "requested_model" }
        if Self.hasNULCharacter(sessionID) { return "session_id" }
        if Self.hasNULCharacter(requestID) { return "request_id" }
        if Self.hasNULCharacter(clientKeyID) { return "client_key_id" }
        if Self.hasNULCharacter(accountID) { return "account_id" }
        if Self.hasNULCharacter(authIndex) { return "auth_index" }
        if Self.hasNULCharacter(serviceName) { return "service_name" }
        if Self.hasNULCharacter(hostName) { return "host_name" }
        return nil
    }

    /// Returns whether `text` contains a NUL character, found with `memchr` in the bytes of a
    /// native string.
    private static func hasNULCharacter(_ text: String?) -> Bool {
        guard let text else { return false }
        let found = text.utf8.withContiguousStorageIfAvailable { bytes in
            guard let base = bytes.baseAddress else { return false }
            return memchr(base, 0, bytes.count) != nil
        }
        return found ?? text.utf8.contains(0)
    }
}
