/// The prices of one model, in USD per million tokens, exact as the pricing file writes them.
public struct ModelRates: Sendable, Equatable {
    /// The price of input tokens.
    public var inputUSDPerMTok: LedgerDecimal
    /// The price of output tokens.
    public var outputUSDPerMTok: LedgerDecimal
    /// The price of tokens written to the prompt cache, when the file sets one.
    public var cacheWriteUSDPerMTok: LedgerDecimal?
    /// The price of tokens read from the prompt cache, when the file sets one.
    public var cacheReadUSDPerMTok: LedgerDecimal?
    /// The price of tool-call input tokens, when the file sets one.
    public var toolInputUSDPerMTok: LedgerDecimal?
    /// The price of tool-call output tokens, when the file sets one.
    public var toolOutputUSDPerMTok: LedgerDecimal?

    /// Creates rates; the four optional rates default to unset.
    public init(
        inputUSDPerMTok: LedgerDecimal,
        outputUSDPerMTok: LedgerDecimal,
        cacheWriteUSDPerMTok: LedgerDecimal? = nil,
        cacheReadUSDPerMTok: LedgerDecimal? = nil,
        toolInputUSDPerMTok: LedgerDecimal? = nil,
        toolOutputUSDPerMTok: LedgerDecimal? = nil
    ) {
        self.inputUSDPerMTok = inputUSDPerMTok
        self.outputUSDPerMTok = outputUSDPerMTok
        self.cacheWriteUSDPerMTok = cacheWriteUSDPerMTok
        self.cacheReadUSDPerMTok = cacheReadUSDPerMTok
        self.toolInputUSDPerMTok = toolInputUSDPerMTok
        self.toolOutputUSDPerMTok = toolOutputUSDPerMTok
    }
}

/// The price entry that a provider and model name resolve to.
public struct ResolvedPrice: Sendable, Equatable {
    /// The provider's name in the pricing file, after its alias is followed.
    public var provider: String
    /// The model's name in the pricing file, after its alias is followed.
    public var model: String
    /// The model's rates.
    public var rates: ModelRates
    /// The provider's monthly subscription fee in USD, when the file sets one.
    public var subscriptionUSDPerMonth: LedgerDecimal?

    /// Creates a resolved price.
    public init(provider: String, model: String, rates: ModelRates, subscriptionUSDPerMonth: LedgerDecimal?) {
        self.provider = provider
        self.model = model
        self.rates = rates
        self.subscriptionUSDPerMonth = subscriptionUSDPerMonth
    }
}
