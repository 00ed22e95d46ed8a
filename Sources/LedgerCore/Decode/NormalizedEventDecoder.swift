/// Decodes tokenledger normalized events v1: `provider`, `model`, `session_id`, `timestamp` and
/// `usage` with six disjoint counters.
///
/// `usage.input_tokens` is uncached input. The counters map onto buckets as follows:
/// `input_tokens` + `tool_input_tokens` → `input_uncached`, `cache_read_tokens` → `cache_read`,
/// `cache_write_tokens` → `cache_write`, `output_tokens` + `tool_output_tokens` → `output`. The
/// tool parts are also kept in ``CanonicalEvent/toolInputTokens`` and
/// ``CanonicalEvent/toolOutputTokens``, because the canonical buckets have no tool bucket and
/// tokenledger bills tool tokens at the pricing file's tool rates (see
/// ``CanonicalEvent/billableTokens``).
///
/// The shape has no event id, so the key is a hash of the line. `usage.reasoning_tokens` and
/// `usage.unclassified_tokens`, which tokenledgerd's own export adds, are read when present, so
/// an exported event decodes back to the same buckets. `reasoning_tokens` must not exceed
/// `output_tokens`, the output without the tool part.
public enum NormalizedEventDecoder {
    /// Whether `object` looks like a normalized event: a `usage` object, a `timestamp` and no
    /// usage-queue `tokens`.
    public static func matches(_ object: JSONObject) -> Bool {
        object["usage"]?.objectValue != nil && object["timestamp"] != nil && object["tokens"] == nil
    }

    /// Decodes one event.
    /// - Parameters:
    ///   - keyBytes: the bytes the event key is hashed from: the line without its newline.
    ///   - now: the current instant in nanoseconds, for the timestamp range check.
    /// - Throws: ``DecodeError`` for a missing provider, model or timestamp, or a malformed counter.
    public static func decode(
        _ object: JSONObject, keyBytes: some Collection<UInt8>, now: Int64
    ) throws(DecodeError) -> CanonicalEvent {
        let record = FieldReader(object)
        let startedAt = try TimestampField.read(object["timestamp"], name: "timestamp", now: now)
        guard let provider = try record.string("provider"), !provider.isEmpty else {
            throw DecodeError(.missingField, "provider is missing or empty")
        }
        guard let model = try record.string("model"), !model.isEmpty else {
            throw DecodeError(.missingField, "model is missing or empty")
        }
        guard let usage = try record.object("usage") else {
            throw DecodeError(.missingField, "usage is missing")
        }
        let names = [
            "input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens", "tool_input_tokens",
            "tool_output_tokens",
        ]
        let hasCounter = names.contains { usage.contains($0) }
        let toolInput = try usage.tokenCount("tool_input_tokens") ?? 0
        let toolOutput = try usage.tokenCount("tool_output_tokens") ?? 0
        let outputTokens = try usage.tokenCount("output_tokens") ?? 0
        let reasoning = try usage.tokenCount("reasoning_tokens") ?? 0
        // Reasoning is a part of `output_tokens`, never of the tool output, so pricing can take the
        // tool output out of the `output` bucket and keep the reasoning inside what remains.
        guard reasoning <= outputTokens else {
            throw DecodeError(.invalidField, "usage.reasoning_tokens is larger than usage.output_tokens")
        }
        let buckets = TokenBuckets(
            inputUncached: (try usage.tokenCount("input_tokens") ?? 0) + toolInput,
            cacheRead: try usage.tokenCount("cache_read_tokens") ?? 0,
            cacheWrite: try usage.tokenCount("cache_write_tokens") ?? 0,
            output: outputTokens + toolOutput, reasoning: reasoning,
            unclassified: try usage.tokenCount("unclassified_tokens") ?? 0)
        var state = UsageState.missing
        if hasCounter {
            state = buckets.isZero ? .zero : .present
        }

        var event = CanonicalEvent(
            key: EventKey(namespace: SourceShape.normalizedEvent.rawValue, bytes: keyBytes),
            shape: .normalizedEvent, provider: provider, model: model, startedAtNanoseconds: startedAt,
            status: .succeeded, buckets: buckets, usageState: state, quality: .complete)
        event.sessionID = try record.string("session_id").flatMap { $0.isEmpty ? nil : $0 }
        event.toolInputTokens = toolInput
        event.toolOutputTokens = toolOutput
        return event
    }
}
