/// One (provider, model, period) line of the daily or monthly rollup.
public struct RollupRow: Sendable, Equatable {
    /// The ledger provider key.
    public var provider: String
    /// The ledger model name.
    public var model: String
    /// `YYYY-MM-DD` for a day, `YYYY-MM` for a month, in the rollup's time zone.
    public var period: String
    /// Attempts of any outcome.
    public var attempts = 0
    /// Token sums per bucket.
    public var buckets = TokenBuckets()
    /// tokenledger's tool-call input tokens, outside the buckets.
    public var toolInputTokens: Int64 = 0
    /// tokenledger's tool-call output tokens, outside the buckets.
    public var toolOutputTokens: Int64 = 0
    /// Tokens of priced attempts: the weights that spread a subscription.
    public var pricedTokens: Int64 = 0
    /// Attempts with a cost.
    public var pricedAttempts = 0
    /// Attempts without a price in the pricing file.
    public var unpricedAttempts = 0
    /// Tokens of attempts without a price.
    public var unpricedTokens: Int64 = 0
    /// Attempts with a price but no reported usage, whose cost is unknown.
    public var usageMissingAttempts = 0
    /// The exact sum of the priced attempts' costs, in USD.
    public var variableCost: Money = .zero
    /// The row's share of its provider's monthly fee; `nil` in daily rows, which carry no fee.
    public var subscriptionShare: Money?

    /// All tokens: the buckets and the tool-call counters.
    public var totalTokens: Int64 { buckets.total.addingSaturated(toolInputTokens).addingSaturated(toolOutputTokens) }

    /// `variableCost` plus the subscription share.
    public var totalCost: Money { variableCost + (subscriptionShare ?? .zero) }
}

/// Rolls attempts up per (provider, model) and calendar day and month of a time zone.
///
/// Days and months are civil dates in the zone. The caller's `utcOffset` returns the zone's offset
/// from UTC in seconds at an instant given in seconds since the epoch, so a day across a
/// daylight-saving change lasts 23 or 25 hours. Costs add up exactly. A provider's monthly
/// subscription is charged in the monthly rows only: it is spread over that calendar month's
/// models in proportion to their priced tokens, in whole nano-dollars by largest remainder, so the
/// shares sum to the fee exactly. A month in which none of a provider's attempts is priced
/// allocates its fee to no row.
public struct CostRollupBuilder {
    private let utcOffset: (Int64) -> Int
    /// The (provider, model) pairs, indexed by their number.
    private var pairs: [(provider: String, model: String)] = []
    private var numberByPair: [[String]: Int] = [:]
    /// One accumulator per (pair, day), updated in place; `indexByDay` finds them.
    private var days: [DayAccumulator] = []
    private var indexByDay: [DayKey: Int] = [:]
    /// The last day added for each pair number, and its accumulator index (-1 before the first).
    /// Rows of one pair mostly share their day with the pair's previous row, even when the rows
    /// of several pairs interleave.
    private var lastDayByPair: [(day: Int64, index: Int)] = []

    /// Creates a builder for the zone whose offset `utcOffset` returns.
    public init(utcOffset: @escaping (Int64) -> Int) {
        self.utcOffset = utcOffset
    }

    /// Adds one attempt.
    /// - Parameters:
    ///   - instant: the attempt's start, in nanoseconds since the epoch.
    ///   - cost: the attempt's cost; `nil` when `state` is not ``PricingState/priced``.
    public mutating func add(
        provider: String, model: String, instant: Int64, tokens: BillableTokens, cost: Money?, state: PricingState
    ) {
        let pair = pairNumber(provider: provider, model: model)
        let index = dayIndex(pair: pair, day: dayNumber(instant))
        days[index].add(tokens: tokens, state: state)
        if state == .priced, let cost {
            days[index].otherCost = days[index].otherCost + cost
        }
    }

    /// Returns the number of the (provider, model) pair for ``add(pair:day:tokens:costNanos:state:)``,
    /// giving it the next one when it is new.
    public mutating func pairNumber(provider: String, model: String) -> Int {
        let key = [provider, model]
        if let number = numberByPair[key] { return number }
        let number = pairs.count
        pairs.append((provider, model))
        numberByPair[key] = number
        return number
    }

