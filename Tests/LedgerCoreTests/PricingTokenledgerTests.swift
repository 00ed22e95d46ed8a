import Foundation
import LedgerCore
import Testing

@Suite("Pricing with a tokenledger pricing file")
struct PricingTokenledgerTests {
    struct FixtureEvent {
        var provider: String
        var model: String
        var day: String
        var tokens: BillableTokens
    }

    static func pricer() throws -> TokenledgerPricer {
        let bytes = Array(try Data(contentsOf: FixturePaths.fixture("tokenledger/pricing.example.json")))
        return try TokenledgerPricer(pricingFileBytes: bytes)
    }

    static func events() throws -> [FixtureEvent] {
        try FixturePaths.lines("tokenledger/events.jsonl").map { line in
            let value = try JSONParser.parse(line)
            let usage = try #require(value["usage"])
            func count(_ key: String) throws -> Int64 { try #require(usage[key]?.int64Value) }
            let timestamp = try #require(value["timestamp"]?.stringValue)
            return FixtureEvent(
                provider: try #require(value["provider"]?.stringValue),
                model: try #require(value["model"]?.stringValue),
                day: String(timestamp.prefix(10)),
                tokens: BillableTokens(
                    tokenledgerInput: try count("input_tokens"), output: try count("output_tokens"),
                    cacheWrite: try count("cache_write_tokens"), cacheRead: try count("cache_read_tokens"),
                    toolInput: try count("tool_input_tokens"), toolOutput: try count("tool_output_tokens")))
        }
    }

    static func expected() throws -> JSONValue {
        try JSONParser.parse(Array(try Data(contentsOf: FixturePaths.fixture("tokenledger/events.expected.json"))))
    }

    @Test("per-event costs match tokenledger")
    func perEventCosts() throws {
        let pricer = try Self.pricer()
        let expected = try #require(try Self.expected()["variable_cost_by_provider_usd"]?.objectValue)
        let events = try Self.events()
        #expect(events.count == 4)
        for event in events {
            let cost = try #require(try pricer.cost(provider: event.provider, model: event.model, tokens: event.tokens))
            #expect(cost.total.description == expected[event.provider]?.stringValue, "\(event.provider)")
            #expect(!cost.isEstimated)
        }
    }

    @Test("monthly report reproduces the golden figures")
    func monthlyReport() throws {
        let pricer = try Self.pricer()
        let expected = try Self.expected()
        let costed = try Self.events().map { event in
            let cost = try pricer.cost(provider: event.provider, model: event.model, tokens: event.tokens)
            return CostedEvent(
                provider: cost?.entry.provider ?? event.provider, day: event.day, tokens: event.tokens.total,
                cost: cost?.total)
        }
        let report = MonthlyCostReport(month: "2026-02", events: costed) {
            pricer.subscriptionUSDPerMonth(provider: $0)
        }
        #expect(report.variableCost.description == expected["variable_cost_usd"]?.stringValue)
        #expect(report.subscriptionCost.description == expected["subscription_allocated_usd"]?.stringValue)
        #expect(report.totalCost.description == expected["monthly_total_usd"]?.stringValue)
        #expect(report.tokens == expected["total_tokens"]?.int64Value)
        #expect(report.unpricedTokens == 0)
        #expect(report.providers.map(\.provider) == ["claude", "codex", "cursor", "droid"])
        #expect(report.providers.map(\.subscriptionCost.description) == ["30", "0", "20", "0"])
        #expect(report.providers.map(\.variableCost.description) == ["14.775", "6.1625", "3.53125", "3.0025"])
        #expect(Money.sum(report.days.map(\.subscriptionShare)).description == "50")
        #expect(Money.sum(report.days.map(\.totalCost)) == report.totalCost)
    }

    @Test("subscription is spread over days, not charged per day")
    func subscriptionSpreadOverDays() throws {
        let pricer = try Self.pricer()
        let events = [
            CostedEvent(provider: "claude", day: "2026-02-01", tokens: 1_000, cost: Money(1)),
            CostedEvent(provider: "claude", day: "2026-02-02", tokens: 2_000, cost: Money(2)),
            CostedEvent(provider: "claude", day: "2026-02-03", tokens: 500, cost: nil),
            CostedEvent(provider: "claude", day: "2026-03-01", tokens: 9_000, cost: Money(9)),
        ]
        let report = MonthlyCostReport(month: "2026-02", events: events) {
            pricer.subscriptionUSDPerMonth(provider: $0)
        }
        #expect(report.days.map(\.subscriptionShare.description) == ["10", "20", "0"])
        #expect(report.subscriptionCost.description == "30")
        #expect(report.tokens == 3_500)
        #expect(report.unpricedTokens == 500)
        #expect(report.variableCost.description == "3")
    }

    @Test("fallback rates follow tokenledger")
    func fallbackRates() throws {
        let pricer = try Self.pricer()
        let tokens = BillableTokens(
            tokenledgerInput: 0, output: 0, cacheWrite: 1_000_000, cacheRead: 1_000_000, toolInput: 1_000_000,
            toolOutput: 1_000_000)
        let cost = try #require(try pricer.cost(provider: "cursor", model: "cursor-codex-latest", tokens: tokens))
        #expect(cost.breakdown.cacheWrite.description == "1.25")
        #expect(cost.breakdown.cacheRead.description == "0.125")
        #expect(cost.breakdown.toolInput.description == "1.25")
        #expect(cost.breakdown.toolOutput.description == "10")
    }

    @Test("aliases are reported with the price reference")
    func aliasHops() throws {
        let pricer = try Self.pricer()
        let tokens = BillableTokens(buckets: TokenBuckets(inputUncached: 1_000_000))
        let cost = try #require(try pricer.cost(provider: "anthropic", model: "sonnet", tokens: tokens))
        #expect(cost.entry.label == "claude/claude-sonnet-4-5")
        #expect(cost.entry.providerAlias == "anthropic")
        #expect(cost.entry.modelAlias == "sonnet")
        #expect(pricer.pricingHash.count == 64)
        #expect(cost.priceReference == "tokenledger:claude/claude-sonnet-4-5@sha256:\(pricer.pricingHash)")
        let direct = try #require(try pricer.cost(provider: "codex", model: "gpt-5", tokens: tokens))
        #expect(direct.entry.providerAlias == nil)
        #expect(direct.entry.modelAlias == nil)
    }

    @Test("unpriced model has no cost")
    func unpricedModel() throws {
        let pricer = try Self.pricer()
        let tokens = BillableTokens(buckets: TokenBuckets(inputUncached: 10))
        #expect(try pricer.cost(provider: "claude", model: "claude-unknown", tokens: tokens) == nil)
        #expect(try pricer.cost(provider: "nobody", model: "gpt-5", tokens: tokens) == nil)
    }

    @Test("unclassified tokens are billed at the input rate and flagged")
    func unclassifiedTokens() throws {
        let pricer = try Self.pricer()
        let tokens = BillableTokens(buckets: TokenBuckets(unclassified: 2_000_000))
        let cost = try #require(try pricer.cost(provider: "claude", model: "claude-sonnet-4-5", tokens: tokens))
        #expect(cost.total.description == "6")
        #expect(cost.isEstimated)
    }

    @Test("negative counts are rejected")
    func negativeCounts() throws {
        let pricer = try Self.pricer()
        let tokens = BillableTokens(buckets: TokenBuckets(inputUncached: -1))
        let error = try #require(throws: PricingError.self) {
            try pricer.cost(provider: "claude", model: "claude-sonnet-4-5", tokens: tokens)
        }
        #expect(error.code == .invalidTokens)
    }
}
