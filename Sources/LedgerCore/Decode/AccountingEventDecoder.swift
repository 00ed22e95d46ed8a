/// Decodes CLIProxyAPI accounting events v1, one JSON object per upstream attempt.
///
/// These come from proxy builds with the Go module path `/v8`, not yet in a tagged release.
/// `execution_id` is a random id per attempt, so it is the idempotency key. `account_id` and
/// `client_key_id` arrive already hashed with the derivations of ``SecretHasher`` and are kept
/// as given. The proxy's `estimate` (a list-price guess) and the raw `evidence` counters are not
/// read: the ledger prices events itself.
public enum AccountingEventDecoder {
    /// Whether `object` looks like an accounting event.
    public static func matches(_ object: JSONObject) -> Bool {
        object["execution_id"] != nil && object["schema_version"] != nil
    }

    /// Decodes one accounting event.
    /// - Parameter now: the current instant in nanoseconds, for the timestamp range check.
    /// - Throws: ``DecodeError`` for an unsupported `schema_version`, a missing or malformed
    ///   field, or an out-of-range timestamp.
    public static func decode(_ object: JSONObject, now: Int64) throws(DecodeError) -> CanonicalEvent {
        let record = FieldReader(object)
        guard let version = try record.int64("schema_version") else {
            throw DecodeError(.missingField, "schema_version is missing")
        }
        guard version == 1 else {
            throw DecodeError(.invalidField, "schema_version is \(version); only version 1 is accepted")
        }
        guard let executionID = try record.string("execution_id"), !executionID.isEmpty else {
            throw DecodeError(.missingField, "execution_id is missing or empty")
        }
        let startedAt = try TimestampField.read(object["started_at"], name: "started_at", now: now)
        let provider = try nonEmpty(record.string("provider")) ?? "unknown"
        let executedModel = try nonEmpty(record.string("executed_model"))
        let responseModel = try nonEmpty(record.string("response_model"))
        let model = executedModel ?? responseModel ?? "unknown"
        let (status, statusCode) = try outcome(record)
        let usage = try usage(record, provider: provider)

        var event = CanonicalEvent(
            key: EventKey(namespace: SourceShape.accountingEvent.rawValue, bytes: executionID.utf8),
            shape: .accountingEvent, provider: provider, model: model, startedAtNanoseconds: startedAt,
            status: status, buckets: usage.buckets, usageState: usage.state, quality: usage.quality)
        event.statusCode = statusCode
        event.requestedModel = try nonEmpty(record.string("requested_alias"))
        event.requestID = try nonEmpty(record.string("trace_id"))
        event.sessionID = try nonEmpty(record.string("session_id"))
        event.latencyMilliseconds = try record.milliseconds("latency_ms")
        event.clientKeyID = try hashedID(record, "client_key_id")
        event.accountID = try hashedID(record, "account_id")
        return event
    }

    /// Reads the status and the HTTP status code. `status_code` is absent on success, so a success
    /// without one is a 200. Without `status`, a code of 400 or more means `failed`.
    private static func outcome(_ record: FieldReader) throws(DecodeError) -> (EventStatus, Int?) {
        let reportedCode = try record.int64("status_code")
        if let reportedCode, reportedCode < 100 || reportedCode > 599 {
            throw DecodeError(.invalidField, "status_code is \(reportedCode), outside 100 to 599")
        }
        let code = reportedCode.map { Int($0) }
        let status: EventStatus
        if let text = try record.string("status") {
            guard let parsed = EventStatus(rawValue: text) else {
                throw DecodeError(
                    .invalidField, "status is not one of succeeded, failed, interrupted")
            }
            status = parsed
        } else if let code, code == 499 {
            status = .interrupted
        } else if let code, code >= 400 {
            status = .failed
        } else {
            status = .succeeded
        }
        if code == nil, status == .succeeded {
            return (status, 200)
        }
        return (status, code)
    }

    /// Buckets from `tokens`: `breakdown` when present, else the raw counters through the rules
    /// of the upstream class. `tokens` absent means no usage was seen.
    private static func usage(_ record: FieldReader, provider: String) throws(DecodeError) -> TokenBreakdown.Usage {
        guard let tokens = try record.object("tokens") else {
            return TokenBreakdown.Usage(buckets: .zero, state: .missing, quality: .complete)
        }
        if let breakdown = try tokens.object("breakdown") {
            var usage = try TokenBreakdown.read(breakdown)
            // Unlike a usage-queue record, an accounting event omits `tokens` when it saw no usage,
            // so zeros here are a reported zero.
            if usage.state == .missing {
                usage.state = .zero
            }
            return usage
        }
        let counts = RawTokenCounts(
            input: try tokens.tokenCount("input") ?? 0,
            output: try tokens.tokenCount("output") ?? 0,
            reasoning: try tokens.tokenCount("reasoning") ?? 0,
            cached: try tokens.tokenCount("cached") ?? 0,
            cacheRead: try tokens.tokenCount("cache_read"),
            cacheCreation: try tokens.tokenCount("cache_creation"),
            total: try tokens.tokenCount("total") ?? 0)
        if counts.isAllZero {
            return TokenBreakdown.Usage(buckets: .zero, state: .zero, quality: .complete)
        }
        let upstream = UpstreamClass(provider: provider, executorType: try record.string("executor_type"))
        let (buckets, quality) = upstream.buckets(from: counts)
        return TokenBreakdown.Usage(buckets: buckets, state: .present, quality: quality)
    }

    /// Reads an id that the proxy already hashed (64 hex digits) and returns it in lowercase.
    private static func hashedID(_ record: FieldReader, _ name: String) throws(DecodeError) -> String? {
        guard let text = try record.string(name), !text.isEmpty else { return nil }
        guard text.utf8.count == 64, text.utf8.allSatisfy(isHexDigit) else {
            throw DecodeError(.invalidField, "\(name) is not a SHA-256 digest of 64 hex digits")
        }
        return text.lowercased()
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
            UInt8(ascii: "A")...UInt8(ascii: "F"):
            return true
        default:
            return false
        }
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
