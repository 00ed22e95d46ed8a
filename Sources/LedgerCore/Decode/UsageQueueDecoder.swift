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
        let startedAt = try record.timestamp("timestamp", now: now)
        let provider = try record.string("provider").flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"
        let model = try record.string("model").flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"

        let failed = try record.bool("failed") ?? false
        let fail = try record.object("fail")
        let reportedCode = try fail?.int64("status_code").map { Int(clamping: $0) }
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

        // Every field is read before the event is created, because the compiler copied the event
        // on return when reads that can throw followed its creation.
        let requestedModel = try record.string("alias").flatMap { $0.isEmpty ? nil : $0 }
        let requestID = try record.string("request_id", interned: false).flatMap { $0.isEmpty ? nil : $0 }
        let latency = try record.milliseconds("latency_ms")
        let timeToFirstToken = try record.milliseconds("ttft_ms").flatMap { $0 > 0 ? $0 : nil }
        let authIndex = try record.string("auth_index").flatMap { $0.isEmpty ? nil : $0 }
        let clientKeyID = try record.secretID("api_key", kind: .client)
        let accountID = try record.secretID("source", kind: .account)

        var event = CanonicalEvent(
            key: EventKey(namespace: SourceShape.usageQueue.rawValue, bytes: rawLine),
            shape: .usageQueue, provider: provider, model: model, startedAtNanoseconds: startedAt,
            status: status, buckets: buckets, usageState: usageState, quality: quality)
        event.statusCode = statusCode
        event.requestedModel = requestedModel
        event.requestID = requestID
        event.latencyMilliseconds = latency
        event.timeToFirstTokenMilliseconds = timeToFirstToken
        event.authIndex = authIndex
        event.clientKeyID = clientKeyID
        event.accountID = accountID
        return event
    }

    private static func usage(
        _ record: some RecordFields, provider: String
    ) throws(DecodeError) -> (TokenBuckets, UsageState, UsageQuality) {
        if let breakdown = try record.object("token_breakdown") {
            let usage = try TokenBreakdown.read(breakdown)
            return (usage.buckets, usage.state, usage.quality)
        }
        guard let tokens = try record.object("tokens") else {
            return (.zero, .missing, .complete)
        }
        let counts = RawTokenCounts(
            input: try tokens.tokenCount("input_tokens") ?? 0,
            output: try tokens.tokenCount("output_tokens") ?? 0,
            reasoning: try tokens.tokenCount("reasoning_tokens") ?? 0,
            cached: try tokens.tokenCount("cached_tokens") ?? 0,
            cacheRead: try tokens.tokenCount("cache_read_tokens"),
            cacheCreation: try tokens.tokenCount("cache_creation_tokens"),
            total: try tokens.tokenCount("total_tokens") ?? 0)
        // The proxy publishes zeros when it saw no usage, so all-zero counts mean missing, not free.
        if counts.isAllZero {
            return (.zero, .missing, .complete)
        }
        let upstream = UpstreamClass(provider: provider, executorType: try record.string("executor_type"))
        let (buckets, quality) = upstream.buckets(from: counts)
        return (buckets, .present, quality)
    }
}
