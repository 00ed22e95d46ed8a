import LedgerCore
import Testing

@Suite("Ledger builder")
struct LedgerBuilderTests {
    static let byteIdenticalFiles = [
        LedgerFile.ledgerCSVName,
        LedgerFile.ledgerSchemaName,
        LedgerFile.ledgerSeedName,
        LedgerFile.runtimeSnapshotName,
        LedgerFile.paretoCSVName,
    ]

    @Test("file equals tokenledger's bytes", arguments: byteIdenticalFiles)
    func fileMatchesFixture(name: String) throws {
        let files = try LedgerFixtures.builder().makeFiles(runtimeMetrics: [])
        let generated = try #require(LedgerFixtures.bytes(of: name, in: files))
        let expected = try LedgerFixtures.expectedBytes(name)
        #expect(generated.count == expected.count)
        let firstDifference = zip(generated, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil, "first differing byte at offset \(firstDifference ?? -1)")
    }

    @Test("six files in fixed order")
    func fileOrder() throws {
        let files = try LedgerFixtures.builder().makeFiles(runtimeMetrics: [])
        #expect(
            files.map(\.name) == [
                "unified_model_provider_ledger.csv",
                "unified_model_provider_ledger.schema.sql",
                "unified_model_provider_ledger.seed.sql",
                "cliproxyapi_runtime_metrics_snapshot.csv",
                "unified_model_provider_pareto.csv",
                "unified_model_provider_pareto.view.sql",
            ]
        )
    }

    @Test("row counts on the fixtures")
    func rowCounts() throws {
        let builder = try LedgerFixtures.builder()
        #expect(builder.ledgerRows.count == 56)
        #expect(builder.aggregationRows.count == 13)
        #expect(builder.ledgerRows.map(\.ledgerRowID) == Array(1...56))
        #expect(builder.paretoRows(runtimeMetrics: []).count == 56)
    }

    @Test("view changes only casts and header")
    func viewChanges() throws {
        let files = try LedgerFixtures.builder().makeFiles(runtimeMetrics: [])
        let generated = try #require(files.first { $0.name == LedgerFile.paretoViewName }).contents
        let reference = String(decoding: try LedgerFixtures.expectedBytes(LedgerFile.paretoViewName), as: UTF8.self)
        let generatedLines = generated.split(separator: "\n", omittingEmptySubsequences: false)
        let referenceLines = reference.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(generatedLines.count == referenceLines.count + 1)
        #expect(
            generatedLines.dropFirst(2).map { $0.replacing("AS REAL)", with: "AS NUMERIC)") }
                == Array(referenceLines.dropFirst()))
        #expect(generated.matches(of: /AS REAL\)/).count == 4)
        #expect(!generated.contains("AS NUMERIC)"))
    }

    @Test("worked cost components")
    func workedCostComponents() throws {
        let rows = try LedgerFixtures.builder().paretoRows(runtimeMetrics: [])
        let gpt5 = try #require(rows.first { $0.ledgerRowID == 30 })
        #expect(gpt5.provider == "codex")
        #expect(gpt5.model == "gpt-5")
        #expect(gpt5.costComponent == 0.150943)
        #expect(gpt5.blendedCostUSDPerMTok == 5.625)
        #expect(gpt5.paretoScore == 45.756372)
        let sonnet = try #require(rows.first { $0.ledgerRowID == 4 })
        #expect(sonnet.model == "claude-sonnet-4-5")
        #expect(sonnet.costComponent == 0.1)
        #expect(sonnet.blendedCostUSDPerMTok == 9.0)
    }

    @Test("ledger row of Claude Sonnet 4.5")
    func sonnetLedgerRow() throws {
        let row = try #require(try LedgerFixtures.builder().ledgerRows.first { $0.sourceModel == "Claude Sonnet 4.5" })
        #expect(row.ledgerRowID == 4)
        #expect(row.modelMappingRule == "pricing:model_exact")
        #expect(row.modelMappingConfidence == 100)
        #expect(row.pricingCacheReadUSDPerMTok?.description == "0.3")
        #expect(row.pricingSubscriptionUSDPerMonth?.description == "30")
        #expect(row.benchmarkInputUSDPerMTok?.description == "3")
        #expect(row.pricingVsBenchmarkInputDelta?.description == "0")
        #expect(row.benchmarkPriorRowsTotal == 57)
        #expect(row.benchmarkPriorRowsNonMissing == 36)
    }

    @Test("runtime metrics join, score and snapshot")
    func runtimeMetrics() throws {
        let metrics = LedgerRuntimeSamples.metrics
        let builder = try LedgerFixtures.builder()
        let rows = builder.paretoRows(runtimeMetrics: metrics)

        // Row 30 (GPT-5.2 xhigh) maps to codex/gpt-5: benchmark quality 47/57, price 1.25/10.
        let gpt5 = try #require(rows.first { $0.ledgerRowID == 30 })
        let quality = (0.9 + 47.0 / 57.0) / 2.0
        let expected = (0.5 * quality + 0.3 * (1.0 / (1.0 + 5.625)) + 0.2 * (1.0 / (1.0 + 1.5))) * 100.0
        #expect(abs(gpt5.paretoScore - expected) < 0.000_001)
        #expect(gpt5.paretoScore == 55.642337)
        #expect(gpt5.latencyComponent == 0.4)
        #expect(gpt5.qualityComponent == 0.862281)
        #expect(gpt5.runtimeLatencyMilliseconds == 1500)
        #expect(gpt5.runtimeSourcePath == "tokenledgerd:window=24h,events")

        // Row 19 has no prior benchmark values, so its benchmark quality is 0, not absent.
        let codexWithoutPriors = try #require(rows.first { $0.ledgerRowID == 19 })
        #expect(codexWithoutPriors.qualityComponent == 0.45)
        #expect(codexWithoutPriors.paretoScore == 35.028302)

        // Zero latency and zero quality are values: latency component 1, quality halved.
        let gemini = try #require(rows.first { $0.ledgerRowID == 13 })
        #expect(gemini.latencyComponent == 1.0)
        #expect(gemini.qualityComponent == 0.482456)
        #expect(gemini.runtimeQualityScore == 0.0)

        // Without a latency only quality joins.
        let sonnet = try #require(rows.first { $0.ledgerRowID == 4 })
        #expect(sonnet.latencyComponent == 0.0)
        #expect(sonnet.runtimeLatencyMilliseconds == nil)
        #expect(sonnet.qualityComponent == 0.815789)

        #expect(rows.first?.ledgerRowID == 30)

        let files = builder.makeFiles(runtimeMetrics: metrics)
        let snapshot = String(
            decoding: try #require(LedgerFixtures.bytes(of: LedgerFile.runtimeSnapshotName, in: files)), as: UTF8.self)
        #expect(
            snapshot == "provider,model,latency_ms,quality_score,source_path\r\n"
                + "claude,claude-sonnet-4-5,,1.000000,tokenledgerd:window=24h\r\n"
                + "codex,gpt-5,1500.000000,0.900000,\"tokenledgerd:window=24h,events\"\r\n"
                + "google,gemini-3-pro-thinking-high,0.000000,0.000000,tokenledgerd:window=24h\r\n"
                + "unknown,no-such-model,250.500000,,tokenledgerd:window=24h\r\n"
        )
        let pareto = try LedgerFixtures.csvRecords(of: LedgerFile.paretoCSVName, in: files)
        #expect(
            pareto[1] == [
                "30", "codex", "gpt-5", "55.642337", "0.862281", "0.150943", "0.4", "5.625", "1500.0", "0.9",
                "0.824561", "tokenledgerd:window=24h,events",
            ]
        )
    }

    @Test("runtime rows normalized and sorted")
    func runtimeNormalization() {
        let rows = RuntimeMetricRow.normalized([
            RuntimeMetricRow(
                provider: "Codex", model: "GPT 5", latencyMilliseconds: -3, qualityScore: .nan, sourcePath: "a"),
            RuntimeMetricRow(
                provider: "codex", model: "gpt-5", latencyMilliseconds: 10, qualityScore: 1, sourcePath: "b"),
            RuntimeMetricRow(
                provider: "claude", model: "x", latencyMilliseconds: nil, qualityScore: 0, sourcePath: "c"),
        ])
        #expect(rows.map(\.provider) == ["claude", "codex"])
        #expect(rows.map(\.model) == ["x", "gpt-5"])
        #expect(rows[1].sourcePath == "a")
        #expect(rows[1].latencyMilliseconds == nil)
        #expect(rows[1].qualityScore == nil)
        #expect(rows[0].qualityScore == 0)
    }
}

/// Hand-written runtime metrics shared by the builder and SQLite tests.
enum LedgerRuntimeSamples {
    static let metrics = [
        RuntimeMetricRow(
            provider: "codex",
            model: "gpt-5",
            latencyMilliseconds: 1500,
            qualityScore: 0.9,
            sourcePath: "tokenledgerd:window=24h,events"
        ),
        RuntimeMetricRow(
            provider: "google",
            model: "gemini-3-pro-thinking-high",
            latencyMilliseconds: 0,
            qualityScore: 0,
            sourcePath: "tokenledgerd:window=24h"
        ),
        RuntimeMetricRow(
            provider: "claude",
            model: "claude-sonnet-4-5",
            latencyMilliseconds: nil,
            qualityScore: 1.0,
            sourcePath: "tokenledgerd:window=24h"
        ),
        RuntimeMetricRow(
            provider: "unknown",
            model: "no-such-model",
            latencyMilliseconds: 250.5,
            qualityScore: nil,
            sourcePath: "tokenledgerd:window=24h"
        ),
    ]
}