    /// Adds one attempt of the pair numbered `pair` on the local day numbered `day` (see
    /// ``dayNumber(_:)``), with its cost in nano-dollars, `nil` unless `state` is priced.
    public mutating func add(pair: Int, day: Int64, tokens: BillableTokens, costNanos: Int64?, state: PricingState) {
        let index = dayIndex(pair: pair, day: day)
        days[index].add(tokens: tokens, state: state)
        if state == .priced, let costNanos {
            days[index].addCost(nanos: costNanos)
        }
    }

    @inline(__always)
    private mutating func dayIndex(pair: Int, day: Int64) -> Int {
        if pair >= 0, pair < lastDayByPair.count, lastDayByPair[pair].index >= 0, lastDayByPair[pair].day == day {
            return lastDayByPair[pair].index
        }
        let key = DayKey(pair: pair, day: day)
        let index: Int
        if let existing = indexByDay[key] {
            index = existing
        } else {
            index = days.count
            days.append(DayAccumulator(key: key))
            indexByDay[key] = index
        }
        if pair >= 0 {
            if pair >= lastDayByPair.count {
                lastDayByPair += repeatElement((day: 0, index: -1), count: pair + 1 - lastDayByPair.count)
            }
            lastDayByPair[pair] = (day, index)
        }
        return index
    }

    /// Returns the daily rows, sorted by provider, model and day.
    public func dailyRows() -> [RollupRow] {
        days.map { accumulator in
            let pair = pairs[accumulator.key.pair]
            var row = accumulator.row
            row.provider = pair.provider
            row.model = pair.model
            row.period = Self.dayText(accumulator.key.day)
            return row
        }
        .sorted(by: Self.precedes)
    }

    /// Sums the days into months and spreads each provider's fee; rows are sorted by provider, model
    /// and month.
    /// - Parameter subscriptionUSDPerMonth: the monthly fee of a provider key, `nil` for none.
    public func monthlyRows(subscriptionUSDPerMonth: (String) -> Money?) -> [RollupRow] {
        var months: [RowKey: RollupRow] = [:]
        for day in dailyRows() {
            let key = RowKey(provider: day.provider, model: day.model, period: String(day.period.prefix(7)))
            var row = months[key] ?? RollupRow(provider: day.provider, model: day.model, period: key.period)
            row.attempts += day.attempts
            row.buckets.add(day.buckets)
            row.toolInputTokens = row.toolInputTokens.addingSaturated(day.toolInputTokens)
            row.toolOutputTokens = row.toolOutputTokens.addingSaturated(day.toolOutputTokens)
            row.pricedTokens = row.pricedTokens.addingSaturated(day.pricedTokens)
            row.pricedAttempts += day.pricedAttempts
            row.unpricedAttempts += day.unpricedAttempts
            row.unpricedTokens = row.unpricedTokens.addingSaturated(day.unpricedTokens)
            row.usageMissingAttempts += day.usageMissingAttempts
            row.variableCost = row.variableCost + day.variableCost
            months[key] = row
        }
        var rows = months.values.sorted(by: Self.precedes)
        var groups: [[String]: [Int]] = [:]
        for (position, row) in rows.enumerated() {
            groups[[row.provider, row.period], default: []].append(position)
        }
        for (group, positions) in groups {
            let fee = subscriptionUSDPerMonth(group[0]) ?? .zero
            let shares = MonthlyCostReport.allocate(fee, weights: positions.map { rows[$0].pricedTokens })
            for (position, share) in zip(positions, shares) {
                rows[position].subscriptionShare = share
            }
        }
        return rows
    }

    /// Returns the civil day of `instant` in the builder's zone, `YYYY-MM-DD`.
    public func localDay(_ instant: Int64) -> String {
        Self.dayText(dayNumber(instant))
    }

    /// Returns the civil day of `instant` (nanoseconds since the epoch) in the builder's zone, as
    /// days since 1970-01-01.
    public func dayNumber(_ instant: Int64) -> Int64 {
        var seconds = instant / 1_000_000_000
        if instant % 1_000_000_000 < 0 { seconds -= 1 }
        let local = seconds + Int64(utcOffset(seconds))
        var days = local / 86_400
        if local % 86_400 < 0 { days -= 1 }
        return days
    }

