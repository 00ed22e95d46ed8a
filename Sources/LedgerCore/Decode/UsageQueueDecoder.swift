/// Decodes CLIProxyAPI usage-queue records, from v6.9.38 to v7.2.140.
///
/// One record is one upstream attempt. `token_breakdown` (v7.2.97+) is used when present;
/// older records go through the per-upstream rules of ``UpstreamClass``.
public enum UsageQueueDecoder {
    /// Whether `object` looks like a usage-queue record.
    public static func matches(_ object: JSONObject) -> Bool {
        object["timestamp"] != nil && object["tokens"] != nil && (object["provider"] != nil || object["model"] != nil)
    }

    /// Decodes one record.
    /// - Parameters:
    ///   - rawLine: the line's bytes without its newline; the event key is a hash of them,
    ///     because no field of the record is unique.
    ///   - now: the current instant in nanoseconds, for the timestamp range check.
    /// - Throws: ``DecodeError`` for a missing or malformed field or an out-of-range timestamp.
    public static func decode(
        _ object: JSONObject, rawLine: some Collection<UInt8>, now: Int64
    ) throws(DecodeError) -> CanonicalEvent {
        try decode(fields: FieldReader(object), rawLine: rawLine, now: now)
    }

    /// Decodes one record read through `record`, a parsed tree or a scanned line.
    static func decode(
        fields record: some RecordFields, rawLine: some Collection<UInt8>, now: Int64
    ) throws(DecodeError) -> CanonicalEvent {
        var event = emptyEvent
        try decode(fields: record, rawLine: rawLine, now: now, into: &event)
        return event
    }

    /// An event with a zero key and no usage, whose fields ``decode(fields:rawLine:now:into:)`` overwrites.
    static var emptyEvent: CanonicalEvent {
        CanonicalEvent(
            key: EventKey(high: 0, low: 0), shape: .usageQueue, provider: "", model: "", startedAtNanoseconds: 0,
            status: .succeeded, buckets: .zero, usageState: .missing, quality: .complete)
    }

    /// Decodes one record read through `record` into `event`, whose fields that a usage-queue
    /// record does not set must be those of ``emptyEvent``.
    ///
    /// It sets the fields of `event` in place. Building a new event and returning it compiled, in
    /// Swift 6.3.1, to a copy of the whole event that retained and released each of its strings.
    /// - Throws: ``DecodeError`` as ``decode(_:rawLine:now:)`` does, before it changes `event`.
    static func decode(
        fields record: some RecordFields, rawLine: some Collection<UInt8>, now: Int64,
        into event: inout CanonicalEvent
    ) throws(DecodeError) {
        let names = UsageQueueFieldNames.shared
        let startedAt = try record.timestamp(names.timestamp, now: now)
        let provider = try record.string(names.provider).flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"
        let model = try record.string(names.model).flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"

        let failed = try record.bool(names.failed) ?? false
        let fail = try record.object(names.fail)
        let reportedCode = try fail?.int64(names.statusCode).map { Int(clamping: $0) }
        let statusCode: Int?
        if let reportedCode, reportedCode > 0 {
            statusCode = reportedCode
        } else {
            // Records before v7.0.0 carry no status code; a success is then known to be a 200.
            statusCode = failed ? nil : 200
        }
        let status: EventStatus
        if !failed {
            status = .succeeded
        } else if statusCode == 499 {
            status = .interrupted
        } else {
            status = .failed
        }

        let (buckets, usageState, quality) = try usage(record, provider: provider)

        // Every field is read before `event` changes, so that a record that throws leaves it as
        // it was.
        let requestedModel = try record.string(names.alias).flatMap { $0.isEmpty ? nil : $0 }
        let requestID = try record.string(names.requestID, interned: false).flatMap { $0.isEmpty ? nil : $0 }
        let latency = try record.milliseconds(names.latency)
        let timeToFirstToken = try record.milliseconds(names.timeToFirstToken).flatMap { $0 > 0 ? $0 : nil }
        let authIndex = try record.string(names.authIndex).flatMap { $0.isEmpty ? nil : $0 }
        let clientKeyID = try record.secretID(names.apiKey, kind: .client)
        let accountID = try record.secretID(names.source, kind: .account)

        event.key = EventKey(namespace: SourceShape.usageQueue.rawValue, bytes: rawLine)
        event.shape = .usageQueue
        event.provider = provider
        event.model = model
        event.startedAtNanoseconds = startedAt
        event.status = status
        event.buckets = buckets
        event.usageState = usageState
        event.quality = quality
        event.statusCode = statusCode
        event.requestedModel = requestedModel
        event.requestID = requestID
        event.latencyMilliseconds = latency
        event.timeToFirstTokenMilliseconds = timeToFirstToken
        event.authIndex = authIndex
        event.clientKeyID = clientKeyID
        event.accountID = accountID
    }

