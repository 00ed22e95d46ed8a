import Foundation
import LedgerCore
import Testing

@Suite("Accounting, normalized and legacy shapes")
struct ShapeDecoderTests {
    static let now: Int64 = 1_796_400_000_000_000_000
    static let clientKeyID = "e6ff14729d64b225a6f02cef4f57f93b0ddcc622eeb8c7797556c8d92e64d2cb"

    static func decode(_ line: String) -> LineOutcome {
        LineDecoder().decode(Array(line.utf8), now: now)
    }

    static func accounting(_ fields: String) -> String {
        """
        {"schema_version":1,"execution_id":"exec-0001","trace_id":"trace-01",\
        "started_at":"2026-12-01T06:00:48.5+08:00","latency_ms":1859,"provider":"claude",\
        "executor_type":"ClaudeExecutor","requested_alias":"sonnet","executed_model":"claude-sonnet-4-5",\
        "session_id":"sess-1","client_key_id":"\(clientKeyID)"\(fields)}
        """
    }

    @Test("accounting breakdown maps onto buckets")
    func accountingBreakdown() throws {
        let line = Self.accounting(
            #","status":"succeeded","tokens":{"input":49512,"output":640,"reasoning":40,"cached":48000,"#
                + #""cache_read":48000,"cache_creation":1500,"total":50152,"breakdown":{"schema_version":2,"#
                + #""quality":"complete","total_tokens":50152,"input":{"total_tokens":49512,"uncached_tokens":12,"#
                + #""cache_read_tokens":48000,"cache_write_tokens":1500},"output":{"total_tokens":640,"#
                + #""non_reasoning_tokens":600,"reasoning_tokens":40},"unclassified_tokens":0}},"#
                + #""estimate":{"currency":"USD","total":0.0321}"#)
        let event = try #require(Self.decode(line).events.first)
        #expect(
            event.buckets
                == TokenBuckets(inputUncached: 12, cacheRead: 48000, cacheWrite: 1500, output: 640, reasoning: 40))
        #expect(event.buckets.total == 50152)
        #expect(event.shape == .accountingEvent)
        #expect(event.key == EventKey(namespace: "cliproxyapi.accounting", bytes: Array("exec-0001".utf8)))
        #expect(event.model == "claude-sonnet-4-5")
        #expect(event.requestedModel == "sonnet")
        #expect(event.requestID == "trace-01")
        #expect(event.sessionID == "sess-1")
        #expect(event.status == .succeeded)
        #expect(event.statusCode == 200)
        #expect(event.usageState == .present)
        #expect(event.clientKeyID == Self.clientKeyID)
        #expect(event.startedAtNanoseconds == 1_796_076_048_500_000_000)
    }

