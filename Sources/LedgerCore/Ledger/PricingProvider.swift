/// One alias of a pricing file: a name that stands for another name.
public struct PricingAlias: Sendable, Equatable {
    /// The name written in events or tables.
    public var alias: String
    /// The provider or model name the alias resolves to.
    public var target: String

    /// Creates an alias.
    public init(alias: String, target: String) {
        self.alias = alias
        self.target = target
    }
}

/// One priced model of a provider.
public struct PricingModel: Sendable, Equatable {
    /// The model name, unique within its provider.
    public var name: String
    /// The model's rates.
    public var rates: ModelRates

    /// Creates a model entry.
    public init(name: String, rates: ModelRates) {
        self.name = name
        self.rates = rates
    }
}

/// One provider of a pricing file, with its subscription fee, model aliases and models.
public struct PricingProvider: Sendable, Equatable {
    /// The provider name, unique in the file.
    public var name: String
    /// The monthly subscription fee in USD, when the file sets one.
    public var subscriptionUSDPerMonth: LedgerDecimal?
    /// The model aliases in file order; each target is one of ``models``.
    public var modelAliases: [PricingAlias]
    /// The models in file order.
    public var models: [PricingModel]

    /// Creates a provider entry.
    public init(
        name: String,
        subscriptionUSDPerMonth: LedgerDecimal?,
        modelAliases: [PricingAlias],
        models: [PricingModel]
    ) {
        self.name = name
        self.subscriptionUSDPerMonth = subscriptionUSDPerMonth
        self.modelAliases = modelAliases
        self.models = models
    }
}
