/// The inputs of one event to a cost rollup.
public struct CostedEvent: Sendable, Equatable {
    /// The provider the event is billed to: the price entry's provider when priced, else the
    /// event's own provider name.
    public var provider: String
    /// The event's day, `YYYY-MM-DD`, in the rollup's time zone.
    public var day: String
    /// All billable tokens of the event (``BillableTokens/total``).
    public var tokens: Int64
    /// The event's variable cost; `nil` when unpriced.
    public var cost: Money?

    /// Creates a rollup input.
    public init(provider: String, day: String, tokens: Int64, cost: Money?) {
        self.provider = provider
        self.day = day
        self.tokens = tokens
        self.cost = cost
    }
}

/// Costs of one month per provider and per day, with subscription fees spread over priced tokens.
///
/// A provider's monthly fee is charged once per month. Each day receives the share of the fee that
/// its priced tokens are of the provider's priced tokens that month, so daily figures add up to the
/// monthly fee and re-running a day never charges the fee again. Shares are rounded to whole
/// nano-dollars by largest remainder, earlier days first on ties, so they sum to the fee exactly.
/// Unpriced events keep their tokens in ``unpricedTokens`` and add no cost.
public struct MonthlyCostReport: Sendable, Equatable {
    /// One provider's figures for the month.
    public struct ProviderLine: Sendable, Equatable {
        /// The provider name.
        public var provider: String
        /// All tokens, priced or not.
        public var tokens: Int64
        /// Tokens of unpriced events.
        public var unpricedTokens: Int64
        /// The sum of event costs.
        public var variableCost: Money
        /// The monthly fee charged for the month.
        public var subscriptionCost: Money
        /// `variableCost + subscriptionCost`.
        public var totalCost: Money { variableCost + subscriptionCost }
    }

    /// One provider's figures for one day.
    public struct DayLine: Sendable, Equatable {
        /// The day, `YYYY-MM-DD`.
        public var day: String
        /// The provider name.
        public var provider: String
        /// All tokens, priced or not.
        public var tokens: Int64
        /// The sum of event costs.
        public var variableCost: Money
        /// This day's share of the monthly fee.
        public var subscriptionShare: Money
        /// `variableCost + subscriptionShare`.
        public var totalCost: Money { variableCost + subscriptionShare }
    }

    /// Fraction digits of a subscription share: whole nano-dollars.
    public static let shareFractionDigits = 9

    /// The month, `YYYY-MM`.
    public let month: String
    /// Providers sorted by name.
    public let providers: [ProviderLine]
    /// Days sorted by day, then provider.
    public let days: [DayLine]

    /// Builds the report of `month` (`YYYY-MM`) from events; events of other months are ignored.
    /// - Parameter subscriptionUSDPerMonth: The monthly fee of a provider, `nil` for none.
    public init(month: String, events: [CostedEvent], subscriptionUSDPerMonth: (String) -> Money?) {
        self.month = month
        var byDay: [DayKey: DayLine] = [:]
        var unpriced: [String: Int64] = [:]
        var pricedTokens: [DayKey: Int64] = [:]
        for event in events where event.day.hasPrefix(month + "-") {
            let key = DayKey(day: event.day, provider: event.provider)
            var line =
                byDay[key]
                ?? DayLine(
                    day: event.day, provider: event.provider, tokens: 0, variableCost: .zero,
                    subscriptionShare: .zero)
            line.tokens += event.tokens
            if let cost = event.cost {
                line.variableCost = line.variableCost + cost
                pricedTokens[key, default: 0] += event.tokens
            } else {
                unpriced[event.provider, default: 0] += event.tokens
            }
            byDay[key] = line
        }

        var days = byDay.values.sorted { ($0.day, $0.provider) < ($1.day, $1.provider) }
        var providers: [ProviderLine] = []
        for provider in Set(days.map(\.provider)).sorted() {
            let positions = days.indices.filter { days[$0].provider == provider }
            let fee = subscriptionUSDPerMonth(provider) ?? .zero
            let weights = positions.map { pricedTokens[DayKey(day: days[$0].day, provider: provider)] ?? 0 }
            // NOTE: a fee of a provider whose events are all unpriced is charged for the month but
            // allocated to no day, because there are no priced tokens to spread it over.
            let shares = Self.allocate(fee, weights: weights)
            for (position, share) in zip(positions, shares) { days[position].subscriptionShare = share }
            providers.append(
                ProviderLine(
                    provider: provider, tokens: positions.reduce(0) { $0 + days[$1].tokens },
                    unpricedTokens: unpriced[provider] ?? 0,
                    variableCost: Money.sum(positions.map { days[$0].variableCost }), subscriptionCost: fee))
        }
        self.providers = providers
        self.days = days
    }

    /// All tokens of the month.
    public var tokens: Int64 { providers.reduce(0) { $0 + $1.tokens } }
    /// Tokens of unpriced events.
    public var unpricedTokens: Int64 { providers.reduce(0) { $0 + $1.unpricedTokens } }
    /// The sum of event costs.
    public var variableCost: Money { Money.sum(providers.map(\.variableCost)) }
    /// The sum of monthly fees.
    public var subscriptionCost: Money { Money.sum(providers.map(\.subscriptionCost)) }
    /// `variableCost + subscriptionCost`.
    public var totalCost: Money { variableCost + subscriptionCost }

    /// Splits `amount` in proportion to `weights` into parts that sum to `amount` exactly.
    ///
    /// Parts have ``shareFractionDigits`` fraction digits, or as many as `amount` has when that is
    /// more. Returns all zeros when every weight is zero; negative weights count as zero.
    public static func allocate(_ amount: Money, weights: [Int64]) -> [Money] {
        let total = weights.reduce(UInt64(0)) { $0 + UInt64(max($1, 0)) }
        guard total > 0, !amount.isZero else { return weights.map { _ in .zero } }
        let digits = max(shareFractionDigits, amount.fractionDigitCount)
        let unit = Money(amount.isNegative ? -1 : 1).dividedByPowerOfTen(digits)
        var shares: [Money] = []
        var remainders: [(remainder: UInt64, position: Int)] = []
        for (position, weight) in weights.enumerated() {
            let (share, remainder) = (amount * Money(max(weight, 0))).truncatingDivision(
                by: total, fractionDigits: digits)
            shares.append(share)
            remainders.append((remainder, position))
        }
        // The truncated parts fall short by fewer units than there are parts; the parts with the
        // largest remainders take one unit each.
        var missing = amount - Money.sum(shares)
        let order = remainders.sorted { ($1.remainder, $0.position) < ($0.remainder, $1.position) }
        for candidate in order where !missing.isZero {
            shares[candidate.position] = shares[candidate.position] + unit
            missing = missing - unit
        }
        return shares
    }

    private struct DayKey: Hashable {
        var day: String
        var provider: String
    }
}
