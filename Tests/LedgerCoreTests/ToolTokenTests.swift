import Foundation
import LedgerCore
import Testing

/// The tool-call tokens of tokenledger normalized events: decoding, billing and export.
@Suite("Tool-call tokens")
struct ToolTokenTests {
    static let now: Int64 = 1_796_400_000_000_000_000

    /// A normalized event with tool tokens. Every counter differs, so a swapped field shows.
    static let line =
        #"{"provider":"codex","model":"gpt-5","session_id":"s-1","timestamp":"2026-06-01T10:00:00Z","#
        + #""usage":{"input_tokens":1000000,"output_tokens":200000,"cache_write_tokens":100000,"#
        + #""cache_read_tokens":400000,"tool_input_tokens":300000,"tool_output_tokens":50000}}"#

    static func decode(_ line: String) throws -> CanonicalEvent {
        try #require(LineDecoder().decode(Array(line.utf8), now: now).events.first)
    }

    @Test("billable tokens take tool parts out")
    func billableTokensSeparateTools() throws {
        let event = try Self.decode(Self.line)
        #expect(event.buckets.inputUncached == 1_300_000)
        #expect(event.buckets.output == 250_000)
        let tokens = event.billableTokens
        #expect(
            tokens.buckets
                == TokenBuckets(inputUncached: 1_000_000, cacheRead: 400_000, cacheWrite: 100_000, output: 200_000))
        #expect(tokens.toolInput == 300_000)
        #expect(tokens.toolOutput == 50_000)
        #expect(tokens.total == event.buckets.total)
        #expect(tokens.total == 2_050_000)
        #expect(!tokens.isInvalid)
    }

    @Test("tool rates price the tool parts")
    func toolRatesApply() throws {
        let pricing = """
            {"providers":{"codex":{"models":{"gpt-5":{"input_usd_per_mtok":2.0,"output_usd_per_mtok":8.0,\
            "cache_write_usd_per_mtok":2.5,"cache_read_usd_per_mtok":0.2,"tool_input_usd_per_mtok":0.5,\
            "tool_output_usd_per_mtok":1.5}}}}}
            """
        let pricer = try TokenledgerPricer(pricingFileBytes: Array(pricing.utf8))
        let event = try Self.decode(Self.line)
        let cost = try #require(try pricer.cost(provider: "codex", model: "gpt-5", tokens: event.billableTokens))
        // 1,000,000 × 2 + 200,000 × 8 + 100,000 × 2.5 + 400,000 × 0.2 + 300,000 × 0.5 + 50,000 × 1.5,
        // per million: 2 + 1.6 + 0.25 + 0.08 + 0.15 + 0.075.
        #expect(cost.breakdown.inputUncached.description == "2")
        #expect(cost.breakdown.output.description == "1.6")
        #expect(cost.breakdown.toolInput.description == "0.15")
        #expect(cost.breakdown.toolOutput.description == "0.075")
        #expect(cost.total.description == "4.155")
    }

    @Test("tool count above its bucket is invalid")
    func toolAboveBucket() {
        let tokens = BillableTokens(
            buckets: TokenBuckets(inputUncached: 10, output: 5), separatingToolInput: 11, toolOutput: 0)
        #expect(tokens.buckets.inputUncached == -1)
        #expect(tokens.isInvalid)
        let output = BillableTokens(
            buckets: TokenBuckets(inputUncached: 10, output: 5), separatingToolInput: 0, toolOutput: 6)
        #expect(output.isInvalid)
    }

    @Test("export keeps tool counters apart")
    func exportSeparatesTools() throws {
        let event = try Self.decode(Self.line)
        let exported = String(decoding: EventExport.line(for: event, provider: "codex"), as: UTF8.self)
        #expect(
            exported.contains(
                #""usage":{"input_tokens":1000000,"output_tokens":200000,"cache_write_tokens":100000,"#
                    + #""cache_read_tokens":400000,"tool_input_tokens":300000,"tool_output_tokens":50000,"#
                    + #""reasoning_tokens":0,"unclassified_tokens":0}"#))
        let decoded = try Self.decode(exported)
        #expect(decoded.buckets == event.buckets)
        #expect(decoded.toolInputTokens == 300_000)
        #expect(decoded.toolOutputTokens == 50_000)
    }

    @Test("reasoning above output without tools is rejected")
    func reasoningAboveOutputTokens() throws {
        let line =
            #"{"provider":"codex","model":"gpt-5","timestamp":"2026-06-01T10:00:00Z","usage":{"output_tokens":100,"#
            + #""tool_output_tokens":50,"reasoning_tokens":120}}"#
        let outcome = LineDecoder().decode(Array(line.utf8), now: Self.now)
        #expect(outcome.events.isEmpty)
        #expect(
            outcome.rejects == [
                DecodeError(.invalidField, "usage.reasoning_tokens is larger than usage.output_tokens")
            ])
        let within = try Self.decode(line.replacingOccurrences(of: "120", with: "100"))
        #expect(within.buckets.output == 150)
        #expect(within.buckets.reasoning == 100)
        #expect(!within.billableTokens.isInvalid)
    }
}
