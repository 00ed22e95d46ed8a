/// tokenledger's UI snapshot, schema version 1 (`ui_snapshot.json`), for status-bar and editor
/// integrations that read a file.
///
/// The shape follows tokenledger's UI snapshot contract v1: `schema_version`, `generated_at`,
/// `month`, `mode`, `totals` and the `top_providers`, `top_models` and `suggestions` lists. It
/// covers the latest month that has events, in the rollups' time zone. Costs include the
/// month's subscription shares. `generated_at` is the start of the newest event counted, not
/// the clock, so the same events give the same bytes.
public struct UISnapshot: Sendable, Equatable {
    /// The file name.
    public static let fileName = "ui_snapshot.json"
    /// Rows kept in `top_providers` and `top_models` in compact mode.
    public static let compactRowLimit = 5

    /// One provider or model line.
    public struct Line: Sendable, Equatable {
        /// The provider key or model name.
        public var name: String
        /// All tokens.
        public var tokens: Int64
        /// Variable cost plus subscription share, in USD.
        public var cost: Money
        /// Distinct session ids.
        public var sessionCount: Int
    }

    /// The month, `YYYY-MM`; `nil` without events.
    public var month: String?
    /// The start of the newest event counted, in nanoseconds since the epoch.
    public var generatedAt: Int64?
    /// The month's totals.
    public var totals: Line
    /// Attempts of the month without a price.
    public var unpricedAttempts: Int
    /// Providers by tokens, descending, at most ``compactRowLimit``.
    public var topProviders: [Line]
    /// Models by tokens, descending, at most ``compactRowLimit``.
    public var topModels: [Line]
    /// Advice derived from the month's figures.
    public var suggestions: [String]

    /// Builds the snapshot of the latest month in `monthlyRows`.
    /// - Parameters:
    ///   - sessions: the distinct session counts of the latest month with a session.
    ///   - newestInstant: the start of the newest event, for `generated_at`.
    public static func make(monthlyRows: [RollupRow], sessions: SessionTally, newestInstant: Int64?) -> UISnapshot {
        let month = monthlyRows.map(\.period).max()
        let rows = monthlyRows.filter { $0.period == month }
        var providers: [String: Line] = [:]
        var models: [String: Line] = [:]
        var totals = Line(name: "total", tokens: 0, cost: .zero, sessionCount: 0)
        var unpriced = 0
        var missingUsage = 0
        var cacheRead: Int64 = 0
        var input: Int64 = 0

        for row in rows {
            var provider = providers[row.provider] ?? Line(name: row.provider, tokens: 0, cost: .zero, sessionCount: 0)
            provider.tokens = provider.tokens.addingSaturated(row.totalTokens)
            provider.cost = provider.cost + row.totalCost
            providers[row.provider] = provider
            var model = models[row.model] ?? Line(name: row.model, tokens: 0, cost: .zero, sessionCount: 0)
            model.tokens = model.tokens.addingSaturated(row.totalTokens)
            model.cost = model.cost + row.totalCost
            models[row.model] = model
            totals.tokens = totals.tokens.addingSaturated(row.totalTokens)
            totals.cost = totals.cost + row.totalCost
            unpriced += row.unpricedAttempts
            missingUsage += row.usageMissingAttempts
            cacheRead = cacheRead.addingSaturated(row.buckets.cacheRead)
            input = input.addingSaturated(row.buckets.inputTotal)
        }

        if let month {
            totals.sessionCount = sessions.count(month: month)
            for name in providers.keys { providers[name]?.sessionCount = sessions.count(month: month, provider: name) }
            for name in models.keys { models[name]?.sessionCount = sessions.count(month: month, model: name) }
        }

        var suggestions: [String] = []
        if unpriced > 0 {
            suggestions.append(
                "\(unpriced) attempts have no price in the pricing file, so their cost is missing from the totals; "
                    + "add their models to the pricing file and run 'tokenledgerd reprice'.")
        }
        if missingUsage > 0 {
            suggestions.append("\(missingUsage) attempts reported no usage, so their cost is unknown.")
        }
        if input > 0, cacheRead.multipliedReportingOverflow(by: 10).partialValue < input {
            suggestions.append(
                "Cache reads are under 10% of input tokens; keep prompt prefixes stable to raise cache hits.")
        }

        return UISnapshot(
            month: month, generatedAt: newestInstant, totals: totals, unpricedAttempts: unpriced,
            topProviders: top(providers), topModels: top(models), suggestions: suggestions)
    }

