/// One genai-prices rate: flat, or tiered by the request's total input tokens.
public enum GenAIRate: Sendable, Equatable {
    /// One price for every request, USD per unit.
    case flat(Money)
    /// A base price and tiers; see ``price(totalInputTokens:)``.
    case tiered(base: Money, tiers: [GenAITier])

    /// Returns the price that applies to a request with `totalInputTokens` input tokens (cached included).
    ///
    /// Tiers are cliffs, as genai-prices applies them: once the total input is strictly greater
    /// than a tier's `start`, every token of the request is billed at that tier's price, and the
    /// tier with the highest such `start` wins. At exactly `start` tokens the lower price applies.
    public func price(totalInputTokens: Int64) -> Money {
        switch self {
        case .flat(let price):
            return price
        case .tiered(let base, let tiers):
            let passed = tiers.filter { totalInputTokens > $0.start }
            return passed.max { $0.start < $1.start }?.price ?? base
        }
    }
}

/// A tier of a ``GenAIRate``: the price once the total input passes `start` tokens.
public struct GenAITier: Sendable, Equatable {
    /// The threshold in input tokens; the tier applies above it.
    public var start: Int64
    /// The price, USD per unit.
    public var price: Money

    /// Creates a tier.
    public init(start: Int64, price: Money) {
        self.start = start
        self.price = price
    }
}

/// The rates of one model at one time, keyed by genai-prices' price names.
///
/// Token rates are USD per million tokens (`_mtok`); `requests_kcount` is USD per thousand
/// requests. Keys this engine does not bill (image, video and per-modality text rates, which the
/// schema allows) are kept in ``rates`` and ignored by the pricer.
public struct GenAIModelPrice: Sendable, Equatable {
    /// Uncached text input.
    public static let input = "input_mtok"
    /// Text output, reasoning included.
    public static let output = "output_mtok"
    /// Cache reads.
    public static let cacheRead = "cache_read_mtok"
    /// Cache writes; the five-minute lifetime when a one-hour rate exists.
    public static let cacheWrite = "cache_write_mtok"
    /// One-hour cache writes, named as genai-prices' newer unit data names them.
    public static let cacheWriteOneHour = "cache_write_1h_mtok"
    /// Uncached audio input.
    public static let inputAudio = "input_audio_mtok"
    /// Audio cache reads.
    public static let cacheReadAudio = "cache_audio_read_mtok"
    /// Audio output.
    public static let outputAudio = "output_audio_mtok"
    /// A fee per thousand requests.
    public static let requests = "requests_kcount"

    /// Every rate of the entry by price name.
    public var rates: [String: GenAIRate]

    /// Creates a price from rates by name.
    public init(rates: [String: GenAIRate]) {
        self.rates = rates
    }

    /// The rate named `key`, or `nil` when the entry has none.
    public subscript(key: String) -> GenAIRate? { rates[key] }
}

/// When a conditional price applies.
public enum GenAIPriceConstraint: Sendable, Equatable {
    /// From this UTC day on, as days since 1970-01-01.
    case startDate(daysSinceEpoch: Int64)
    /// Daily from `start` until before `end`, as seconds after midnight UTC.
    ///
    /// As in genai-prices' Python package, an interval whose start is after its end never
    /// applies: it does not wrap past midnight.
    case timeOfDay(startSecond: Int64, endSecond: Int64)

    /// Returns whether the constraint is active at an instant given as nanoseconds since the epoch, UTC.
    public func isActive(atNanoseconds instant: Int64) -> Bool {
        let nanosecondsPerDay: Int64 = 86_400_000_000_000
        let day = instant >= 0 ? instant / nanosecondsPerDay : (instant + 1) / nanosecondsPerDay - 1
        switch self {
        case .startDate(let start):
            return day >= start
        case .timeOfDay(let start, let end):
            let second = (instant - day * nanosecondsPerDay) / 1_000_000_000
            return start <= second && second < end
        }
    }
}

/// A price with the constraint under which it applies; `constraint == nil` always applies.
public struct GenAIConditionalPrice: Sendable, Equatable {
    /// When the price applies.
    public var constraint: GenAIPriceConstraint?
    /// The rates.
    public var price: GenAIModelPrice

    /// Creates a conditional price.
    public init(constraint: GenAIPriceConstraint?, price: GenAIModelPrice) {
        self.constraint = constraint
        self.price = price
    }
}

/// A model of a genai-prices provider.
public struct GenAIModel: Sendable, Equatable {
    /// The model id, unique within its provider.
    public var id: String
    /// The rule deciding which model names refer to this model.
    public var match: GenAIMatchClause
    /// The prices in file order; a plain price is one entry without constraint.
    public var prices: [GenAIConditionalPrice]

    /// Creates a model.
    public init(id: String, match: GenAIMatchClause, prices: [GenAIConditionalPrice]) {
        self.id = id
        self.match = match
        self.prices = prices
    }

    /// Returns the price in force at an instant (nanoseconds since the epoch, UTC).
    ///
    /// The last entry whose constraint is active wins. When none is active, the first entry applies.
    /// Returns `nil` only for a model without prices.
    public func price(atNanoseconds instant: Int64) -> GenAIModelPrice? {
        let active = prices.last { $0.constraint?.isActive(atNanoseconds: instant) ?? true }
        return (active ?? prices.first)?.price
    }
}

/// A genai-prices provider.
public struct GenAIProvider: Sendable, Equatable {
    /// The provider id, such as `anthropic`.
    public var id: String
    /// The rule matching other provider names to this provider, if any.
    public var providerMatch: GenAIMatchClause?
    /// The rule matching model names to this provider when no provider is given, if any.
    public var modelMatch: GenAIMatchClause?
    /// Providers whose models this provider also serves, tried in order when no own model matches.
    public var fallbackModelProviders: [String]
    /// The models in file order; the first match wins.
    public var models: [GenAIModel]

    /// Creates a provider.
    public init(
        id: String, providerMatch: GenAIMatchClause?, modelMatch: GenAIMatchClause?,
        fallbackModelProviders: [String], models: [GenAIModel]
    ) {
        self.id = id
        self.providerMatch = providerMatch
        self.modelMatch = modelMatch
        self.fallbackModelProviders = fallbackModelProviders
        self.models = models
    }
}
