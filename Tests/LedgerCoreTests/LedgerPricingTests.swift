import LedgerCore
import Testing

@Suite("Ledger pricing file")
struct LedgerPricingTests {
    static func load(_ json: String) throws(LedgerInputError) -> PricingFile {
        try PricingFile(json: Array(json.utf8))
    }

    static func loadError(_ json: String) throws -> LedgerInputError {
        try #require(throws: LedgerInputError.self) { try load(json) }
    }

    @Test("fixture pricing file")
    func fixtureContents() throws {
        let pricing = try LedgerFixtures.pricing()
        #expect(pricing.meta.source == "tokenledger:example-pricing")
        #expect(pricing.meta.updatedAt == "2026-02-21T00:00:00Z")
        #expect(pricing.meta.version == nil)
        #expect(pricing.providers.map(\.name) == ["claude", "codex", "cursor", "droid"])
        #expect(pricing.providerAliases.map(\.alias) == ["anthropic", "openai", "factory"])
        let claude = try #require(pricing.provider(named: "claude"))
        #expect(claude.subscriptionUSDPerMonth?.description == "30")
        #expect(claude.modelAliases == [PricingAlias(alias: "sonnet", target: "claude-sonnet-4-5")])
        let rates = try #require(claude.models.first?.rates)
        #expect(rates.cacheReadUSDPerMTok?.description == "0.3")
        #expect(rates.cacheWriteUSDPerMTok?.description == "3.75")
        let cursor = try #require(pricing.model(named: "cursor-codex-latest", provider: "cursor"))
        #expect(cursor.rates.cacheReadUSDPerMTok == nil)
    }

    @Test("resolve follows one alias hop by exact name")
    func resolveAliases() throws {
        let pricing = try LedgerFixtures.pricing()
        let viaAliases = try #require(pricing.resolve(provider: "openai", model: "gpt-5-latest"))
        #expect(viaAliases.provider == "codex")
        #expect(viaAliases.model == "gpt-5")
        #expect(viaAliases.rates.inputUSDPerMTok.description == "1.25")
        #expect(viaAliases.subscriptionUSDPerMonth?.description == "0")
        let sonnet = try #require(pricing.resolve(provider: "anthropic", model: "sonnet"))
        #expect(sonnet.model == "claude-sonnet-4-5")
        #expect(
            pricing.resolve(provider: "cursor", model: "cursor-codex-latest")?.subscriptionUSDPerMonth?.description
                == "20")
        #expect(pricing.resolve(provider: "OpenAI", model: "gpt-5") == nil)
        #expect(pricing.resolve(provider: "codex", model: "gpt-5-mini") == nil)
        #expect(pricing.resolve(provider: "claude", model: "gpt-5") == nil)
    }

    @Test("names compare by scalars, not canonical equivalence")
    func exactNames() throws {
        let pricing = try Self.load(
            #"{"providers": {"caf\u00e9": {"models": {"m": {"input_usd_per_mtok": 1, "output_usd_per_mtok": 2}}}}}"#
        )
        #expect(pricing.resolve(provider: "caf\u{E9}", model: "m") != nil)
        #expect(pricing.resolve(provider: "cafe\u{301}", model: "m") == nil)
    }

    @Test("model alias to missing model fails")
    func modelAliasToMissingModel() throws {
        let error = try Self.loadError(
            """
            {"providers": {"codex": {"model_aliases": {"latest": "gpt-6"},
              "models": {"gpt-5": {"input_usd_per_mtok": 1.25, "output_usd_per_mtok": 10.0}}}}}
            """
        )
        #expect(error.code == .unknownAliasTarget)
        #expect(error.message.contains("\"latest\""))
        #expect(error.message.contains("\"gpt-6\""))
    }

    @Test("provider alias to missing provider fails")
    func providerAliasToMissingProvider() throws {
        let error = try Self.loadError(#"{"provider_aliases": {"openai": "codx"}, "providers": {"codex": {}}}"#)
        #expect(error.code == .unknownAliasTarget)
        #expect(error.message.contains("\"codx\""))
    }

    @Test(
        "malformed pricing files",
        arguments: [
            ("[1, 2", LedgerInputError.Code.invalidJSON),
            ("[]", .invalidStructure),
            ("{}", .missingField),
            (#"{"providers": {"p": {"models": {"m": {"input_usd_per_mtok": 1}}}}}"#, .missingField),
            (
                #"{"providers": {"p": {"models": {"m": {"input_usd_per_mtok": -1, "output_usd_per_mtok": 1}}}}}"#,
                .invalidNumber
            ),
            (
                #"{"providers": {"p": {"models": {"m": {"input_usd_per_mtok": "1", "output_usd_per_mtok": 1}}}}}"#,
                .invalidStructure
            ),
            (
                #"{"providers": {"p": {"models": {"m": {"input_usd_per_mtok": 1e9999, "output_usd_per_mtok": 1}}}}}"#,
                .invalidNumber
            ),
            (#"{"providers": {"p": {}, "p": {}}}"#, .invalidStructure),
            (#"{"providers": {"p": {"model_aliases": {"a": 3}}}}"#, .invalidStructure),
            (#"{"meta": {"source": 1}, "providers": {}}"#, .invalidStructure),
        ]
    )
    func malformed(json: String, code: LedgerInputError.Code) throws {
        #expect(try Self.loadError(json).code == code)
    }
}
