/// The usage shapes of provider responses that ``UpstreamUsageExtractor`` reads.
public enum UpstreamUsageFormat: String, Sendable, CaseIterable {
    /// Anthropic Messages `usage`: input counts uncached tokens only; cache reads and writes are
    /// separate counters; output includes thinking.
    case anthropicMessages = "anthropic.messages"
    /// OpenAI chat completions `usage`: prompt includes cached tokens; completion includes reasoning.
    case openAIChatCompletions = "openai.chat_completions"
    /// OpenAI Responses `usage`: input includes cached tokens; output includes reasoning.
    case openAIResponses = "openai.responses"
    /// OpenAI embeddings `usage`: prompt tokens only.
    case openAIEmbeddings = "openai.embeddings"
    /// Gemini `usageMetadata`: prompt includes cached content; thoughts and tool-use prompt tokens
    /// are counted outside the prompt and candidates.
    case geminiUsageMetadata = "gemini.usage_metadata"

    /// The member of a response body that contains the usage object.
    public var usageKey: String { self == .geminiUsageMetadata ? "usageMetadata" : "usage" }

    /// The member of a response body that names the model.
    public var modelKey: String { self == .geminiUsageMetadata ? "modelVersion" : "model" }
}

/// Token usage read from one provider response, in canonical disjoint form.
public struct UpstreamUsage: Sendable, Equatable {
    /// The billable counts: buckets plus the one-hour cache-write and audio parts.
    public var tokens: BillableTokens
    /// Whether the response reported usage, or only zeros.
    public var state: UsageState
    /// How far the buckets can be trusted.
    public var quality: UsageQuality

    /// Creates usage.
    public init(tokens: BillableTokens, state: UsageState, quality: UsageQuality) {
        self.tokens = tokens
        self.state = state
        self.quality = quality
    }

    /// The canonical buckets.
    public var buckets: TokenBuckets { tokens.buckets }
}

/// Reads the usage objects of Anthropic, OpenAI and Gemini responses into canonical buckets.
///
/// The rules are CLIProxyAPI's per-upstream rules. Cached tokens are taken out of an inclusive
/// input and never added to an exclusive one. Reasoning is never added to an output that already
/// contains it. Gemini thoughts are added to the candidates. When the counters contradict each
/// other so that a bucket would be negative, the usage is `inconsistent` and the source total is
/// kept as `unclassified`. Absent and `null` counters count as zero unless the format requires them.
public enum UpstreamUsageExtractor {
    /// Reads a whole response body: the model name and the usage object at the format's keys.
    /// - Throws: ``PricingError`` with code `invalidUsage` when the body has no usage object or a
    ///   counter is invalid.
    public static func extract(fromResponse body: JSONValue, format: UpstreamUsageFormat) throws(PricingError) -> (
        model: String?, usage: UpstreamUsage
    ) {
        guard let usage = body[format.usageKey], usage.objectValue != nil else {
            throw PricingError(
                code: .invalidUsage, message: "response has no \"\(format.usageKey)\" object; it carries no usage")
        }
        return (body[format.modelKey]?.stringValue, try extract(usage, format: format))
    }

    /// Reads one usage object.
    /// - Throws: ``PricingError`` with code `invalidUsage` when a required counter is missing or a
    ///   counter is not a non-negative integer.
    public static func extract(_ usage: JSONValue, format: UpstreamUsageFormat) throws(PricingError) -> UpstreamUsage {
        let reader = CounterReader(usage: usage, format: format)
        switch format {
        case .anthropicMessages:
            return try anthropic(reader)
        case .openAIChatCompletions:
            return try openAI(
                reader, input: "prompt_tokens", output: "completion_tokens", inputDetails: "prompt_tokens_details",
                outputDetails: "completion_tokens_details")
        case .openAIResponses:
            return try openAI(
                reader, input: "input_tokens", output: "output_tokens", inputDetails: "input_tokens_details",
                outputDetails: "output_tokens_details")
        case .openAIEmbeddings:
            return try openAI(reader, input: "prompt_tokens", output: nil, inputDetails: nil, outputDetails: nil)
        case .geminiUsageMetadata:
            return try gemini(reader)
        }
    }

    private static func anthropic(_ reader: CounterReader) throws(PricingError) -> UpstreamUsage {
        let input = try reader.required("input_tokens")
        let output = try reader.required("output_tokens")
        let cacheRead = try reader.optional("cache_read_input_tokens")
        let fiveMinute = try reader.optional("cache_creation", "ephemeral_5m_input_tokens")
        let oneHour = try reader.optional("cache_creation", "ephemeral_1h_input_tokens")
        let cacheWrite = try reader.optionalIfPresent("cache_creation_input_tokens") ?? fiveMinute + oneHour
        var quality = UsageQuality.complete
        if oneHour > cacheWrite { quality = .inconsistent }
        let buckets = TokenBuckets(inputUncached: input, cacheRead: cacheRead, cacheWrite: cacheWrite, output: output)
        return UpstreamUsage(
            tokens: BillableTokens(buckets: buckets, cacheWriteOneHour: min(oneHour, cacheWrite)),
            state: buckets.isZero ? .zero : .present, quality: quality)
    }

