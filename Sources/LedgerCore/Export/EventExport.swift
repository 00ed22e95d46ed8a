/// The exported form of an event: tokenledger's normalized event v1 with additive keys.
///
/// tokenledger's six disjoint counters (`input_tokens` meaning uncached input, `output_tokens` with
/// reasoning included, cache write, cache read, tool input, tool output) come first in `usage`;
/// `reasoning_tokens` and `unclassified_tokens` are added beside them. tokenledger ignores keys it
/// does not know. The tool counters are the event's ``CanonicalEvent/toolInputTokens`` and
/// ``CanonicalEvent/toolOutputTokens``, taken out of `input_tokens` and `output_tokens`, so the
/// line decodes back to the same buckets. Only tokenledger normalized events carry tool tokens;
/// every other shape exports both tool counters as 0.
///
/// `cost_usd` is the recorded cost as an exact decimal string, `null` when the event is unpriced or
/// reported no usage. `cost_estimated` says whether part of it is an estimate, and `price_ref` names
/// the price entry and pricing-file hash that produced it (`null` when unpriced).
public enum EventExport {
    /// One JSON line (without its newline) for `event`.
    /// - Parameters:
    ///   - provider: the ledger provider key the event maps to.
    ///   - cost: the cost the store recorded; `nil` while the event is unpriced.
    public static func line(for event: CanonicalEvent, provider: String, cost: RecordedCost? = nil) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.string("provider", provider)
        writer.string("model", event.model)
        writer.string("session_id", event.sessionID)
        writer.string("timestamp", Timestamp.formatRFC3339(event.startedAtNanoseconds))
        writer.beginObject("usage")
        writer.integer("input_tokens", event.buckets.inputUncached &- event.toolInputTokens)
        writer.integer("output_tokens", event.buckets.output &- event.toolOutputTokens)
        writer.integer("cache_write_tokens", event.buckets.cacheWrite)
        writer.integer("cache_read_tokens", event.buckets.cacheRead)
        writer.integer("tool_input_tokens", event.toolInputTokens)
        writer.integer("tool_output_tokens", event.toolOutputTokens)
        writer.integer("reasoning_tokens", event.buckets.reasoning)
        writer.integer("unclassified_tokens", event.buckets.unclassified)
        writer.endObject()
        writer.string("event_key", event.key.description)
        writer.string("source", event.shape.rawValue)
        writer.string("upstream_provider", event.provider)
        writer.string("requested_model", event.requestedModel)
        writer.string("request_id", event.requestID)
        writer.string("status", event.status.rawValue)
        writer.integer("status_code", event.statusCode.map(Int64.init))
        writer.integer("latency_ms", event.latencyMilliseconds)
        writer.integer("ttft_ms", event.timeToFirstTokenMilliseconds)
        writer.string("usage_state", event.usageState.rawValue)
        writer.string("quality", event.quality.rawValue)
        writer.string("client_key_id", event.clientKeyID)
        writer.string("account_id", event.accountID)
        writer.string("auth_index", event.authIndex)
        writer.string("cost_usd", cost?.money?.description)
        writer.raw("cost_estimated", cost?.nanos == nil ? "null" : (cost?.isEstimated == true ? "true" : "false"))
        writer.string("price_ref", cost?.priceReference)
        writer.endObject()
        return writer.bytes
    }
}