    @Test("accounting raw tokens use the class rules")
    func accountingRawTokens() throws {
        let line = Self.accounting(
            #","status":"failed","status_code":502,"tokens":{"input":10,"output":100,"reasoning":0,"cached":300,"#
                + #""cache_read":300,"cache_creation":20,"total":430}"#)
        let event = try #require(Self.decode(line).events.first)
        #expect(event.buckets == TokenBuckets(inputUncached: 10, cacheRead: 300, cacheWrite: 20, output: 100))
        #expect(event.status == .failed)
        #expect(event.statusCode == 502)
        #expect(event.usageState == .present)
    }

    @Test("accounting without tokens is missing usage")
    func accountingMissingUsage() throws {
        let missing = try #require(Self.decode(Self.accounting(#","status":"succeeded""#)).events.first)
        #expect(missing.usageState == .missing)
        #expect(missing.buckets == .zero)
        let zero = try #require(
            Self.decode(
                Self.accounting(#","status":"succeeded","tokens":{"input":0,"output":0,"total":0}"#)
            ).events.first)
        #expect(zero.usageState == .zero)
        let interrupted = try #require(Self.decode(Self.accounting(#","status_code":499"#)).events.first)
        #expect(interrupted.status == .interrupted)
    }

    @Test("accounting key ignores line bytes")
    func accountingKey() throws {
        let first = try #require(Self.decode(Self.accounting(#","status":"succeeded""#)).events.first)
        let respaced = try #require(
            Self.decode(Self.accounting(#",  "status" : "succeeded", "latency_ms":1900"#)).events.first)
        #expect(first.key == respaced.key)
    }

    @Test(
        "accounting rejects malformed ids and versions",
        arguments: [
            (#","account_id":"not-a-digest""#, "account_id is not a SHA-256 digest of 64 hex digits"),
            (#","status":"done""#, "status is not one of succeeded, failed, interrupted"),
            (#","status_code":99"#, "status_code is 99, outside 100 to 599"),
        ])
    func accountingRejects(fields: String, detail: String) {
        let outcome = Self.decode(Self.accounting(fields))
        #expect(outcome.events.isEmpty)
        #expect(outcome.rejects == [DecodeError(.invalidField, detail)])
    }

    @Test("accounting schema version 2 is rejected")
    func accountingVersion() {
        let line = Self.accounting("").replacingOccurrences(of: #""schema_version":1"#, with: #""schema_version":2"#)
        #expect(
            Self.decode(line).rejects == [
                DecodeError(.invalidField, "schema_version is 2; only version 1 is accepted")
            ])
    }

    @Test("accounting upper-case ids are lowered")
    func accountingIDCase() throws {
        let upper = Self.clientKeyID.uppercased()
        let line = Self.accounting(#","account_id":"\#(upper)""#)
        let event = try #require(Self.decode(line).events.first)
        #expect(event.accountID == Self.clientKeyID)
    }

    @Test("accounting fixture matches its truth")
    func accountingFixture() throws {
        let lines = try FixturePaths.lines("cliproxyapi/accounting-v1.jsonl")
        let truths = try FixturePaths.lines("cliproxyapi/accounting-v1.jsonl.expected.jsonl").map {
            try JSONParser.parse($0)
        }
        #expect(lines.count == 120)
        for (index, (line, truth)) in zip(lines, truths).enumerated() {
            let outcome = LineDecoder().decode(line, now: Self.now)
            let event = try #require(outcome.events.first, "line \(index + 1): \(outcome.rejects)")
            let context = "line \(index + 1)"
            #expect(event.buckets.inputUncached == truth["input_uncached"]?.int64Value, "\(context)")
            #expect(event.buckets.cacheRead == truth["cache_read"]?.int64Value, "\(context)")
            #expect(event.buckets.cacheWrite == truth["cache_write"]?.int64Value, "\(context)")
            #expect(event.buckets.output == truth["output_total"]?.int64Value, "\(context)")
            #expect(event.buckets.reasoning == truth["reasoning"]?.int64Value, "\(context)")
            #expect(event.buckets.total == truth["total"]?.int64Value, "\(context)")
            #expect(event.usageState.rawValue == truth["usage_state"]?.stringValue, "\(context)")
            #expect(event.statusCode.map(Int64.init) == truth["status_code"]?.int64Value, "\(context)")
            #expect((event.status != .succeeded) == truth["failed"]?.boolValue, "\(context)")
        }
    }

    @Test("normalized counters keep tool parts")
    func normalizedEvent() throws {
        let line = try #require(try FixturePaths.lines("tokenledger/events.jsonl").first)
        let event = try #require(LineDecoder().decode(line, now: Self.now).events.first)
        #expect(
            event.buckets
                == TokenBuckets(inputUncached: 1_550_000, cacheRead: 4_000_000, cacheWrite: 300_000, output: 520_000))
        #expect(event.toolInputTokens == 50000)
        #expect(event.toolOutputTokens == 20000)
        #expect(event.buckets.total == 6_370_000)
        #expect(event.shape == .normalizedEvent)
        #expect(event.provider == "claude")
        #expect(event.sessionID == "claude-s1")
        #expect(event.key == EventKey(namespace: "tokenledger.event", bytes: line))
    }

    @Test("normalized fixture totals match tokenledger")
    func normalizedTotals() throws {
        let events = try FixturePaths.lines("tokenledger/events.jsonl").flatMap {
            LineDecoder().decode($0, now: Self.now).events
        }
        #expect(events.count == 4)
        #expect(events.map(\.buckets.total).reduce(0, +) == 10_450_000)
        #expect(events.map(\.toolInputTokens).reduce(0, +) == 500_000)
        #expect(events.map(\.toolOutputTokens).reduce(0, +) == 300_000)
    }

    @Test("normalized usage without counters is missing")
    func normalizedMissing() throws {
        let base = #"{"provider":"codex","model":"gpt-5","timestamp":"2026-02-18T12:00:00Z","usage":"#
        let missing = try #require(Self.decode(base + "{}}").events.first)
        #expect(missing.usageState == .missing)
        let zero = try #require(Self.decode(base + #"{"input_tokens":0,"output_tokens":0}}"#).events.first)
        #expect(zero.usageState == .zero)
        let noModel = Self.decode(#"{"provider":"codex","timestamp":"2026-02-18T12:00:00Z","usage":{}}"#)
        #expect(noModel.rejects == [DecodeError(.missingField, "model is missing or empty")])
    }

    @Test("exported event decodes to the same buckets")
    func exportRoundTrip() throws {
        let record = """
            {"timestamp":"2026-11-30T17:01:06.5-05:00","provider":"gemini","model":"gemini-2.5-pro","failed":false,\
            "tokens":{"input_tokens":1000,"output_tokens":200,"reasoning_tokens":50,"cached_tokens":400,\
            "total_tokens":1400}}
            """
        let original = try #require(Self.decode(record).events.first)
        let exported = EventExport.line(for: original, provider: "google")
        let decoded = try #require(LineDecoder().decode(exported, now: Self.now).events.first)
        #expect(decoded.shape == .normalizedEvent)
        #expect(decoded.buckets == original.buckets)
        #expect(decoded.startedAtNanoseconds == original.startedAtNanoseconds)
    }

    @Test("legacy export details become events")
    func legacyExport() throws {
        let document = try Data(contentsOf: FixturePaths.fixture("cliproxyapi/legacy-export.json"))
        let object = try #require(try JSONParser.parse(Array(document)).objectValue)
        let outcome = LegacyExportDecoder.decode(object, now: Self.now)
        #expect(outcome.rejects.isEmpty)
        #expect(outcome.events.count == 5)
        let buckets = outcome.events.map(\.buckets)
        #expect(buckets[0] == TokenBuckets(unclassified: 1500))
        #expect(outcome.events[0].quality == .unclassified)
        #expect(outcome.events[0].clientKeyID == SecretHasher.clientKeyID("sk-legacy-FAKE-0001"))
        #expect(outcome.events[0].accountID == SecretHasher.accountID("acct-legacy-1@example.invalid"))
        #expect(outcome.events[1].usageState == .missing)
        #expect(outcome.events[1].status == .failed)
        #expect(buckets[2] == TokenBuckets(inputUncached: 40, cacheRead: 9000, output: 700))
        #expect(outcome.events[2].quality == .unclassified)
        #expect(outcome.events[2].clientKeyID == nil)
        #expect(buckets[3] == TokenBuckets(inputUncached: 25, output: 120))
        #expect(buckets[4] == TokenBuckets(inputUncached: 1500, cacheRead: 500, output: 550, reasoning: 150))
        #expect(buckets.map(\.total).reduce(0, +) == 13935)
        #expect(Set(outcome.events.map(\.key)).count == 5)
        let again = LegacyExportDecoder.decode(object, now: Self.now)
        #expect(again.events.map(\.key) == outcome.events.map(\.key))
    }

    @Test("legacy default provider applies to key groups")
    func legacyDefaultProvider() throws {
        let document = try Data(contentsOf: FixturePaths.fixture("cliproxyapi/legacy-export.json"))
        let object = try #require(try JSONParser.parse(Array(document)).objectValue)
        let outcome = LegacyExportDecoder.decode(object, defaultProvider: "codex", now: Self.now)
        let first = try #require(outcome.events.first)
        #expect(first.buckets == TokenBuckets(inputUncached: 400, cacheRead: 800, output: 300, reasoning: 100))
        #expect(first.provider == "codex")
    }

    @Test(
        "provider mapping covers semantic-convention names",
        arguments: [
            ("anthropic", "claude"), ("openai", "codex"), ("azure.ai.openai", "codex"), ("az.ai.openai", "codex"),
            ("gcp.gemini", "google"), ("gcp.vertex_ai", "google"), ("gcp.gen_ai", "google"), ("vertex_ai", "google"),
            ("aws.bedrock", "bedrock"), ("azure.ai.inference", "azure"), ("az.ai.inference", "azure"),
            ("ibm.watsonx.ai", "watsonx"), ("x_ai", "xai"), ("deepseek", "deepseek"), ("mistral_ai", "mistral"),
            ("cohere", "cohere"), ("groq", "groq"), ("perplexity", "perplexity"),
        ])
    func providerMapping(name: String, key: String) {
        #expect(ProviderMapping(pricing: nil).provider(name) == key)
    }
}
