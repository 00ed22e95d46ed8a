/// Prices events with a tokenledger pricing file, the way tokenledger computes cost.
///
/// `cost = Σ tokens × rate / 1,000,000` over the parts, with tokenledger's fallbacks for rates the
/// file leaves out: cache write → input rate, cache read → 0.1 × input rate, tool input → input rate,
/// tool output → output rate. Reasoning is part of output and billed at the output rate. The file
/// has no one-hour cache-write rate, so both cache-write lifetimes use the cache-write rate.
/// Unclassified tokens are billed at the input rate and the cost is flagged as estimated. They were
/// reported in a total, so leaving them out would understate spend. The input rate is the lowest
/// non-cache rate of every model in tokenledger's example file.
public struct TokenledgerPricer: Sendable {
    /// The pricing file.
    public let pricing: PricingFile
    /// The SHA-256 of the pricing file's bytes, lowercase hex.
    public let pricingHash: String

    /// The `source` part of this pricer's price references.
    public static let referenceSource = "tokenledger"

    /// Creates a pricer from a loaded file and the hash of its bytes.
    public init(pricing: PricingFile, pricingHash: String) {
        self.pricing = pricing
        self.pricingHash = pricingHash
    }

    /// Loads a pricing file from its bytes and hashes them.
    /// - Throws: ``LedgerInputError`` when the file is not a valid pricing file.
    public init(pricingFileBytes bytes: [UInt8]) throws(LedgerInputError) {
        self.init(pricing: try PricingFile(json: bytes), pricingHash: PriceReference.fileHash(of: bytes))
    }

    /// Prices one event; returns `nil` when the provider or model has no price, which means
    /// unpriced and never free.
    /// - Throws: ``PricingError`` with code `invalidTokens` for negative counts or a part larger
    ///   than its bucket.
    public func cost(provider: String, model: String, tokens: BillableTokens) throws(PricingError) -> EventCost? {
        try cost(tokens: tokens, price: price(provider: provider, model: model), provider: provider, model: model)
    }

    /// Resolves the price of `provider` and `model` and parses its rates. Returns `nil` when either
    /// has no price. The result prices any token counts of that pair with
    /// ``cost(tokens:price:provider:model:)``.
    public func price(provider: String, model: String) -> Price? {
        guard let resolved = pricing.resolve(provider: provider, model: model) else { return nil }
        let rates = resolved.rates
        let input = Money(rates.inputUSDPerMTok)
        let output = Money(rates.outputUSDPerMTok)
        let entry = PriceEntry(
            requestedProvider: provider, requestedModel: model, provider: resolved.provider, model: resolved.model,
            providerAlias: resolved.provider == provider ? nil : provider,
            modelAlias: resolved.model == model ? nil : model)
        return Price(
            entry: entry,
            reference: PriceReference.make(
                source: Self.referenceSource, provider: resolved.provider, model: resolved.model,
                fileHash: pricingHash),
            input: input, output: output, cacheWrite: rates.cacheWriteUSDPerMTok.map(Money.init) ?? input,
            cacheRead: rates.cacheReadUSDPerMTok.map(Money.init) ?? (input * Money(1).dividedByPowerOfTen(1)),
            toolInput: rates.toolInputUSDPerMTok.map(Money.init) ?? input,
            toolOutput: rates.toolOutputUSDPerMTok.map(Money.init) ?? output)
    }

    /// Prices `tokens` at `price`, which ``price(provider:model:)`` returned for `provider` and
    /// `model`. Returns `nil` when `price` is `nil`. The counts are checked first, as
    /// ``cost(provider:model:tokens:)`` checks them.
    /// - Throws: ``PricingError`` with code `invalidTokens` for negative counts or a part larger
    ///   than its bucket.
    public func cost(tokens: BillableTokens, price: Price?, provider: String, model: String) throws(PricingError)
        -> EventCost?
    {
        guard !tokens.isInvalid else {
            throw PricingError(
                code: .invalidTokens,
                message: "token counts for \(provider)/\(model) are negative or a part exceeds its bucket; "
                    + "fix the decoder that produced them")
        }
        guard let price else { return nil }
        let buckets = tokens.buckets
        var breakdown = CostBreakdown()
        breakdown.inputUncached = .cost(tokens: buckets.inputUncached, ratePerMillion: price.input)
        breakdown.cacheRead = .cost(tokens: buckets.cacheRead, ratePerMillion: price.cacheRead)
        breakdown.cacheWrite = .cost(tokens: buckets.cacheWrite, ratePerMillion: price.cacheWrite)
        breakdown.output = .cost(tokens: buckets.output, ratePerMillion: price.output)
        breakdown.toolInput = .cost(tokens: tokens.toolInput, ratePerMillion: price.toolInput)
        breakdown.toolOutput = .cost(tokens: tokens.toolOutput, ratePerMillion: price.toolOutput)
        breakdown.unclassified = .cost(tokens: buckets.unclassified, ratePerMillion: price.input)
        return EventCost(
            entry: price.entry, priceReference: price.reference, breakdown: breakdown,
            isEstimated: buckets.unclassified > 0)
    }

    /// Returns the monthly subscription fee of a provider, after its alias is followed; `nil` when the
    /// file sets none or does not know the provider.
    public func subscriptionUSDPerMonth(provider: String) -> Money? {
        let name = pricing.providerAliases.first { $0.alias == provider }?.target ?? provider
        return pricing.provider(named: name)?.subscriptionUSDPerMonth.map(Money.init)
    }
}

extension TokenledgerPricer {
    /// The price entry of one provider and model with its rates parsed, after tokenledger's
    /// fallbacks for the rates the file leaves out.
    public struct Price: Sendable, Equatable {
        /// The entry, with the provider and model names it was resolved from.
        public var entry: PriceEntry
        /// The price reference that costs at this price carry.
        public var reference: String
        /// USD per million uncached input and unclassified tokens.
        public var input: Money
        /// USD per million output tokens, reasoning included.
        public var output: Money
        /// USD per million cache-write tokens.
        public var cacheWrite: Money
        /// USD per million cache-read tokens.
        public var cacheRead: Money
        /// USD per million tool-call input tokens.
        public var toolInput: Money
        /// USD per million tool-call output tokens.
        public var toolOutput: Money
    }
}