    /// Returns the day numbered `days` since 1970-01-01 as `YYYY-MM-DD`.
    public static func dayText(_ days: Int64) -> String {
        let (year, month, day) = Timestamp.civilFromDays(days)
        return Self.pad(year, 4) + "-" + Self.pad(month, 2) + "-" + Self.pad(day, 2)
    }

    private static func precedes(_ left: RollupRow, _ right: RollupRow) -> Bool {
        if left.provider != right.provider { return left.provider.precedesInCodePointOrder(right.provider) }
        if left.model != right.model { return left.model.precedesInCodePointOrder(right.model) }
        return left.period < right.period
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private struct RowKey: Hashable {
        var provider: String
        var model: String
        var period: String
    }

    private struct DayKey: Hashable {
        var pair: Int
        var day: Int64
    }

    /// The sums of one (pair, day). Costs in nano-dollars add up in `costNanos` and move into
    /// `otherCost` before they would overflow, so the total stays exact.
    private struct DayAccumulator {
        var key: DayKey
        var sums = RollupRow(provider: "", model: "", period: "")
        var costNanos: Int64 = 0
        var otherCost: Money = .zero

        init(key: DayKey) {
            self.key = key
        }

        mutating func add(tokens: BillableTokens, state: PricingState) {
            sums.attempts += 1
            sums.buckets.add(tokens.buckets)
            sums.toolInputTokens = sums.toolInputTokens.addingSaturated(tokens.toolInput)
            sums.toolOutputTokens = sums.toolOutputTokens.addingSaturated(tokens.toolOutput)
            switch state {
            case .priced:
                sums.pricedAttempts += 1
                sums.pricedTokens = sums.pricedTokens.addingSaturated(tokens.total)
            case .unpriced:
                sums.unpricedAttempts += 1
                sums.unpricedTokens = sums.unpricedTokens.addingSaturated(tokens.total)
            case .usageMissing:
                sums.usageMissingAttempts += 1
            }
        }

        mutating func addCost(nanos: Int64) {
            let (sum, overflow) = costNanos.addingReportingOverflow(nanos)
            if overflow {
                otherCost = otherCost + Money(nanos: costNanos)
                costNanos = nanos
            } else {
                costNanos = sum
            }
        }

        /// The row without its provider, model and period, which the builder fills in.
        var row: RollupRow {
            var result = sums
            result.variableCost = otherCost + Money(nanos: costNanos)
            return result
        }
    }
}

/// Writes the daily and monthly rollup CSV files.
public enum RollupWriter {
    /// The daily rollup's file name.
    public static let dailyName = "rollups_daily.csv"
    /// The monthly rollup's file name.
    public static let monthlyName = "rollups_monthly.csv"

    /// Renders the rollup CSV. Monthly files add `subscription_share_usd` and `total_cost_usd`.
    ///
    /// Costs are exact decimals in plain notation. `variable_cost_usd` is empty when no attempt of
    /// the row is priced, because an unpriced attempt is never $0.
    public static func csv(_ rows: [RollupRow], isMonthly: Bool) -> String {
        var writer = CSVWriter()
        var header = [
            "provider", "model", "period", "attempts", "input_uncached_tokens", "cache_read_tokens",
            "cache_write_tokens", "output_tokens", "reasoning_tokens", "unclassified_tokens", "tool_input_tokens",
            "tool_output_tokens", "total_tokens", "priced_tokens", "priced_attempts", "unpriced_attempts",
            "unpriced_tokens", "usage_missing_attempts", "variable_cost_usd",
        ]
        if isMonthly { header += ["subscription_share_usd", "total_cost_usd"] }
        writer.appendRecord(header)
        for row in rows {
            var cells = [
                row.provider, row.model, row.period, String(row.attempts), String(row.buckets.inputUncached),
                String(row.buckets.cacheRead), String(row.buckets.cacheWrite), String(row.buckets.output),
                String(row.buckets.reasoning), String(row.buckets.unclassified), String(row.toolInputTokens),
                String(row.toolOutputTokens), String(row.totalTokens), String(row.pricedTokens),
                String(row.pricedAttempts), String(row.unpricedAttempts), String(row.unpricedTokens),
                String(row.usageMissingAttempts), row.pricedAttempts > 0 ? row.variableCost.description : "",
            ]
            if isMonthly {
                cells += [(row.subscriptionShare ?? .zero).description, row.totalCost.description]
            }
            writer.appendRecord(cells)
        }
        return writer.text
    }
}