    private static func usage(
        _ record: some RecordFields, provider: String
    ) throws(DecodeError) -> (TokenBuckets, UsageState, UsageQuality) {
        let names = UsageQueueFieldNames.shared
        if let breakdown = try record.object(names.tokenBreakdown) {
            let usage = try TokenBreakdown.read(breakdown)
            return (usage.buckets, usage.state, usage.quality)
        }
        guard let tokens = try record.object(names.tokens) else {
            return (.zero, .missing, .complete)
        }
        let counts = RawTokenCounts(
            input: try tokens.tokenCount(names.inputTokens) ?? 0,
            output: try tokens.tokenCount(names.outputTokens) ?? 0,
            reasoning: try tokens.tokenCount(names.reasoningTokens) ?? 0,
            cached: try tokens.tokenCount(names.cachedTokens) ?? 0,
            cacheRead: try tokens.tokenCount(names.cacheReadTokens),
            cacheCreation: try tokens.tokenCount(names.cacheCreationTokens),
            total: try tokens.tokenCount(names.totalTokens) ?? 0)
        // The proxy publishes zeros when it saw no usage, so all-zero counts mean missing, not free.
        if counts.isAllZero {
            return (.zero, .missing, .complete)
        }
        let upstream = UpstreamClass(provider: provider, executorType: try record.string(names.executorType))
        let (buckets, quality) = upstream.buckets(from: counts)
        return (buckets, .present, quality)
    }
}

/// The members a usage-queue record is read from, and those that mark another shape, with their
/// fingerprints computed once. One shared instance, because in a release build every access to a
/// static `let` called `swift_once`, and a decoder reads about 30 names per line.
final class UsageQueueFieldNames: Sendable {
    static let shared = UsageQueueFieldNames()

    let timestamp = FieldName("timestamp")
    let provider = FieldName("provider")
    let model = FieldName("model")
    let failed = FieldName("failed")
    let fail = FieldName("fail")
    let statusCode = FieldName("status_code")
    let alias = FieldName("alias")
    let requestID = FieldName("request_id")
    let latency = FieldName("latency_ms")
    let timeToFirstToken = FieldName("ttft_ms")
    let authIndex = FieldName("auth_index")
    let apiKey = FieldName("api_key")
    let source = FieldName("source")
    let tokenBreakdown = FieldName("token_breakdown")
    let tokens = FieldName("tokens")
    let inputTokens = FieldName("input_tokens")
    let outputTokens = FieldName("output_tokens")
    let reasoningTokens = FieldName("reasoning_tokens")
    let cachedTokens = FieldName("cached_tokens")
    let cacheReadTokens = FieldName("cache_read_tokens")
    let cacheCreationTokens = FieldName("cache_creation_tokens")
    let totalTokens = FieldName("total_tokens")
    let executorType = FieldName("executor_type")
    let resourceSpans = FieldName("resourceSpans")
    let executionID = FieldName("execution_id")
    let usage = FieldName("usage")
    /// ``GapMarker/memberName``, which is a `String` and so cannot make a `FieldName` itself.
    let gapMarker = FieldName("tokenledgerd_gap")
}
