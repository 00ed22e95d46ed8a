import Foundation
import LedgerCore
import Testing

/// Tool-call tokens of tokenledger normalized events through the binary: stored, priced at the
/// tool rates, exported and repriced.
@Suite("Tool-token pricing from the binary", .serialized)
struct ToolTokenPricingTests {
    /// A normalized event with tool tokens. Every counter differs, so a swapped field shows.
    static let line =
        #"{"provider":"codex","model":"gpt-5","session_id":"s-tools","timestamp":"2026-06-01T10:00:00Z","#
        + #""usage":{"input_tokens":1000000,"output_tokens":200000,"cache_write_tokens":100000,"#
        + #""cache_read_tokens":400000,"tool_input_tokens":300000,"tool_output_tokens":50000}}"# + "\n"

    /// Returns a pricing file for codex/gpt-5 whose tool rates differ from its input and output rates.
    static func pricing(toolInput: String, toolOutput: String) -> String {
        """
        {
          "meta": {"source": "tool-token test"},
          "provider_aliases": {},
          "providers": {
            "codex": {
              "subscription_usd_month": 0.0,
              "model_aliases": {},
              "models": {
                "gpt-5": {
                  "input_usd_per_mtok": 2.0,
                  "output_usd_per_mtok": 8.0,
                  "cache_write_usd_per_mtok": 2.5,
                  "cache_read_usd_per_mtok": 0.2,
                  "tool_input_usd_per_mtok": \(toolInput),
                  "tool_output_usd_per_mtok": \(toolOutput)
                }
              }
            }
          }
        }
        """
    }

    /// Returns the one exported event of `harness`.
    static func exportedEvent(_ harness: Harness, pricing: URL) throws -> JSONValue {
        let result = try harness.run([
            "export", "--state-dir", harness.state.path, "--out", harness.out.path, "--pricing", pricing.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try harness.exportedEventLines()
        #expect(lines.count == 1)
        return try JSONParser.parse(try #require(lines.first))
    }

    @Test("tool rates bill tool tokens and reprice")
    func toolRatesThroughBinary() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let pricingURL = harness.root.appendingPathComponent("pricing.json")
        try Data(Self.pricing(toolInput: "0.5", toolOutput: "1.5").utf8).write(to: pricingURL)
        try harness.append(Self.line, to: "events.jsonl")
        let run = try harness.run([
            "run", "--once", "--spool", harness.spool.path, "--state-dir", harness.state.path, "--pricing",
            pricingURL.path,
        ])
        #expect(run.status == 0, "\(run.stderr)")

        // The buckets keep the tool parts, and the tool columns repeat them.
        #expect(
            try harness.query(
                "SELECT input_uncached, output, tool_input_tokens, tool_output_tokens, cost_nanos FROM events")
                == "1300000|250000|300000|50000|4155000000")
        // Per million tokens: 1,000,000 × 2 + 200,000 × 8 + 100,000 × 2.5 + 400,000 × 0.2
        // + 300,000 × 0.5 + 50,000 × 1.5 = 2 + 1.6 + 0.25 + 0.08 + 0.15 + 0.075 = 4.155 USD.
        // Billing the tool tokens at the input and output rates would give 4.93 USD.
        let event = try Self.exportedEvent(harness, pricing: pricingURL)
        #expect(event["cost_usd"]?.stringValue == "4.155")
        #expect(event["cost_estimated"] == .bool(false))
        let usage = try #require(event["usage"])
        #expect(usage["input_tokens"]?.int64Value == 1_000_000)
        #expect(usage["output_tokens"]?.int64Value == 200_000)
        #expect(usage["tool_input_tokens"]?.int64Value == 300_000)
        #expect(usage["tool_output_tokens"]?.int64Value == 50_000)
        #expect(usage["cache_write_tokens"]?.int64Value == 100_000)
        #expect(usage["cache_read_tokens"]?.int64Value == 400_000)
        let monthly = try String(
            contentsOf: harness.out.appendingPathComponent("rollups_monthly.csv"), encoding: .utf8)
        // The rollup takes the tool parts out of input and output, as the cost does.
        #expect(
            monthly.hasSuffix(
                "\r\ncodex,gpt-5,2026-06,1,1000000,400000,100000,200000,0,0,300000,50000,2050000,2050000,1,0,0,0,"
                    + "4.155,0,4.155\r\n"), "\(monthly)")

        // Tool input 0.75 and tool output 3 USD per million: 2 + 1.6 + 0.25 + 0.08 + 0.225 + 0.15.
        try Data(Self.pricing(toolInput: "0.75", toolOutput: "3.0").utf8).write(to: pricingURL)
        let reprice = try harness.run(["reprice", "--state-dir", harness.state.path, "--pricing", pricingURL.path])
        #expect(reprice.status == 0, "\(reprice.stderr)")
        #expect(reprice.stdout == "repriced 1 events: total 4.155 USD -> 4.305 USD, priced 1 -> 1\n")
        #expect(try harness.query("SELECT cost_nanos FROM events") == "4305000000")
        let repriced = try Self.exportedEvent(harness, pricing: pricingURL)
        #expect(repriced["cost_usd"]?.stringValue == "4.305")
        let pricingHash = SHA256.hexDigest(Array(try Data(contentsOf: pricingURL)))
        #expect(repriced["price_ref"]?.stringValue == "tokenledger:codex/gpt-5@sha256:\(pricingHash)")
    }

    @Test("exported tool tokens read back unchanged")
    func exportReadsBack() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let pricingURL = harness.root.appendingPathComponent("pricing.json")
        try Data(Self.pricing(toolInput: "0.5", toolOutput: "1.5").utf8).write(to: pricingURL)
        try harness.append(Self.line, to: "events.jsonl")
        let options = ["--spool", harness.spool.path, "--state-dir", harness.state.path, "--pricing", pricingURL.path]
        #expect(try harness.run(["run", "--once"] + options).status == 0)
        let exported = try Self.exportedEvent(harness, pricing: pricingURL)

        // The export is a normalized event itself; a second store reading it bills the same cost.
        let second = try Harness()
        defer { second.cleanUp() }
        let lines = try harness.exportedEventLines()
        try second.append(String(decoding: try #require(lines.first), as: UTF8.self) + "\n", to: "events.jsonl")
        let run = try second.run([
            "run", "--once", "--spool", second.spool.path, "--state-dir", second.state.path, "--pricing",
            pricingURL.path,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            try second.query(
                "SELECT input_uncached, output, tool_input_tokens, tool_output_tokens, cost_nanos FROM events")
                == "1300000|250000|300000|50000|4155000000")
        #expect(exported["usage"]?["tool_input_tokens"]?.int64Value == 300_000)
    }
}
