import Foundation
import LedgerCore
import Testing

@Suite("Pricing with genai-prices data")
struct PricingGenAITests {
    static func data() throws -> GenAIPriceData {
        try GenAIPriceData(json: Array(try Data(contentsOf: FixturePaths.fixture("genai-prices/data.json"))))
    }

    static func instant(_ text: String) throws -> Int64 {
        try #require(Timestamp.parseRFC3339(text))
    }

    static func input(_ count: Int64, output: Int64 = 0) -> BillableTokens {
        BillableTokens(buckets: TokenBuckets(inputUncached: count, output: output))
    }

    @Test("fixture data parses")
    func fixtureParses() throws {
        let data = try Self.data()
        #expect(data.providers.count == 34)
        #expect(data.providers.reduce(0) { $0 + $1.models.count } == 1_442)
        #expect(data.fileHash.count == 64)
        #expect(data.provider(id: "google")?.fallbackModelProviders == ["anthropic"])
    }

    @Test("provider lookup by id and by provider match")
    func providerLookup() throws {
        let data = try Self.data()
        #expect(data.provider(id: " Anthropic ")?.id == "anthropic")
        #expect(data.provider(id: "gcp.vertex_ai")?.id == "google")
        #expect(data.provider(id: "aws.bedrock")?.id == "aws")
        #expect(data.provider(id: "xai")?.id == "x-ai")
        #expect(data.provider(id: "nobody") == nil)
        #expect(data.provider(forModel: "o3-mini")?.id == "openai")
    }

    @Test(
        "match clauses",
        arguments: [
            (GenAIMatchClause.equals("GPT-4o"), "gpt-4o", true), (.equals("gpt-4o"), "gpt-4o-mini", false),
            (.startsWith("Claude-"), "claude-x", true), (.endsWith("-Latest"), "model-latest", true),
            (.contains("sonnet"), "claude-sonnet-4", true), (.regex("^o[134]"), "o3-mini", true),
            (.regex("^o[134]"), "gpt-o3", false), (.regex("\\d{8}$"), "grok-4.3-20260101", true),
            (.or([.equals("a"), .equals("b")]), "b", true), (.and([.contains("a"), .contains("z")]), "abc", false),
        ])
    func matchClauses(clause: GenAIMatchClause, name: String, expected: Bool) {
        #expect(clause.matches(name) == expected)
    }

