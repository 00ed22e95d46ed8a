/// Reads CLIProxyAPI's non-overlapping token buckets: `token_breakdown` in usage-queue records
/// (v7.2.97 and later) and `tokens.breakdown` in accounting events.
///
/// The object contains `input.{uncached_tokens, cache_read_tokens, cache_write_tokens}`,
/// `output.{non_reasoning_tokens, reasoning_tokens}`, `unclassified_tokens`, `total_tokens` and
/// `quality`. Output is rebuilt as non-reasoning plus reasoning, so reasoning is never added twice.
enum TokenBreakdown {
    /// Buckets, usage state and quality read from one breakdown object.
    struct Usage {
        var buckets: TokenBuckets
        var state: UsageState
        var quality: UsageQuality
    }

    /// Reads `breakdown`; all-zero buckets give usage state `missing`, because the proxy fills
    /// the breakdown with zeros when it saw no usage.
    /// - Throws: ``DecodeError`` for a count that is not an integer from 0 to 10^12.
    static func read(_ breakdown: some RecordFields) throws(DecodeError) -> Usage {
        let names = TokenBreakdownFieldNames.shared
        let input = try breakdown.object(names.input)
        let output = try breakdown.object(names.output)
        let reasoning = try output?.tokenCount(names.reasoningTokens) ?? 0
        var buckets = TokenBuckets(
            inputUncached: try input?.tokenCount(names.uncachedTokens) ?? 0,
            cacheRead: try input?.tokenCount(names.cacheReadTokens) ?? 0,
            cacheWrite: try input?.tokenCount(names.cacheWriteTokens) ?? 0,
            output: (try output?.tokenCount(names.nonReasoningTokens) ?? 0) &+ reasoning,
            reasoning: reasoning,
            unclassified: try breakdown.tokenCount(names.unclassifiedTokens) ?? 0)
        var quality = try breakdown.string(names.quality).flatMap(UsageQuality.init(rawValue:)) ?? .complete
        if buckets.hasNegative {
            let total = try breakdown.tokenCount(names.totalTokens) ?? 0
            buckets = TokenBuckets(unclassified: max(total, 0))
            quality = .inconsistent
        }
        if buckets.isZero {
            return Usage(buckets: .zero, state: .missing, quality: quality)
        }
        return Usage(buckets: buckets, state: .present, quality: quality)
    }
}

/// The members of a breakdown object, with their fingerprints computed once, shared for the reason
/// given at ``UsageQueueFieldNames``.
final class TokenBreakdownFieldNames: Sendable {
    static let shared = TokenBreakdownFieldNames()

    let input = FieldName("input")
    let output = FieldName("output")
    let uncachedTokens = FieldName("uncached_tokens")
    let cacheReadTokens = FieldName("cache_read_tokens")
    let cacheWriteTokens = FieldName("cache_write_tokens")
    let nonReasoningTokens = FieldName("non_reasoning_tokens")
    let reasoningTokens = FieldName("reasoning_tokens")
    let unclassifiedTokens = FieldName("unclassified_tokens")
    let totalTokens = FieldName("total_tokens")
    let quality = FieldName("quality")
}
