import LedgerCore
import Testing

/// The double counts and omissions that token accounting commonly gets wrong, and the record
/// variants from before CLIProxyAPI's `token_breakdown` (v7.2.97), each with hand-computed buckets.
@Suite("Token accounting pitfalls")
struct TokenPitfallTests {
    static let now: Int64 = 1_796_400_000_000_000_000

    /// A usage-queue record of `provider` with `tokens` and optional extra members.
    static func record(_ provider: String, tokens: String, failed: Bool = false, extra: String = "") -> String {
        """
        {"timestamp":"2026-11-30T17:01:06Z","latency_ms":1200,"provider":"\(provider)","model":"m-1",\
        "failed":\(failed),"tokens":\(tokens)\(extra)}
        """
    }

    static func event(_ line: String) throws -> CanonicalEvent {
        let outcome = LineDecoder().decode(Array(line.utf8), now: now)
        return try #require(outcome.events.first, "\(outcome.rejects)")
    }

    @Test("cached tokens are not added to inclusive input")
    func cacheDoubleCount() throws {
        // OpenAI-style input 1000 already includes the 600 cached tokens: 400 uncached, total 1300, not 1900.
        let event = try Self.event(
            Self.record(
                "codex",
                tokens: #"{"input_tokens":1000,"output_tokens":300,"cached_tokens":600,"cache_read_tokens":600,"#
                    + #""cache_creation_tokens":0,"total_tokens":1300}"#))
        #expect(event.buckets == TokenBuckets(inputUncached: 400, cacheRead: 600, output: 300))
        #expect(event.buckets.total == 1300)
    }

    @Test("Claude input is uncached only")
    func claudeIndependentCache() throws {
        // Anthropic input 12 excludes the 48000 read and 1500 written: all three are separate.
        let event = try Self.event(
            Self.record(
                "claude",
                tokens: #"{"input_tokens":12,"output_tokens":640,"reasoning_tokens":40,"cached_tokens":48000,"#
                    + #""cache_read_tokens":48000,"cache_creation_tokens":1500,"total_tokens":50152}"#))
        #expect(
            event.buckets
                == TokenBuckets(inputUncached: 12, cacheRead: 48000, cacheWrite: 1500, output: 640, reasoning: 40))
        #expect(event.buckets.total == 50152)
        #expect(event.quality == .complete)
    }

    @Test("reasoning is not added to inclusive output")
    func reasoningDoubleCount() throws {
        // OpenAI output 300 already includes its 120 reasoning tokens.
        let event = try Self.event(
            Self.record(
                "codex", tokens: #"{"input_tokens":50,"output_tokens":300,"reasoning_tokens":120,"total_tokens":350}"#))
        #expect(event.buckets == TokenBuckets(inputUncached: 50, output: 300, reasoning: 120))
        #expect(event.buckets.total == 350)
    }

    @Test("cached fields are not summed")
    func summedCachedFields() throws {
        // `cached_tokens` and `cache_read_tokens` report the same 600 reads: 600, not 1200.
        let event = try Self.event(
            Self.record(
                "xai",
                tokens: #"{"input_tokens":1000,"output_tokens":10,"cached_tokens":600,"cache_read_tokens":600,"#
                    + #""total_tokens":1010}"#))
        #expect(event.buckets.cacheRead == 600)
        #expect(event.buckets.inputUncached == 400)
    }

    @Test("missing usage is not zero usage")
    func missingUsage() throws {
        let success = try Self.event(
            Self.record("codex", tokens: #"{"input_tokens":0,"output_tokens":0,"total_tokens":0}"#))
        #expect(success.usageState == .missing)
        #expect(success.status == .succeeded)
        #expect(success.buckets == .zero)

        let span = """
            {"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0123456789abcdef0123456789abcdef",\
            "spanId":"00000000000000c1","startTimeUnixNano":"1764806400000000000",\
            "endTimeUnixNano":"1764806401000000000","attributes":[\
            {"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},\
            {"key":"gen_ai.usage.input_tokens","value":{"intValue":"0"}},\
            {"key":"gen_ai.usage.output_tokens","value":{"intValue":"0"}}]}]}]}]}
            """
        #expect(try Self.event(span).usageState == .zero)
    }

    @Test("failed attempt keeps its usage")
    func failedWithUsage() throws {
        let event = try Self.event(
            Self.record(
                "codex", tokens: #"{"input_tokens":800,"output_tokens":20,"total_tokens":820}"#, failed: true,
                extra: #","fail":{"status_code":502,"body":"upstream reset"}"#))
        #expect(event.status == .failed)
        #expect(event.statusCode == 502)
        #expect(event.usageState == .present)
        #expect(event.buckets == TokenBuckets(inputUncached: 800, output: 20))
    }

    @Test("Claude total before v7.1.26 excludes cache")
    func claudeTotalWithoutCache() throws {
        // The source total 110 counts only input and output; the stored total is rebuilt from the parts.
        let event = try Self.event(
            Self.record(
                "claude",
                tokens: #"{"input_tokens":10,"output_tokens":100,"cached_tokens":5000,"cache_read_tokens":5000,"#
                    + #""cache_creation_tokens":200,"total_tokens":110}"#))
        #expect(event.buckets == TokenBuckets(inputUncached: 10, cacheRead: 5000, cacheWrite: 200, output: 100))
        #expect(event.buckets.total == 5310)
        #expect(event.quality == .complete)
    }

    @Test("Claude cached tokens may be cache writes")
    func claudeCachedAsWrites() throws {
        // With the split fields present, `cached_tokens` (here the write count) is ignored.
        let split = try Self.event(
            Self.record(
                "claude",
                tokens: #"{"input_tokens":30,"output_tokens":70,"cached_tokens":1500,"cache_read_tokens":0,"#
                    + #""cache_creation_tokens":1500,"total_tokens":1600}"#))
        #expect(split.buckets == TokenBuckets(inputUncached: 30, cacheWrite: 1500, output: 70))
        #expect(split.quality == .complete)
        // A v6.9 record has only `cached_tokens`: kept as cache read, marked unclassified.
        let old = try Self.event(
            Self.record(
                "claude", tokens: #"{"input_tokens":30,"output_tokens":70,"cached_tokens":300,"total_tokens":100}"#))
        #expect(old.buckets == TokenBuckets(inputUncached: 30, cacheRead: 300, output: 70))
        #expect(old.quality == .unclassified)
    }

    @Test("zero cache_read_tokens falls back to cached_tokens")
    func openAIZeroCacheRead() throws {
        // Before v7.2.67 subset records have cache_read_tokens 0 even when cached_tokens is set.
        let event = try Self.event(
            Self.record(
                "codex",
                tokens: #"{"input_tokens":1000,"output_tokens":100,"cached_tokens":600,"cache_read_tokens":0,"#
                    + #""cache_creation_tokens":0,"total_tokens":1100}"#))
        #expect(event.buckets == TokenBuckets(inputUncached: 400, cacheRead: 600, output: 100))
    }

    @Test("Gemini thoughts are added to output")
    func geminiThoughts() throws {
        // Gemini output 200 excludes 50 thought tokens; input 1000 includes 400 cached.
        let event = try Self.event(
            Self.record(
                "gemini",
                tokens: #"{"input_tokens":1000,"output_tokens":200,"reasoning_tokens":50,"cached_tokens":400,"#
                    + #""total_tokens":1250}"#))
        #expect(event.buckets == TokenBuckets(inputUncached: 600, cacheRead: 400, output: 250, reasoning: 50))
        #expect(event.buckets.total == 1250)
        #expect(event.quality == .complete)
    }

    @Test("tool-use prompt excess is unclassified")
    func geminiToolPromptExcess() throws {
        // The total 1400 exceeds 1000 + 200 + 50 by a tool-use prompt of 150 that no part reports.
        let event = try Self.event(
            Self.record(
                "antigravity",
                tokens: #"{"input_tokens":1000,"output_tokens":200,"reasoning_tokens":50,"total_tokens":1400}"#))
        #expect(event.buckets == TokenBuckets(inputUncached: 1000, output: 250, reasoning: 50, unclassified: 150))
        #expect(event.buckets.total == 1400)
        #expect(event.quality == .unclassified)
    }

    @Test("contradicting parts keep the source total")
    func inconsistentParts() throws {
        // 1200 cached tokens cannot fit in an inclusive input of 1000.
        let event = try Self.event(
            Self.record(
                "codex", tokens: #"{"input_tokens":1000,"output_tokens":300,"cached_tokens":1200,"total_tokens":1300}"#)
        )
        #expect(event.buckets == TokenBuckets(unclassified: 1300))
        #expect(event.quality == .inconsistent)
    }

    @Test("unknown provider keeps the total unclassified")
    func unknownProvider() throws {
        let event = try Self.event(
            Self.record("mystery", tokens: #"{"input_tokens":100,"output_tokens":30,"total_tokens":130}"#))
        #expect(event.buckets == TokenBuckets(unclassified: 130))
        #expect(event.quality == .unclassified)
    }
}
