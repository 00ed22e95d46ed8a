/// The token counts one event is billed for: the canonical buckets plus the parts some prices
/// treat apart.
///
/// `cacheWriteOneHour`, `inputAudio`, `cacheReadAudio` and `outputAudio` are parts of a bucket, not
/// extra tokens: a price without a rate of its own for a part bills it at its bucket's rate.
/// `toolInput` and `toolOutput` are tokenledger's tool-call counters, which are disjoint from the
/// buckets, so ``total`` adds them.
public struct BillableTokens: Sendable, Equatable {
    /// The disjoint canonical buckets.
    public var buckets: TokenBuckets
    /// The part of `buckets.cacheWrite` written with a one-hour lifetime (Anthropic
    /// `cache_creation.ephemeral_1h_input_tokens`); the rest uses the default five-minute lifetime.
    public var cacheWriteOneHour: Int64
    /// The audio part of `buckets.inputUncached`.
    public var inputAudio: Int64
    /// The audio part of `buckets.cacheRead`.
    public var cacheReadAudio: Int64
    /// The audio part of `buckets.output`.
    public var outputAudio: Int64
    /// Tool-call input tokens, outside the buckets.
    public var toolInput: Int64
    /// Tool-call output tokens, outside the buckets.
    public var toolOutput: Int64

    /// Creates billable counts; every part defaults to zero.
    public init(
        buckets: TokenBuckets, cacheWriteOneHour: Int64 = 0, inputAudio: Int64 = 0, cacheReadAudio: Int64 = 0,
        outputAudio: Int64 = 0, toolInput: Int64 = 0, toolOutput: Int64 = 0
    ) {
        self.buckets = buckets
        self.cacheWriteOneHour = cacheWriteOneHour
        self.inputAudio = inputAudio
        self.cacheReadAudio = cacheReadAudio
        self.outputAudio = outputAudio
        self.toolInput = toolInput
        self.toolOutput = toolOutput
    }

    /// Creates counts from tokenledger's six disjoint normalized-event counters, whose
    /// `input_tokens` is uncached input.
    public init(
        tokenledgerInput input: Int64, output: Int64, cacheWrite: Int64, cacheRead: Int64, toolInput: Int64,
        toolOutput: Int64
    ) {
        self.init(
            buckets: TokenBuckets(inputUncached: input, cacheRead: cacheRead, cacheWrite: cacheWrite, output: output),
            toolInput: toolInput, toolOutput: toolOutput)
    }

    /// Creates counts from buckets whose `inputUncached` and `output` still contain tool-call
    /// tokens, as a decoded tokenledger normalized event's do, and moves those tokens out into
    /// `toolInput` and `toolOutput`, so that each token is billed once, at its own rate.
    ///
    /// A tool count larger than its bucket leaves that bucket negative, which ``isInvalid`` reports.
    public init(buckets: TokenBuckets, separatingToolInput toolInput: Int64, toolOutput: Int64) {
        var disjoint = buckets
        disjoint.inputUncached = buckets.inputUncached &- toolInput
        disjoint.output = buckets.output &- toolOutput
        self.init(buckets: disjoint, toolInput: toolInput, toolOutput: toolOutput)
    }

    /// `buckets.total + toolInput + toolOutput`.
    public var total: Int64 { buckets.total &+ toolInput &+ toolOutput }

    /// Whether a count is negative or a part exceeds its bucket, which no price can bill.
    public var isInvalid: Bool {
        buckets.hasNegative || toolInput < 0 || toolOutput < 0 || cacheWriteOneHour < 0 || inputAudio < 0
            || cacheReadAudio < 0 || outputAudio < 0 || cacheWriteOneHour > buckets.cacheWrite
            || inputAudio > buckets.inputUncached || cacheReadAudio > buckets.cacheRead
            || outputAudio > buckets.output || buckets.reasoning > buckets.output
    }
}

extension CanonicalEvent {
    /// The counts this event is billed for: its buckets with ``toolInputTokens`` and
    /// ``toolOutputTokens`` moved out of `input_uncached` and `output` into the tool parts.
    public var billableTokens: BillableTokens {
        BillableTokens(buckets: buckets, separatingToolInput: toolInputTokens, toolOutput: toolOutputTokens)
    }
}
