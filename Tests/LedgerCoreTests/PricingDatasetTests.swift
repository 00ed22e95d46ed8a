import Foundation
import LedgerCore
import Testing

/// Prices the real provider responses of genai-prices' test dataset and compares with its prices.
@Suite("Pricing proof on genai-prices usages")
struct PricingDatasetTests {
    /// Providers whose response shapes this project reads.
    static let scope: Set<String> = ["anthropic", "openai", "google"]

    /// The instant every body is priced at: the day the dataset's genai-prices commit was taken,
    /// which is when its reference prices were computed.
    static let pricedAt = "2026-08-21T00:00:00Z"

    /// Why a priced (body, provider, flavour) pair is not compared.
    enum PairExclusion: String, CaseIterable {
        case embeddingsFlavorOnChatBody = "embeddings extractor applied to a chat-completions body"
        case imageGenerationModel = "Gemini image-generation model billed per output modality"
    }

    /// Why a body has no compared pair.
    enum BodyExclusion: String, CaseIterable {
        case noUsageObject = "no usage object"
        case pricedOnlyForOtherProviders = "priced by genai-prices only for providers out of scope"
        case pricedByNoProvider = "priced by genai-prices for no provider"
        case onlyExcludedPairs = "every in-scope price excluded"
    }

    struct Tally {
        var matchedPairs: [String: Int] = [:]
        var matchedBodies = 0
        var mismatches: [String] = []
        var excludedPairs: [PairExclusion: Int] = [:]
        var excludedBodies: [BodyExclusion: Int] = [:]
        var unpricedInScopePairs = 0
    }

    static func format(provider: String, flavor: String) -> UpstreamUsageFormat? {
        switch (provider, flavor) {
        case ("anthropic", "default"), ("google", "anthropic"): return .anthropicMessages
        case (_, "chat"): return .openAIChatCompletions
        case ("openai", "responses"): return .openAIResponses
        case ("openai", "embeddings"): return .openAIEmbeddings
        case ("google", "default"): return .geminiUsageMetadata
        default: return nil
        }
    }

    static func run() throws -> Tally {
        let data = try GenAIPriceData(json: Array(try Data(contentsOf: FixturePaths.fixture("genai-prices/data.json"))))
        let pricer = GenAIPricer(data: data)
        let instant = try #require(Timestamp.parseRFC3339(pricedAt))
        let root = try JSONParser.parse(Array(try Data(contentsOf: FixturePaths.fixture("genai-prices/usages.json"))))
        let entries = try #require(root.arrayValue)
        var tally = Tally()
        for (index, entry) in entries.enumerated() {
            let body = try #require(entry["body"])
            let records = (entry["extracted"]?.arrayValue ?? []).flatMap { $0["extractors"]?.arrayValue ?? [] }
            var compared = 0
            var mismatched = false
            var excludedInScope = 0
            for record in records {
                guard let provider = record["provider_id"]?.stringValue, scope.contains(provider),
                    let flavor = record["api_flavor"]?.stringValue
                else { continue }
                guard let expectedInput = record["input_price"]?.stringValue.flatMap({ Money(parsing: $0) }),
                    let expectedOutput = record["output_price"]?.stringValue.flatMap({ Money(parsing: $0) })
                else {
                    tally.unpricedInScopePairs += 1
                    continue
                }
                let pair = "body \(index) \(provider)/\(flavor)"
                guard let format = format(provider: provider, flavor: flavor) else {
                    tally.mismatches.append("\(pair): no extractor")
                    mismatched = true
                    continue
                }
                if format == .openAIEmbeddings, body["usage"]?["completion_tokens"] != nil {
                    tally.excludedPairs[.embeddingsFlavorOnChatBody, default: 0] += 1
                    excludedInScope += 1
                    continue
                }
                do {
                    let (model, usage) = try UpstreamUsageExtractor.extract(fromResponse: body, format: format)
                    let cost = try pricer.cost(
                        provider: provider, model: model ?? "", tokens: usage.tokens, atNanoseconds: instant)
                    guard let cost else {
                        tally.mismatches.append("\(pair): unpriced model \(model ?? "none")")
                        mismatched = true
                        continue
                    }
                    if provider == "google", cost.entry.model.contains("-image") {
                        tally.excludedPairs[.imageGenerationModel, default: 0] += 1
                        excludedInScope += 1
                        continue
                    }
                    compared += 1
                    if cost.breakdown.input == expectedInput, cost.breakdown.output == expectedOutput,
                        !cost.isEstimated
                    {
                        tally.matchedPairs["\(provider)/\(flavor)", default: 0] += 1
                    } else {
                        mismatched = true
                        tally.mismatches.append(
                            "\(pair): input \(cost.breakdown.input) vs \(expectedInput), "
                                + "output \(cost.breakdown.output) vs \(expectedOutput)")
                    }
                } catch {
                    mismatched = true
                    tally.mismatches.append("\(pair): \(error)")
                }
            }
            if compared > 0 {
                if !mismatched { tally.matchedBodies += 1 }
            } else if excludedInScope > 0 {
                tally.excludedBodies[.onlyExcludedPairs, default: 0] += 1
            } else if body["usage"]?.objectValue == nil, body["usageMetadata"]?.objectValue == nil {
                tally.excludedBodies[.noUsageObject, default: 0] += 1
            } else if records.contains(where: { $0["input_price"] != nil }) {
                tally.excludedBodies[.pricedOnlyForOtherProviders, default: 0] += 1
            } else {
                tally.excludedBodies[.pricedByNoProvider, default: 0] += 1
            }
        }
        return tally
    }

    @Test("every in-scope body matches genai-prices exactly")
    func datasetMatches() throws {
        let tally = try Self.run()
        #expect(tally.mismatches.isEmpty, "\(tally.mismatches.prefix(10))")
        #expect(tally.mismatches.count == 0)
        #expect(tally.matchedPairs.values.reduce(0, +) == 1_307)
        #expect(
            tally.matchedPairs == [
                "anthropic/default": 226, "anthropic/chat": 1, "google/anthropic": 226, "google/chat": 5,
                "google/default": 428, "openai/chat": 183, "openai/responses": 235, "openai/embeddings": 3,
            ])
        #expect(tally.matchedBodies == 1_080)
    }

    @Test("exclusions are counted by reason")
    func datasetExclusions() throws {
        let tally = try Self.run()
        #expect(tally.excludedPairs == [.embeddingsFlavorOnChatBody: 183, .imageGenerationModel: 6])
        #expect(
            tally.excludedBodies == [
                .pricedByNoProvider: 275, .pricedOnlyForOtherProviders: 212, .onlyExcludedPairs: 6, .noUsageObject: 4,
            ])
        #expect(tally.matchedBodies + tally.excludedBodies.values.reduce(0, +) == 1_577)
        #expect(tally.unpricedInScopePairs == 2_022)
    }
}
