/// Raw counters of a usage-queue `tokens` object, with each upstream's own overlap rules.
public struct RawTokenCounts: Sendable, Equatable {
    public var input: Int64
    public var output: Int64
    public var reasoning: Int64
    public var cached: Int64
    /// `nil` when the record predates the field (before v7.0.3).
    public var cacheRead: Int64?
    /// `nil` when the record predates the field (before v7.0.3).
    public var cacheCreation: Int64?
    public var total: Int64

    /// Creates counters as a record reports them.
    public init(
        input: Int64, output: Int64, reasoning: Int64, cached: Int64, cacheRead: Int64?, cacheCreation: Int64?,
        total: Int64
    ) {
        self.input = input
        self.output = output
        self.reasoning = reasoning
        self.cached = cached
        self.cacheRead = cacheRead
        self.cacheCreation = cacheCreation
        self.total = total
    }

    /// Whether every counter is zero or absent.
    public var isAllZero: Bool {
        input == 0 && output == 0 && reasoning == 0 && cached == 0 && (cacheRead ?? 0) == 0
            && (cacheCreation ?? 0) == 0 && total == 0
    }
}

/// How an upstream counts tokens, which decides how raw counters map onto buckets.
///
/// The class comes from the proxy's provider id or executor type, never from the model name:
/// a Claude model served through an OpenAI-compatible endpoint counts the OpenAI way.
public enum UpstreamClass: String, Sendable {
    /// Input includes cache reads and writes; output includes reasoning (OpenAI and compatibles).
    case subset
    /// Input counts uncached tokens only; cache reads and writes are separate (Anthropic).
    case independent
    /// Input includes cache reads; output excludes reasoning (Gemini family).
    case separateReasoning
    /// Nothing is known; the whole total is unclassified.
    case unknown

    private static let subsetProviders: Set<String> = [
        "codex", "openai", "kimi", "xai", "qwen", "deepseek", "openrouter", "iflow",
    ]
    private static let separateReasoningProviders: Set<String> = [
        "gemini", "gemini-interactions", "gemini-cli", "vertex", "aistudio", "antigravity",
    ]

    /// Classifies a CLIProxyAPI provider id and executor type.
    public init(provider: String, executorType: String?) {
        if executorType == "OpenAICompatExecutor" || Self.subsetProviders.contains(provider) {
            self = .subset
        } else if provider == "claude" || executorType == "ClaudeExecutor" {
            self = .independent
        } else if Self.separateReasoningProviders.contains(provider) {
            self = .separateReasoning
        } else {
            self = .unknown
        }
    }

    /// Maps raw counters onto disjoint buckets.
    public func buckets(from counts: RawTokenCounts) -> (TokenBuckets, UsageQuality) {
        var buckets = TokenBuckets()
        var quality = UsageQuality.complete
        switch self {
        case .subset:
            let cacheRead = (counts.cacheRead ?? 0) > 0 ? counts.cacheRead ?? 0 : counts.cached
            buckets.cacheRead = cacheRead
            buckets.cacheWrite = counts.cacheCreation ?? 0
            buckets.inputUncached = counts.input &- cacheRead &- buckets.cacheWrite
            buckets.output = counts.output
            buckets.reasoning = counts.reasoning
        case .independent:
            buckets.inputUncached = counts.input
            if counts.cacheRead != nil || counts.cacheCreation != nil {
                buckets.cacheRead = counts.cacheRead ?? 0
                buckets.cacheWrite = counts.cacheCreation ?? 0
            } else {
                // Before v7.0.3 only `cached_tokens` exists, and for Claude it may hold cache writes.
                buckets.cacheRead = counts.cached
                if counts.cached > 0 {
                    quality = .unclassified
                }
            }
            buckets.output = counts.output
            buckets.reasoning = counts.reasoning
        case .separateReasoning:
            let cacheRead = (counts.cacheRead ?? 0) > 0 ? counts.cacheRead ?? 0 : counts.cached
            buckets.cacheRead = cacheRead
            buckets.inputUncached = counts.input &- cacheRead
            buckets.output = counts.output &+ counts.reasoning
            buckets.reasoning = counts.reasoning
            let parts = counts.input &+ counts.output &+ counts.reasoning
            if counts.total > parts {
                // Before v7.2.97 the total may include a tool-use prompt that no part reports.
                buckets.unclassified = counts.total &- parts
                quality = .unclassified
            }
        case .unknown:
            buckets.unclassified = max(counts.total, 0)
            quality = .unclassified
        }
        if buckets.hasNegative || buckets.reasoning > buckets.output {
            return (TokenBuckets(unclassified: max(counts.total, 0)), .inconsistent)
        }
        return (buckets, quality)
    }
}
