import Foundation
import LedgerCore
import Testing

@Suite("Costs, rollups and exports from the binary", .serialized)
struct CostLedgerTests {
    /// Returns a tokenledger normalized event line with `input` uncached input tokens and `output` output tokens.
    static func normalizedEvent(provider: String, model: String, at timestamp: String, input: Int, output: Int = 0)
        -> String
    {
        #"{"provider":"\#(provider)","model":"\#(model)","session_id":"s-\#(timestamp)","timestamp":"\#(timestamp)","#
            + #""usage":{"input_tokens":\#(input),"output_tokens":\#(output),"cache_write_tokens":0,"#
            + #""cache_read_tokens":0,"tool_input_tokens":0,"tool_output_tokens":0}}"# + "\n"
    }

    static func text(_ name: String, in directory: URL) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// Exports the events and returns them by model.
    static func eventsByModel(_ harness: Harness) throws -> [String: JSONValue] {
        var events: [String: JSONValue] = [:]
        for event in try harness.exportEvents().values {
            events[event["model"]?.stringValue ?? ""] = event
        }
        return events
    }

    @Test("golden figures through the binary")
    func goldenFigures() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(["tokenledger/events.jsonl"])
        let run = try harness.runOnce()
        #expect(run.status == 0, "\(run.stderr)")
        let ledger = harness.state.appendingPathComponent("ledger")
        let monthly = try Self.text("rollups_monthly.csv", in: ledger).split(separator: "\r\n").map(String.init)
        // The rollups split each event's tool tokens out of its input and output buckets
        // (claude: 1,550,000 − 50,000 input and 520,000 − 20,000 output). The example file's tool
        // rates equal its input and output rates, so the costs are tokenledger's.
        #expect(
            Array(monthly.dropFirst())
                == [
                    "claude,claude-sonnet-4-5,2026-02,1,1500000,4000000,300000,500000,0,0,50000,20000,6370000,6370000,"
                        + "1,0,0,0,14.775,30,44.775",
                    "codex,gpt-5,2026-02,1,900000,800000,100000,300000,0,0,250000,150000,2500000,2500000,1,0,0,0,"
                        + "6.1625,0,6.1625",
                    "cursor,cursor-codex-latest,2026-02,1,400000,50000,20000,250000,0,0,80000,40000,840000,840000,1,0,"
                        + "0,0,3.53125,20,23.53125",
                    "droid,factory-droid-latest,2026-02,1,350000,20000,10000,150000,0,0,120000,90000,740000,740000,1,0,"
                        + "0,0,3.0025,0,3.0025",
                ])
        var variable = Money.zero
        var subscription = Money.zero
        var tokens: Int64 = 0
        for line in monthly.dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            variable = variable + (try #require(Money(parsing: cells[18])))
            subscription = subscription + (try #require(Money(parsing: cells[19])))
            tokens += try #require(Int64(cells[12]))
        }
        #expect(variable.description == "27.47125")
        #expect(subscription.description == "50")
        #expect((variable + subscription).description == "77.47125")
        #expect(tokens == 10_450_000)

        let snapshot = try JSONParser.parse(
            Array(try Data(contentsOf: ledger.appendingPathComponent("ui_snapshot.json"))))
        #expect(snapshot["schema_version"]?.int64Value == 1)
        #expect(snapshot["month"]?.stringValue == "2026-02")
        #expect(snapshot["generated_at"]?.stringValue == "2026-02-20T05:40:00Z")
        #expect(snapshot["totals"]?["tokens"]?.int64Value == 10_450_000)
        #expect(snapshot["totals"]?["session_count"]?.int64Value == 4)
        #expect(snapshot["top_providers"]?.arrayValue?.first?["name"]?.stringValue == "claude")
        let snapshotText = try Self.text("ui_snapshot.json", in: ledger)
        #expect(snapshotText.contains(#""totals":{"cost_usd":77.47,"tokens":10450000,"blended_usd_per_mtok":7.4135,"#))

        let events = try Self.eventsByModel(harness)
        #expect(events["claude-sonnet-4-5"]?["cost_usd"]?.stringValue == "14.775")
        #expect(events["factory-droid-latest"]?["cost_usd"]?.stringValue == "3.0025")
        let pricingHash = SHA256.hexDigest(
            Array(try Data(contentsOf: Harness.fixture("tokenledger/pricing.example.json"))))
        #expect(events["gpt-5"]?["price_ref"]?.stringValue == "tokenledger:codex/gpt-5@sha256:\(pricingHash)")
        #expect(try harness.query("SELECT sum(cost_nanos), count(priced_at_ns) FROM events") == "27471250000|4")
    }

    @Test("alias-only model is priced and unknown model is null")
    func aliasAndUnpriced() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.append(
            Self.normalizedEvent(
                provider: "anthropic", model: "sonnet", at: "2026-05-01T10:00:00Z", input: 1_000, output: 1_000)
                + Self.normalizedEvent(
                    provider: "claude", model: "claude-unknown", at: "2026-05-01T11:00:00Z", input: 500),
            to: "events.jsonl")
        #expect(try harness.runOnce().status == 0)
        let events = try Self.eventsByModel(harness)
        // 1,000 × 3 / 1e6 + 1,000 × 15 / 1e6 at claude/claude-sonnet-4-5, reached through both aliases.
        #expect(events["sonnet"]?["cost_usd"]?.stringValue == "0.018")
        #expect(
            events["sonnet"]?["price_ref"]?.stringValue?.hasPrefix("tokenledger:claude/claude-sonnet-4-5@sha256:")
                == true)
        #expect(events["claude-unknown"]?["cost_usd"] == .null)
        #expect(events["claude-unknown"]?["price_ref"] == .null)
        #expect(try harness.query("SELECT count(*) FROM events WHERE cost_nanos = 0") == "0")
        let monthly = try Self.text("rollups_monthly.csv", in: harness.state.appendingPathComponent("ledger"))
        #expect(monthly.contains("claude,claude-unknown,2026-05,1,500,0,0,0,0,0,0,0,500,0,0,1,500,0,,0,0\r\n"))
        #expect(
            monthly.contains(
                "claude,claude-sonnet-4-5,2026-05,1,1000,0,0,1000,0,0,0,0,2000,2000,1,0,0,0,0.018,30,30.018\r\n"))
    }

    @Test("priced events keep their cost until reprice")
    func repriceAfterPriceChange() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let pricingURL = harness.root.appendingPathComponent("pricing.json")
        let original = try String(contentsOf: Harness.fixture("tokenledger/pricing.example.json"), encoding: .utf8)
        try Data(original.utf8).write(to: pricingURL)
        let options = ["--spool", harness.spool.path, "--state-dir", harness.state.path, "--pricing", pricingURL.path]
        try harness.append(
            Self.normalizedEvent(
                provider: "claude", model: "claude-sonnet-4-5", at: "2026-06-01T10:00:00Z", input: 1_000_000),
            to: "events.jsonl")
        #expect(try harness.run(["run", "--once"] + options).status == 0)

        // The input price changes from 3 to 4 USD per million tokens between the two events.
        let raised = original.replacingOccurrences(
            of: "\"input_usd_per_mtok\": 3.0", with: "\"input_usd_per_mtok\": 4.0")
        #expect(raised != original)
        try Data(raised.utf8).write(to: pricingURL)
        try harness.append(
            Self.normalizedEvent(
                provider: "claude", model: "claude-sonnet-4-5", at: "2026-06-02T10:00:00Z", input: 1_000_000),
            to: "events.jsonl")
        #expect(try harness.run(["run", "--once"] + options).status == 0)
        #expect(try harness.query("SELECT cost_nanos FROM events ORDER BY started_at_ns") == "3000000000\n4000000000")
        let references = try harness.query("SELECT DISTINCT substr(price_ref, -64) FROM events")
        #expect(references.split(separator: "\n").count == 2, "each cost names the pricing file that produced it")

        let since = try harness.run(
            [
                "reprice", "--since", "2026-06-02T00:00:00Z", "--state-dir", harness.state.path, "--pricing",
                pricingURL.path,
            ])
        #expect(since.status == 0, "\(since.stderr)")
        #expect(since.stdout == "repriced 1 events: total 4 USD -> 4 USD, priced 1 -> 1\n")
        let all = try harness.run(["reprice", "--state-dir", harness.state.path, "--pricing", pricingURL.path])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout == "repriced 2 events: total 7 USD -> 8 USD, priced 2 -> 2\n")
        #expect(all.stderr.contains("reprice.old_total_usd=7"))
        #expect(all.stderr.contains("reprice.new_total_usd=8"))
        #expect(try harness.query("SELECT cost_nanos FROM events ORDER BY started_at_ns") == "4000000000\n4000000000")
        let invalid = try harness.run(["reprice", "--since", "yesterday", "--state-dir", harness.state.path])
        #expect(invalid.status == 2)
    }

    @Test("days follow the configured time zone across DST")
    func daylightSavingRollups() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        var lines = ""
        for timestamp in [
            "2026-03-09T03:59:59Z", "2026-03-09T04:00:00Z", "2026-11-02T04:30:00Z", "2026-11-02T05:00:00Z",
        ] {
            lines += Self.normalizedEvent(provider: "codex", model: "gpt-5", at: timestamp, input: 1_000_000)
        }
        try harness.append(lines, to: "events.jsonl")
        let config = harness.root.appendingPathComponent("tokenledgerd.conf")
        try Data("[ledger]\ntime_zone = America/New_York\n".utf8).write(to: config)
        let run = try harness.run(
            [
                "run", "--once", "--spool", harness.spool.path, "--state-dir", harness.state.path, "--config",
                config.path,
            ])
        #expect(run.status == 0, "\(run.stderr)")
        let daily = try Self.text("rollups_daily.csv", in: harness.state.appendingPathComponent("ledger"))
        let periods = daily.split(separator: "\r\n").dropFirst().map { $0.split(separator: ",")[2] }
        // 03:59:59Z on 9 March is 23:59:59 EDT on the 8th; 04:30Z on 2 November is 23:30 EST on the 1st.
        #expect(periods == ["2026-03-08", "2026-03-09", "2026-11-01", "2026-11-02"])
        let manifest = try Self.text("manifest.json", in: harness.state.appendingPathComponent("ledger"))
        #expect(manifest.contains(#""time_zone":"America/New_York""#))

        let utc = try harness.run(["fold", "--state-dir", harness.state.path, "--time-zone", "UTC"])
        #expect(utc.status == 0)
        let utcDaily = try Self.text("rollups_daily.csv", in: harness.state.appendingPathComponent("ledger"))
        #expect(
            utcDaily.split(separator: "\r\n").dropFirst().map { $0.split(separator: ",")[2] } == [
                "2026-03-09", "2026-11-02",
            ])

        let invalid = try harness.run(["fold", "--state-dir", harness.state.path, "--time-zone", "Mars/Olympus"])
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("unknown time zone 'Mars/Olympus'"))
    }
}
