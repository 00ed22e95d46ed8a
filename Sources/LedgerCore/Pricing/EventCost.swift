/// The price entry that priced an event, with the alias hops that led to it.
public struct PriceEntry: Sendable, Equatable {
    /// The provider name the event carried.
    public var requestedProvider: String
    /// The model name the event carried.
    public var requestedModel: String
    /// The provider's name in the price data.
    public var provider: String
    /// The model's name (tokenledger) or id (genai-prices) in the price data.
    public var model: String
    /// The provider alias that was followed, or `nil` when the provider name matched directly.
    public var providerAlias: String?
    /// The model alias that was followed, or `nil` when the model name matched directly.
    public var modelAlias: String?

    /// Creates an entry.
    public init(
        requestedProvider: String, requestedModel: String, provider: String, model: String,
        providerAlias: String? = nil, modelAlias: String? = nil
    ) {
        self.requestedProvider = requestedProvider
        self.requestedModel = requestedModel
        self.provider = provider
        self.model = model
        self.providerAlias = providerAlias
        self.modelAlias = modelAlias
    }

    /// `provider/model` as resolved.
    public var label: String { "\(provider)/\(model)" }
}

/// The cost of each billable part of one event, in USD.
public struct CostBreakdown: Sendable, Equatable {
    /// Uncached input tokens, audio included.
    public var inputUncached: Money = .zero
    /// Tokens read from the prompt cache.
    public var cacheRead: Money = .zero
    /// Tokens written to the prompt cache, both lifetimes.
    public var cacheWrite: Money = .zero
    /// Output tokens, reasoning and audio included.
    public var output: Money = .zero
    /// tokenledger's tool-call input tokens.
    public var toolInput: Money = .zero
    /// tokenledger's tool-call output tokens.
    public var toolOutput: Money = .zero
    /// Unclassified tokens, billed at the uncached input rate.
    public var unclassified: Money = .zero
    /// A per-request fee (genai-prices `requests_kcount`).
    public var requests: Money = .zero

    /// Creates an all-zero breakdown.
    public init() {}

    /// The cost of the input side: uncached input, cache reads and writes, tool input.
    public var input: Money { inputUncached + cacheRead + cacheWrite + toolInput }

    /// The sum of every part.
    public var total: Money { input + output + toolOutput + unclassified + requests }
}

/// The cost of one event and the price that produced it.
public struct EventCost: Sendable, Equatable {
    /// The price entry used.
    public var entry: PriceEntry
    /// A reproducible reference to the price: see ``PriceReference``.
    public var priceReference: String
    /// The cost of each part.
    public var breakdown: CostBreakdown
    /// Whether part of the cost is an estimate, because unclassified tokens were billed at the
    /// uncached input rate.
    public var isEstimated: Bool

    /// Creates a cost.
    public init(entry: PriceEntry, priceReference: String, breakdown: CostBreakdown, isEstimated: Bool) {
        self.entry = entry
        self.priceReference = priceReference
        self.breakdown = breakdown
        self.isEstimated = isEstimated
    }

    /// The total cost in USD.
    public var total: Money { breakdown.total }
}

/// Builds and reads `price_ref` strings: `<source>:<provider>/<model>@sha256:<hex>`.
///
/// The hash is the SHA-256 of the price file's bytes, so the same reference always names the same
/// rates. The source is `tokenledger` or `genai-prices`. Provider and model names may contain `/`
/// and `:`, so a reader splits at the first `:` and at the last `@sha256:`.
public enum PriceReference {
    /// Builds a reference; `fileHash` is lowercase hex.
    public static func make(source: String, provider: String, model: String, fileHash: String) -> String {
        "\(source):\(provider)/\(model)@sha256:\(fileHash)"
    }

    /// Returns the SHA-256 of price-file bytes as lowercase hex.
    public static func fileHash(of bytes: some Sequence<UInt8>) -> String {
        SHA256.hexDigest(bytes)
    }
}

extension Money {
    /// Returns the cost of `tokens` at `ratePerMillion` USD per million tokens.
    static func cost(tokens: Int64, ratePerMillion: Money) -> Money {
        guard tokens != 0 else { return .zero }
        return (Money(tokens) * ratePerMillion).dividedByPowerOfTen(6)
    }
}