    @Test("every clause kind parses and unknown kinds are rejected")
    func clauseParsing() throws {
        let json =
            #"{"or":[{"equals":"a"},{"starts_with":"b"},{"ends_with":"c"},{"contains":"d"},"#
            + #"{"regex":"^e"},{"and":[{"equals":"f"}]}]}"#
        let clause = try GenAIMatchClause(json: try JSONParser.parse(json), at: "$")
        #expect(
            clause
                == .or([
                    .equals("a"), .startsWith("b"), .endsWith("c"), .contains("d"), .regex("^e"), .and([.equals("f")]),
                ]))
        for invalid in [#"{"glob":"a*"}"#, #"{"equals":"a","contains":"b"}"#, #"{"regex":"("}"#, #"{"or":"a"}"#] {
            let error = try #require(throws: PricingError.self) {
                try GenAIMatchClause(json: try JSONParser.parse(invalid), at: "$")
            }
            #expect(error.code == .invalidPriceData, "\(invalid)")
        }
    }

    @Test("tier applies only above its start")
    func tierThreshold() throws {
        let pricer = GenAIPricer(data: try Self.data())
        let before = try Self.instant("2026-03-12T23:59:59Z")
        let atStart = try #require(
            try pricer.cost(
                provider: "anthropic", model: "claude-sonnet-4-6", tokens: Self.input(200_000, output: 1),
                atNanoseconds: before))
        #expect(atStart.breakdown.input.description == "0.6")
        #expect(atStart.breakdown.output.description == "0.000015")
        let above = try #require(
            try pricer.cost(
                provider: "anthropic", model: "claude-sonnet-4-6", tokens: Self.input(200_001, output: 1),
                atNanoseconds: before))
        #expect(above.breakdown.input.description == "1.200006")
        #expect(above.breakdown.output.description == "0.0000225")
    }

    @Test("tier counts cached tokens toward the threshold")
    func tierCountsCachedInput() throws {
        let pricer = GenAIPricer(data: try Self.data())
        let tokens = BillableTokens(buckets: TokenBuckets(inputUncached: 1_000, cacheRead: 199_001))
        let cost = try #require(
            try pricer.cost(
                provider: "anthropic", model: "claude-sonnet-4-6", tokens: tokens,
                atNanoseconds: try Self.instant("2026-01-01T00:00:00Z")))
        #expect(cost.breakdown.inputUncached.description == "0.006")
        #expect(cost.breakdown.cacheRead.description == "0.1194006")
    }

    @Test("dated prices switch on their start day")
    func datedPrices() throws {
        let pricer = GenAIPricer(data: try Self.data())
        let tokens = Self.input(300_000)
        let tiered = try #require(
            try pricer.cost(
                provider: "anthropic", model: "claude-sonnet-4-6", tokens: tokens,
                atNanoseconds: try Self.instant("2026-03-12T23:59:59.999Z")))
        #expect(tiered.total.description == "1.8")
        let flat = try #require(
            try pricer.cost(
                provider: "anthropic", model: "claude-sonnet-4-6", tokens: tokens,
                atNanoseconds: try Self.instant("2026-03-13T00:00:00Z")))
        #expect(flat.total.description == "0.9")
        let oldO3 = try #require(
            try pricer.cost(
                provider: "openai", model: "o3", tokens: Self.input(1_000_000),
                atNanoseconds: try Self.instant("2025-06-09T12:00:00Z")))
        #expect(oldO3.total.description == "10")
        let newO3 = try #require(
            try pricer.cost(
                provider: "openai", model: "o3", tokens: Self.input(1_000_000),
                atNanoseconds: try Self.instant("2025-06-10T00:00:00Z")))
        #expect(newO3.total.description == "2")
    }

    @Test("time-of-day prices apply inside their interval")
    func timeOfDayPrices() throws {
        let pricer = GenAIPricer(data: try Self.data())
        func price(_ time: String) throws -> String? {
            try pricer.cost(
                provider: "deepseek", model: "deepseek-chat", tokens: Self.input(1_000_000),
                atNanoseconds: try Self.instant("2026-05-01T\(time)Z"))?.total.description
        }
        #expect(try price("00:29:59") == "0.135")
        #expect(try price("00:30:00") == "0.27")
        #expect(try price("16:29:59") == "0.27")
        #expect(try price("16:30:00") == "0.135")
    }

    @Test("fallback provider supplies the model")
    func fallbackProvider() throws {
        let pricer = GenAIPricer(data: try Self.data())
        let cost = try #require(
            try pricer.cost(
                provider: "google", model: "claude-haiku-4-5", tokens: Self.input(1_000_000),
                atNanoseconds: try Self.instant("2026-08-21T00:00:00Z")))
        #expect(cost.entry.requestedProvider == "google")
        #expect(cost.entry.provider == "anthropic")
        #expect(cost.entry.model == "claude-haiku-4-5")
        #expect(cost.priceReference.hasPrefix("genai-prices:anthropic/claude-haiku-4-5@sha256:"))
        #expect(cost.total.description == "1")
    }

    @Test("unknown provider or model is unpriced")
    func unpriced() throws {
        let pricer = GenAIPricer(data: try Self.data())
        let instant = try Self.instant("2026-08-21T00:00:00Z")
        #expect(
            try pricer.cost(provider: "nobody", model: "gpt-4o", tokens: Self.input(1), atNanoseconds: instant) == nil)
        #expect(
            try pricer.cost(provider: "openai", model: "no-such-model", tokens: Self.input(1), atNanoseconds: instant)
                == nil)
    }

    @Test("missing part rates fall back to the parent rate")
    func partRates() throws {
        let price = GenAIModelPrice(rates: [
            GenAIModelPrice.input: .flat(Money(2)), GenAIModelPrice.output: .flat(Money(8)),
            GenAIModelPrice.cacheWrite: .flat(Money(3)), GenAIModelPrice.cacheWriteOneHour: .flat(Money(4)),
            GenAIModelPrice.requests: .flat(Money(5)),
        ])
        let tokens = BillableTokens(
            buckets: TokenBuckets(
                inputUncached: 1_000_000, cacheRead: 1_000_000, cacheWrite: 3_000_000, output: 1_000_000,
                reasoning: 500_000, unclassified: 1_000_000),
            cacheWriteOneHour: 1_000_000, inputAudio: 500_000, outputAudio: 250_000)
        let breakdown = GenAIPricer.breakdown(tokens, price: price)
        #expect(breakdown.inputUncached.description == "2")
        #expect(breakdown.cacheRead.description == "2")
        #expect(breakdown.cacheWrite.description == "10")
        #expect(breakdown.output.description == "8")
        #expect(breakdown.unclassified.description == "2")
        #expect(breakdown.requests.description == "0.005")
        #expect(breakdown.total.description == "24.005")
    }

    @Test("invalid price data is rejected")
    func invalidData() throws {
        let cases = [
            #"{"id":"x"}"#, #"[{"id":"x","models":{}}]"#,
            #"[{"id":"x","models":[{"id":"m","match":{"equals":"m"},"prices":{"input_mtok":-1}}]}]"#,
            #"[{"id":"x","models":[{"id":"m","match":{"equals":"m"},"prices":[{"constraint":{"start_date":"2026-13-01"},"prices":{}}]}]}]"#,
            #"[{"id":"x","models":[{"id":"m","match":{"equals":"m"},"prices":{"input_mtok":{"base":1,"tiers":[{"start":1.5,"price":2}]}}}]}]"#,
        ]
        for json in cases {
            let error = try #require(throws: PricingError.self) { try GenAIPriceData(json: Array(json.utf8)) }
            #expect(error.code == .invalidPriceData, "\(json)")
        }
    }
}
