import Foundation
import LedgerCore
import LedgerStore
import Testing

@testable import LedgerDaemon

/// Costs recorded at ingestion and the twin lookups an ingestor runs, checked in the store
/// without a fold in between.
@Suite("Ingestion pricing and twin lookups", .serialized)
struct IngestPricingTests {
    /// 2026-12-05T00:00:00Z in nanoseconds since the epoch, the ingestors' clock.
    static let now: Int64 = 1_796_428_800_000_000_000

    static let logger = Logger(level: .critical)

    static func pricingFile(in harness: Harness) throws -> URL {
        let url = harness.root.appendingPathComponent("pricing.json")
        if !FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.copyItem(
                at: Harness.packageRoot.appendingPathComponent("ledger/pricing.json"), to: url)
        }
        return url
    }

    static func ingestor(_ store: Store, pricingPath: String?) -> Ingestor {
        Ingestor(store: store, logger: logger, pricingPath: pricingPath, clock: { now })
    }

    static func ingest(_ ingestor: Ingestor, harness: Harness) throws -> IngestSummary {
        try ingestor.ingestAll(SpoolScanner(directories: [harness.spool.path]))
    }

    static func openStore(_ harness: Harness, name: String = "tokenledgerd.sqlite3") throws -> Store {
        try FileManager.default.createDirectory(at: harness.state, withIntermediateDirectories: true)
        return try Store(path: harness.state.appendingPathComponent(name).path)
    }

    /// Returns the cost columns of every event, one line per event in id order.
    static func costRows(_ store: Store) throws -> [String] {
        let statement = try store.database.makeStatement(
            """
            SELECT event_id, coalesce(cost_nanos, 'null'), coalesce(cost_estimated, 'null'),
                   coalesce(price_ref, 'null'), coalesce(priced_at_ns, 'null'), coalesce(cost_change_seq, 'null')
            FROM events ORDER BY event_id
            """)
        var rows: [String] = []
        while try statement.step() {
            rows.append((0..<6).map { statement.text(Int32($0)) ?? "" }.joined(separator: "|"))
        }
        return rows
    }

    static func lastCostChangeSequence(_ store: Store) throws -> Int64 {
        try store.database.scalarInt("SELECT last_value FROM cost_change_sequence")
    }

    @Test("ingested event carries its cost")
    func costAtIngest() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let pricing = try Self.pricingFile(in: harness)
        let hash = PriceReference.fileHash(of: try Data(contentsOf: pricing))
        // The proxy publishes zero counts when it saw no usage.
        let missingUsage = DocumentSpoolTests.usageRecord(start: "2026-11-30T22:01:00Z")
            .replacingOccurrences(of: #""input_tokens":1000,"#, with: #""input_tokens":0,"#)
            .replacingOccurrences(of: #""output_tokens":300,"#, with: #""output_tokens":0,"#)
            .replacingOccurrences(
                of: #""cached_tokens":600,"cache_read_tokens":600,"#, with: #""cached_tokens":0,"cache_read_tokens":0,"#
            )
            .replacingOccurrences(of: #""total_tokens":1300"#, with: #""total_tokens":0"#)
        let unpriced = DocumentSpoolTests.usageRecord(start: "2026-11-30T22:02:00Z")
            .replacingOccurrences(of: #""model":"gpt-5""#, with: #""model":"gpt-4o""#)
        try harness.write(
            [DocumentSpoolTests.usageRecord(start: "2026-11-30T22:00:00Z"), missingUsage, unpriced]
                .joined(separator: "\n") + "\n", to: "usage.jsonl")
        let store = try Self.openStore(harness)

        let summary = try Self.ingest(Self.ingestor(store, pricingPath: pricing.path), harness: harness)
        #expect(summary.insertedEvents == 3)
        // gpt-5: 400 uncached input tokens at $1.25, 600 cache reads at $0.125 and 300 output
        // tokens at $10 per million tokens: $0.000500 + $0.000075 + $0.003000 = $0.003575.
        #expect(
            try Self.costRows(store) == [
                "1|3575000|0|tokenledger:codex/gpt-5@sha256:\(hash)|\(Self.now)|1",
                "2|null|0|tokenledger:codex/gpt-5@sha256:\(hash)|\(Self.now)|2",
                "3|null|null|null|null|null",
            ])
        #expect(try Self.lastCostChangeSequence(store) == 2)
        // The unpriced event was tried with this pricing file, so the fold's pass has none left.
        #expect(try store.foldValue(for: CostRecorder.checkpointName) == "\(hash) 3")
        let pass = try CostRecorder(
            pricer: TokenledgerPricer(pricingFileBytes: Array(try Data(contentsOf: pricing))), logger: Self.logger
        ).priceUnpriced(store: store, now: Self.now + 1)
        #expect(pass == CostRecorder.Summary())
        #expect(try Self.lastCostChangeSequence(store) == 2)
    }

    @Test("price cache matches fresh lookups")
    func priceCacheMatchesFreshLookups() throws {
        let bytes = Array(try Data(contentsOf: Harness.packageRoot.appendingPathComponent("ledger/pricing.json")))
        let pricer = try TokenledgerPricer(pricingFileBytes: bytes)
        let tokens = BillableTokens(buckets: TokenBuckets(inputUncached: 400, cacheRead: 600, output: 300))

        // Priced pairs, aliases of both kinds, unpriced pairs, and names that differ by one byte
        // or by where the provider ends and the model starts. 1,100 filler pairs make the table
        // start over once, so the priced pairs are resolved again after it.
        var pairs = [
            ("codex", "gpt-5"), ("openai", "gpt-5"), ("claude", "sonnet"), ("anthropic", "claude-sonnet-4-5"),
            ("codex", "gpt-4o"), ("codexg", "pt-5"), ("codex", "gpt-6"), ("", ""), ("gemini", "gemini-2.5-pro"),
        ]
        pairs += (0..<1100).map { ("provider-\($0 % 7)", "model-\($0)") }
        pairs += pairs.prefix(9)

        let cached = CostRecorder(pricer: pricer, logger: Self.logger)
        for (provider, model) in pairs + pairs.reversed() {
            var cachedSummary = CostRecorder.Summary()
            var freshSummary = CostRecorder.Summary()
            let cost = cached.cost(
                provider: provider, model: model, tokens: tokens, usageState: .present, now: Self.now,
                summary: &cachedSummary)
            let fresh = CostRecorder(pricer: pricer, logger: Self.logger).cost(
                provider: provider, model: model, tokens: tokens, usageState: .present, now: Self.now,
                summary: &freshSummary)
            #expect(cost == fresh, "\(provider)/\(model)")
            #expect(cachedSummary == freshSummary, "\(provider)/\(model)")
        }

        var summary = CostRecorder.Summary()
        let gpt5 = cached.cost(
            provider: "openai", model: "gpt-5", tokens: tokens, usageState: .present, now: Self.now, summary: &summary)
        #expect(gpt5?.nanos == 3_575_000)
        #expect(gpt5?.priceReference == "tokenledger:codex/gpt-5@sha256:\(pricer.pricingHash)")
    }

    @Test("recorder counts match the pricer")
    func recorderCountsMatchPricer() throws {
        let bytes = Array(try Data(contentsOf: Harness.packageRoot.appendingPathComponent("ledger/pricing.json")))
        let pricer = try TokenledgerPricer(pricingFileBytes: bytes)
        let mapping = ProviderMapping(pricing: pricer.pricing)
        let recorder = CostRecorder(pricer: pricer, logger: Self.logger)
        let pairs = [
            ("codex", "gpt-5"), ("openai", "gpt-5"), ("claude", "sonnet"), ("codex", "gpt-6"), ("", ""),
            ("gemini", "gemini-2.5-pro"), ("unknown", "unknown"),
        ]
        let tokenCases = [
            BillableTokens(buckets: TokenBuckets(inputUncached: 400, cacheRead: 600, output: 300)),
            BillableTokens(buckets: .zero),
            BillableTokens(buckets: TokenBuckets(inputUncached: -1, output: 3)),
            BillableTokens(
                buckets: TokenBuckets(inputUncached: 10, output: 5), separatingToolInput: 20, toolOutput: 0),
        ]
        for (provider, model) in pairs {
            for tokens in tokenCases {
                for usageState in [UsageState.present, .missing] {
                    var summary = CostRecorder.Summary()
                    let cost = recorder.cost(
                        provider: provider, model: model, tokens: tokens, usageState: usageState, now: Self.now,
                        summary: &summary)
                    let ledgerProvider = mapping.provider(provider)
                    var expected = CostRecorder.Summary()
                    do {
                        let priced = try pricer.cost(
                            provider: ledgerProvider, model: mapping.model(model, provider: ledgerProvider),
                            tokens: tokens)
                        if priced == nil {
                            expected.unpriced = 1
                        } else if usageState == .missing {
                            expected.usageMissing = 1
                        } else {
                            expected.priced = 1
                        }
                    } catch {
                        expected.rejected = 1
                    }
                    let label = "\(provider)/\(model) \(tokens) \(usageState)"
                    #expect(summary == expected, "\(label)")
                    #expect((cost == nil) == (expected.unpriced + expected.rejected == 1), "\(label)")
                }
            }
        }
    }

    @Test("untried events keep the checkpoint")
    func checkpointWaitsForUntriedEvents() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let pricing = try Self.pricingFile(in: harness)
        let bytes = Array(try Data(contentsOf: pricing))
        let hash = PriceReference.fileHash(of: bytes)
        let store = try Self.openStore(harness)
        let ingestor = Self.ingestor(store, pricingPath: pricing.path)
        try harness.write(DocumentSpoolTests.usageRecord(start: "2026-11-30T22:00:00Z") + "\n", to: "a.jsonl")
        _ = try Self.ingest(ingestor, harness: harness)
        #expect(try store.foldValue(for: CostRecorder.checkpointName) == "\(hash) 1")

        // An import stores an unpriced event that no pricing file has tried yet.
        let line = DocumentSpoolTests.usageRecord(start: "2026-11-30T22:01:00Z")
        #expect(try store.insertUnfiledEvents(LineDecoder().decode(Array(line.utf8), now: Self.now).events) == 1)
        try harness.write(DocumentSpoolTests.usageRecord(start: "2026-11-30T22:02:00Z") + "\n", to: "b.jsonl")
        _ = try Self.ingest(ingestor, harness: harness)
        #expect(try store.foldValue(for: CostRecorder.checkpointName) == "\(hash) 1")

        // The fold's pass prices the imported event only, and the next batch moves the checkpoint again.
        let pass = try CostRecorder(pricer: TokenledgerPricer(pricingFileBytes: bytes), logger: Self.logger)
            .priceUnpriced(store: store, now: Self.now + 1)
        #expect(pass == CostRecorder.Summary(examined: 1, priced: 1, unpriced: 0, usageMissing: 0, rejected: 0))
        #expect(try Self.costRows(store).map { $0.split(separator: "|")[1] } == ["3575000", "3575000", "3575000"])
        try harness.write(DocumentSpoolTests.usageRecord(start: "2026-11-30T22:03:00Z") + "\n", to: "c.jsonl")
        _ = try Self.ingest(ingestor, harness: harness)
        #expect(try store.foldValue(for: CostRecorder.checkpointName) == "\(hash) 4")
    }

    @Test("ingest and fold price alike")
    func sameCostsAsFold() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures([
            "cliproxyapi/usage-queue.jsonl", "tokenledger/events.jsonl", "otlp/genai-traces.jsonl",
            "cliproxyapi/accounting-v1.jsonl",
        ])
        let pricing = try Self.pricingFile(in: harness)
        let pricedAtIngest = try Self.openStore(harness, name: "ingest.sqlite3")
        _ = try Self.ingest(Self.ingestor(pricedAtIngest, pricingPath: pricing.path), harness: harness)
        let pricedByFold = try Self.openStore(harness, name: "fold.sqlite3")
        _ = try Self.ingest(Self.ingestor(pricedByFold, pricingPath: nil), harness: harness)
        #expect(try Self.costRows(pricedByFold).allSatisfy { $0.hasSuffix("|null|null|null|null|null") })
        _ = try CostRecorder(
            pricer: TokenledgerPricer(pricingFileBytes: Array(try Data(contentsOf: pricing))), logger: Self.logger
        ).priceUnpriced(store: pricedByFold, now: Self.now)

        let expected = try Self.costRows(pricedByFold)
        #expect(expected.count > 800)
        #expect(expected.filter { !$0.hasSuffix("|null") }.count > 100)
        #expect(try Self.costRows(pricedAtIngest) == expected)
        #expect(try Self.lastCostChangeSequence(pricedAtIngest) == Self.lastCostChangeSequence(pricedByFold))
    }

    @Test("changed pricing file prices later events")
    func pricingFileReload() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let pricing = try Self.pricingFile(in: harness)
        let original = try String(contentsOf: pricing, encoding: .utf8)
        let store = try Self.openStore(harness)
        let ingestor = Self.ingestor(store, pricingPath: pricing.path)
        try harness.write(DocumentSpoolTests.usageRecord(start: "2026-11-30T22:00:00Z") + "\n", to: "a.jsonl")
        _ = try Self.ingest(ingestor, harness: harness)

        // Output at $20 instead of $10 per million tokens: $0.000500 + $0.000075 + $0.006000.
        let changed = original.replacingOccurrences(
            of: #""output_usd_per_mtok": 10.0,"#, with: #""output_usd_per_mtok": 20.0,"#)
        try changed.write(to: pricing, atomically: true, encoding: .utf8)
        let changedHash = PriceReference.fileHash(of: Array(changed.utf8))
        try harness.write(DocumentSpoolTests.usageRecord(start: "2026-11-30T22:01:00Z") + "\n", to: "b.jsonl")
        _ = try Self.ingest(ingestor, harness: harness)

        try FileManager.default.removeItem(at: pricing)
        try harness.write(DocumentSpoolTests.usageRecord(start: "2026-11-30T22:02:00Z") + "\n", to: "c.jsonl")
        _ = try Self.ingest(ingestor, harness: harness)

        let rows = try Self.costRows(store)
        #expect(rows.count == 3)
        #expect(rows.first?.hasPrefix("1|3575000|0|") == true)
        #expect(rows.dropFirst().first == "2|6575000|0|tokenledger:codex/gpt-5@sha256:\(changedHash)|\(Self.now)|2")
        #expect(rows.last == "3|null|null|null|null|null")
    }

    @Test("no accounting event, no twin lookup")
    func twinLookupsSkipped() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(["cliproxyapi/usage-queue.jsonl"])
        try harness.write(
            DocumentSpoolTests.usageRecord(start: "2026-12-01T06:00:48.505978+08:00") + "\n", to: "twin.jsonl")
        let store = try Self.openStore(harness)
        let ingestor = Self.ingestor(store, pricingPath: nil)
        let first = try Self.ingest(ingestor, harness: harness)
        #expect(first.insertedEvents > 400)
        #expect(try store.database.scalarInt("SELECT count(client_key_id) FROM events") > 0)
        #expect(try store.containsAccountingEvent() == false)
        #expect(ingestor.storedTwinLookups == 0)

        // Another connection stores an accounting event, as `import` or a second daemon would.
        // The next usage-queue record of the same attempt is its twin and is skipped.
        let line = DocumentSpoolTests.accountingEvent(start: "2026-11-30T23:00:00Z", executionID: "exec-other")
        let accounting = LineDecoder().decode(Array(line.utf8), now: Self.now).events
        #expect(accounting.map(\.shape) == [.accountingEvent])
        #expect(try Self.openStore(harness).insertUnfiledEvents(accounting) == 1)
        #expect(try store.containsAccountingEvent())

        try harness.write(DocumentSpoolTests.usageRecord(start: "2026-12-01T07:00:00+08:00") + "\n", to: "later.jsonl")
        let summary = try Self.ingest(ingestor, harness: harness)
        #expect(summary.insertedEvents == 0)
        #expect(summary.duplicateEvents == 1)
        #expect(ingestor.storedTwinLookups == 1)
        #expect(try store.eventTotal() == Int64(first.insertedEvents) + 1)
    }
}
