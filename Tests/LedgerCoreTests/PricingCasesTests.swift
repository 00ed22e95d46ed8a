import Foundation
import LedgerCore
import Testing

/// Hand-computed prices for the cases a ledger must get right. The long-context threshold on
/// both sides of 200,000 input tokens is covered by `PricingGenAITests.tierThreshold` and
/// `tierCountsCachedInput`, on claude-sonnet-4-6 of the genai-prices fixture.
@Suite("Pricing cases")
struct PricingCasesTests {
    /// One model whose input price rises from 2 to 3 USD per million tokens on 2026-03-01 (UTC),
    /// with a one-hour cache-write rate of its own.
    static let datedData = """
        [{"id":"example","models":[{"id":"m-1","match":{"equals":"m-1"},"prices":[
        {"prices":{"input_mtok":2,"output_mtok":8,"cache_write_mtok":2.5,"cache_write_1h_mtok":4}},
        {"constraint":{"start_date":"2026-03-01"},"prices":{"input_mtok":3,"output_mtok":8,"cache_write_mtok":3.75,
        "cache_write_1h_mtok":6}}]}]}]
        """

    static func instant(_ text: String) throws -> Int64 {
        try #require(Timestamp.parseRFC3339(text))
    }

    @Test("price change between two events")
    func priceChangeAtInstant() throws {
        let pricer = GenAIPricer(data: try GenAIPriceData(json: Array(Self.datedData.utf8)))
        let tokens = BillableTokens(buckets: TokenBuckets(inputUncached: 1_000_000, output: 100_000))
        let before = try #require(
            try pricer.cost(
                provider: "example", model: "m-1", tokens: tokens,
                atNanoseconds: try Self.instant("2026-02-28T23:59:59.999999999Z")))
        let after = try #require(
            try pricer.cost(
                provider: "example", model: "m-1", tokens: tokens,
                atNanoseconds: try Self.instant("2026-03-01T00:00:00Z")))
        // 1,000,000 × 2 / 1e6 + 100,000 × 8 / 1e6 = 2.8; then 1,000,000 × 3 / 1e6 + 0.8 = 3.8.
        #expect(before.total.description == "2.8")
        #expect(after.total.description == "3.8")
        #expect(before.priceReference == after.priceReference)
    }

    @Test("one-hour cache write uses its own rate")
    func oneHourCacheWrite() throws {
        let pricer = GenAIPricer(data: try GenAIPriceData(json: Array(Self.datedData.utf8)))
        let tokens = BillableTokens(buckets: TokenBuckets(cacheWrite: 100_000), cacheWriteOneHour: 40_000)
        let cost = try #require(
            try pricer.cost(
                provider: "example", model: "m-1", tokens: tokens,
                atNanoseconds: try Self.instant("2026-04-01T00:00:00Z")))
        // 60,000 × 3.75 / 1e6 + 40,000 × 6 / 1e6 = 0.225 + 0.24.
        #expect(cost.breakdown.cacheWrite.description == "0.465")

        // tokenledger's file has one cache-write rate, which bills both lifetimes: 100,000 × 3.75 / 1e6.
        let tokenledger = try PricingTokenledgerTests.pricer()
        let flat = try #require(try tokenledger.cost(provider: "claude", model: "claude-sonnet-4-5", tokens: tokens))
        #expect(flat.breakdown.cacheWrite.description == "0.375")
    }

    @Test("alias-only model name is priced")
    func aliasOnlyModel() throws {
        let pricer = try PricingTokenledgerTests.pricer()
        let tokens = BillableTokens(buckets: TokenBuckets(inputUncached: 1_000, output: 1_000))
        let cost = try #require(try pricer.cost(provider: "factory", model: "droid-latest", tokens: tokens))
        // 1,000 × 1.25 / 1e6 + 1,000 × 10 / 1e6.
        #expect(cost.total.description == "0.01125")
        #expect(cost.entry.label == "droid/factory-droid-latest")
        #expect(cost.total.roundedToNanos() == 11_250_000)
    }
}
