import LedgerCore
import Testing

@Suite("Pricing upstream usage extraction")
struct PricingUpstreamUsageTests {
    static func extract(_ json: String, _ format: UpstreamUsageFormat) throws -> UpstreamUsage {
        try UpstreamUsageExtractor.extract(try JSONParser.parse(json), format: format)
    }

    @Test("Anthropic input is uncached only")
    func anthropic() throws {
        let usage = try Self.extract(
            #"{"input_tokens":12,"output_tokens":640,"cache_read_input_tokens":48000,"#
                + #""cache_creation_input_tokens":1500,"cache_creation":{"ephemeral_5m_input_tokens":500,"#
                + #""ephemeral_1h_input_tokens":1000}}"#, .anthropicMessages)
        #expect(usage.buckets == TokenBuckets(inputUncached: 12, cacheRead: 48_000, cacheWrite: 1_500, output: 640))
        #expect(usage.tokens.cacheWriteOneHour == 1_000)
        #expect(usage.quality == .complete)
        #expect(usage.state == .present)
    }

    @Test("Anthropic cache write from lifetimes alone")
    func anthropicLifetimesOnly() throws {
        let usage = try Self.extract(
            #"{"input_tokens":1,"output_tokens":2,"cache_creation":{"ephemeral_5m_input_tokens":3,"#
                + #""ephemeral_1h_input_tokens":4}}"#, .anthropicMessages)
        #expect(usage.buckets.cacheWrite == 7)
        #expect(usage.tokens.cacheWriteOneHour == 4)
    }

    @Test("OpenAI chat prompt includes cached tokens")
    func openAIChat() throws {
        let usage = try Self.extract(
            #"{"prompt_tokens":1000,"completion_tokens":300,"total_tokens":1300,"#
                + #""prompt_tokens_details":{"cached_tokens":600,"audio_tokens":null},"#
                + #""completion_tokens_details":{"reasoning_tokens":200}}"#, .openAIChatCompletions)
        #expect(usage.buckets == TokenBuckets(inputUncached: 400, cacheRead: 600, output: 300, reasoning: 200))
        #expect(usage.quality == .complete)
    }

    @Test("OpenAI responses input includes cached tokens")
    func openAIResponses() throws {
        let usage = try Self.extract(
            #"{"input_tokens":45,"input_tokens_details":{"cached_tokens":5},"output_tokens":1719,"#
                + #""output_tokens_details":{"reasoning_tokens":1408},"total_tokens":1764}"#, .openAIResponses)
        #expect(usage.buckets == TokenBuckets(inputUncached: 40, cacheRead: 5, output: 1_719, reasoning: 1_408))
    }

    @Test("cached above prompt is inconsistent")
    func cachedAbovePrompt() throws {
        let usage = try Self.extract(
            #"{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":11}}"#,
            .openAIChatCompletions)
        #expect(usage.buckets == TokenBuckets(unclassified: 15))
        #expect(usage.quality == .inconsistent)
    }

    @Test("Gemini thoughts and tool prompt are added")
    func gemini() throws {
        let usage = try Self.extract(
            #"{"promptTokenCount":100,"cachedContentTokenCount":40,"candidatesTokenCount":20,"#
                + #""thoughtsTokenCount":30,"toolUsePromptTokenCount":5,"totalTokenCount":155,"#
                + #""promptTokensDetails":[{"modality":"TEXT","tokenCount":90},{"modality":"AUDIO","tokenCount":10}]}"#,
            .geminiUsageMetadata)
        #expect(usage.buckets == TokenBuckets(inputUncached: 65, cacheRead: 40, output: 50, reasoning: 30))
        #expect(usage.tokens.inputAudio == 10)
        #expect(usage.quality == .complete)
    }

    @Test("Gemini total above parts is unclassified")
    func geminiExcessTotal() throws {
        let usage = try Self.extract(
            #"{"promptTokenCount":10,"candidatesTokenCount":5,"totalTokenCount":18}"#, .geminiUsageMetadata)
        #expect(usage.buckets.unclassified == 3)
        #expect(usage.quality == .unclassified)
    }

    @Test("zero usage is reported as zero")
    func zeroUsage() throws {
        let usage = try Self.extract(#"{"input_tokens":0,"output_tokens":0}"#, .anthropicMessages)
        #expect(usage.state == .zero)
    }

    @Test(
        "missing or invalid counters are rejected",
        arguments: [
            (#"{"output_tokens":1}"#, UpstreamUsageFormat.anthropicMessages),
            (#"{"prompt_tokens":1}"#, .openAIChatCompletions),
            (#"{"prompt_tokens":-1}"#, .openAIEmbeddings),
            (#"{"promptTokenCount":"7"}"#, .geminiUsageMetadata),
            (#"{"input_tokens":1.5,"output_tokens":1}"#, .openAIResponses),
        ])
    func invalidCounters(json: String, format: UpstreamUsageFormat) throws {
        let error = try #require(throws: PricingError.self) { try Self.extract(json, format) }
        #expect(error.code == .invalidUsage)
    }

    @Test("response body without usage is rejected")
    func bodyWithoutUsage() throws {
        let body = try JSONParser.parse(#"{"model":"gpt-4o"}"#)
        let error = try #require(throws: PricingError.self) {
            try UpstreamUsageExtractor.extract(fromResponse: body, format: .openAIChatCompletions)
        }
        #expect(error.code == .invalidUsage)
    }
}