    private static func openAI(
        _ reader: CounterReader, input inputKey: String, output outputKey: String?, inputDetails: String?,
        outputDetails: String?
    ) throws(PricingError) -> UpstreamUsage {
        let input = try reader.required(inputKey)
        let output = try outputKey.map { key throws(PricingError) in try reader.required(key) } ?? 0
        var cacheRead: Int64 = 0
        var cacheWrite: Int64 = 0
        var inputAudio: Int64 = 0
        var reasoning: Int64 = 0
        var outputAudio: Int64 = 0
        if let inputDetails {
            cacheRead = try reader.optional(inputDetails, "cached_tokens")
            cacheWrite = try reader.optional(inputDetails, "cache_write_tokens")
            inputAudio = try reader.optional(inputDetails, "audio_tokens")
        }
        if let outputDetails {
            reasoning = try reader.optional(outputDetails, "reasoning_tokens")
            outputAudio = try reader.optional(outputDetails, "audio_tokens")
        }
        let uncached = input - cacheRead - cacheWrite
        guard uncached >= 0, reasoning <= output, outputAudio <= output else {
            return inconsistent(total: try reader.optionalIfPresent("total_tokens") ?? input + output)
        }
        let buckets = TokenBuckets(
            inputUncached: uncached, cacheRead: cacheRead, cacheWrite: cacheWrite, output: output, reasoning: reasoning)
        // NOTE: OpenAI does not say whether `audio_tokens` counts cached audio; the audio part is
        // taken from the uncached input and capped at it.
        let tokens = BillableTokens(buckets: buckets, inputAudio: min(inputAudio, uncached), outputAudio: outputAudio)
        return UpstreamUsage(tokens: tokens, state: buckets.isZero ? .zero : .present, quality: .complete)
    }

    private static func gemini(_ reader: CounterReader) throws(PricingError) -> UpstreamUsage {
        let prompt = try reader.optional("promptTokenCount")
        let cached = try reader.optional("cachedContentTokenCount")
        let candidates = try reader.optional("candidatesTokenCount")
        let thoughts = try reader.optional("thoughtsTokenCount")
        let toolUsePrompt = try reader.optional("toolUsePromptTokenCount")
        let uncached = prompt - cached + toolUsePrompt
        guard cached <= prompt else {
            return inconsistent(total: try reader.optionalIfPresent("totalTokenCount") ?? prompt + candidates)
        }
        var buckets = TokenBuckets(
            inputUncached: uncached, cacheRead: cached, output: candidates + thoughts, reasoning: thoughts)
        var quality = UsageQuality.complete
        if let total = try reader.optionalIfPresent("totalTokenCount"), total > buckets.total {
            buckets.unclassified = total - buckets.total
            quality = .unclassified
        }
        let cachedAudio = reader.modalityCount("cacheTokensDetails", modality: "AUDIO")
        let promptAudio =
            reader.modalityCount("promptTokensDetails", modality: "AUDIO")
            + reader.modalityCount("toolUsePromptTokensDetails", modality: "AUDIO")
        let tokens = BillableTokens(
            buckets: buckets, inputAudio: min(max(promptAudio - cachedAudio, 0), uncached),
            cacheReadAudio: min(cachedAudio, cached),
            outputAudio: min(reader.modalityCount("candidatesTokensDetails", modality: "AUDIO"), candidates))
        return UpstreamUsage(tokens: tokens, state: buckets.isZero ? .zero : .present, quality: quality)
    }

    private static func inconsistent(total: Int64) -> UpstreamUsage {
        UpstreamUsage(
            tokens: BillableTokens(buckets: TokenBuckets(unclassified: max(total, 0))),
            state: total > 0 ? .present : .zero, quality: .inconsistent)
    }
}

/// Reads non-negative integer counters from a usage object.
private struct CounterReader {
    let usage: JSONValue
    let format: UpstreamUsageFormat

    func required(_ key: String) throws(PricingError) -> Int64 {
        guard let value = try optionalIfPresent(key) else {
            throw PricingError(
                code: .invalidUsage, message: "\(format.rawValue) usage has no \"\(key)\" counter, which it requires")
        }
        return value
    }

    func optional(_ path: String...) throws(PricingError) -> Int64 {
        try value(at: path) ?? 0
    }

    func optionalIfPresent(_ key: String) throws(PricingError) -> Int64? {
        try value(at: [key])
    }

    /// Returns the `tokenCount` of the entry with this `modality` in a Gemini details array; 0 when absent.
    func modalityCount(_ key: String, modality: String) -> Int64 {
        let entry = usage[key]?.arrayValue?.first { $0["modality"]?.stringValue == modality }
        return max(entry?["tokenCount"]?.int64Value ?? 0, 0)
    }

    private func value(at path: [String]) throws(PricingError) -> Int64? {
        var current: JSONValue? = usage
        for key in path {
            guard let next = current?[key], !next.isNull else { return nil }
            current = next
        }
        guard let current else { return nil }
        guard let count = current.int64Value, count >= 0 else {
            throw PricingError(
                code: .invalidUsage,
                message: "\(format.rawValue) usage counter \"\(path.joined(separator: "."))\" is not a non-negative "
                    + "integer")
        }
        return count
    }
}