    private static func top(_ lines: [String: Line]) -> [Line] {
        let sorted = lines.values.sorted { left, right in
            left.tokens != right.tokens ? left.tokens > right.tokens : left.name.precedesInCodePointOrder(right.name)
        }
        return Array(sorted.prefix(compactRowLimit))
    }

    /// Renders the snapshot as one line of JSON with a trailing newline. Costs are rounded half to even to
    /// cents for `cost_usd` and `total_cost_usd`, and to four decimals for `blended_usd_per_mtok`.
    public func json() -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.integer("schema_version", 1)
        writer.string("generated_at", generatedAt.map(Timestamp.formatRFC3339))
        writer.string("month", month)
        writer.string("mode", "compact")
        writer.beginObject("totals")
        writer.raw("cost_usd", totals.cost.rounded(fractionDigits: 2).description)
        writer.integer("tokens", totals.tokens)
        writer.raw("blended_usd_per_mtok", Self.blended(totals).description)
        writer.integer("session_count", Int64(totals.sessionCount))
        writer.integer("skipped_unpriced_count", Int64(unpricedAttempts))
        writer.endObject()
        writer.raw("top_providers", Self.lines(topProviders))
        writer.raw("top_models", Self.lines(topModels))
        var items: [String] = []
        for suggestion in suggestions {
            var bytes: [UInt8] = []
            JSONWriter.appendQuoted(suggestion, to: &bytes)
            items.append(String(decoding: bytes, as: UTF8.self))
        }
        writer.raw("suggestions", "[" + items.joined(separator: ",") + "]")
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self) + "\n"
    }

    /// USD per million tokens, rounded half to even to four decimals; 0 without tokens.
    static func blended(_ line: Line) -> Money {
        guard line.tokens > 0 else { return .zero }
        let perMillion = line.cost * Money(1_000_000)
        let (quotient, _) = perMillion.truncatingDivision(by: UInt64(line.tokens), fractionDigits: 12)
        return quotient.rounded(fractionDigits: 4)
    }

    private static func lines(_ lines: [Line]) -> String {
        let items = lines.map { line -> String in
            var writer = JSONWriter()
            writer.beginObject()
            writer.string("name", line.name)
            writer.integer("tokens", line.tokens)
            writer.raw("total_cost_usd", line.cost.rounded(fractionDigits: 2).description)
            writer.raw("blended_usd_per_mtok", blended(line).description)
            writer.integer("session_count", Int64(line.sessionCount))
            writer.endObject()
            return String(decoding: writer.bytes, as: UTF8.self)
        }
        return "[" + items.joined(separator: ",") + "]"
    }
}

/// Distinct session ids of one month in total, per provider and per model, for the UI snapshot's
/// session counts.
///
/// The fold counts them for the latest month with a session only. A session used with two models
/// counts once in the total and once for each model.
public struct SessionTally: Sendable, Equatable {
    /// The month, `YYYY-MM`; `nil` when no event had a session.
    public private(set) var month: String?
    private var total = 0
    private var byProvider: [String: Int] = [:]
    private var byModel: [String: Int] = [:]

    /// Creates a tally without sessions.
    public init() {}

    /// Creates the tally of `month` from its distinct session counts: `total` over every
    /// provider and model, `byProvider` per ledger provider key and `byModel` per model name.
    public init(month: String, total: Int, byProvider: [String: Int], byModel: [String: Int]) {
        self.month = month
        self.total = total
        self.byProvider = byProvider
        self.byModel = byModel
    }

    /// Returns the distinct sessions in `month`; 0 for any other month than the tally's.
    public func count(month: String) -> Int {
        month == self.month ? total : 0
    }

    /// Returns the distinct sessions of `provider` in `month`.
    public func count(month: String, provider: String) -> Int {
        month == self.month ? byProvider[provider] ?? 0 : 0
    }

    /// Returns the distinct sessions of `model`, over every provider, in `month`.
    public func count(month: String, model: String) -> Int {
        month == self.month ? byModel[model] ?? 0 : 0
    }
}
