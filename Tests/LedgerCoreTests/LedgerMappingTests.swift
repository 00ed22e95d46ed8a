import LedgerCore
import Testing

/// Mapping rules, price parsing and text escaping on a small hand-written benchmark table priced by
/// the fixture pricing file.
@Suite("Ledger mapping rules")
struct LedgerMappingTests {
    static let table = """
        row_id,benchmark,model,value_primary,is_missing
        1,Score A,OpenAI,1,0
        2,Score A,Sonnet,1,0
        3,Score A,GPT-5 Latest,1,1
        4,Input Price,Claude Sonnet 4.5 Thinking,"$1,250.50 (≤200k) (promo)",0
        5,Output Price,Claude Sonnet 4.5 Thinking,N/A,0
        6,Score A,Claude Sonnet 4.5 Thinking,0.5,0
        7,Score A,Claude Sonnet 4.5 Thinking,0.7,0
        8,Score B,Claude Sonnet 4.5 Thinking,,1
        9,Input Price,GPT-5.1,$0.30,0
        10,Output Price,GPT-5.1,$12,0
        11,Score A,Cursor Codex Latest,1,0
        12,Score A,Step,1,0
        13,Score A,Stepper,1,0
        14,Score A,"O'Brien, Large",1,0
        15,Score A,GPT 5,2,0
        16,Score A,GPT-5,3,0

        """

    static func builder() throws -> LedgerBuilder {
        LedgerBuilder(pricing: try LedgerFixtures.pricing(), benchmarks: try BenchmarkTable(csv: Array(table.utf8)))
    }

    static func row(_ model: String) throws -> LedgerRow {
        try #require(try builder().ledgerRows.first { $0.sourceModel == model })
    }

    @Test(
        "provider and model mapping",
        arguments: [
            ("OpenAI", "codex", "pricing:provider_alias", 100, nil, "unmapped", 0),
            ("Sonnet", "unknown", "heuristic:unknown", 0, "claude/claude-sonnet-4-5", "pricing:model_alias", 92),
            ("GPT-5 Latest", "codex", "prefix:gpt", 95, "codex/gpt-5", "pricing:model_alias", 100),
            (
                "Claude Sonnet 4.5 Thinking", "claude", "prefix:claude", 99, "claude/claude-sonnet-4-5",
                "heuristic:claude-sonnet-4-5", 80
            ),
            ("GPT-5.1", "codex", "prefix:gpt", 95, "codex/gpt-5", "heuristic:gpt-5-family", 78),
            (
                "Cursor Codex Latest", "unknown", "heuristic:unknown", 0, "cursor/cursor-codex-latest",
                "pricing:model_exact", 92
            ),
            ("Step", "stepfun", "prefix:step", 95, nil, "unmapped", 0),
            ("Stepper", "unknown", "heuristic:unknown", 0, nil, "unmapped", 0),
        ] as [(String, String, String, Int, String?, String, Int)]
    )
    func mapping(
        model: String,
        provider: String,
        providerRule: String,
        providerConfidence: Int,
        priceEntry: String?,
        modelRule: String,
        modelConfidence: Int
    ) throws {
        let row = try Self.row(model)
        #expect(row.inferredProvider == provider)
        #expect(row.providerMappingRule == providerRule)
        #expect(row.providerMappingConfidence == providerConfidence)
        #expect(row.pricingProvider.map { "\($0)/\(row.pricingModel ?? "")" } == priceEntry)
        #expect(row.modelMappingRule == modelRule)
        #expect(row.modelMappingConfidence == modelConfidence)
    }

    @Test("benchmark prices, counts and deltas")
    func pricesAndCounts() throws {
        let thinking = try Self.row("Claude Sonnet 4.5 Thinking")
        #expect(thinking.benchmarkInputUSDPerMTok?.description == "1250.5")
        #expect(thinking.benchmarkOutputUSDPerMTok == nil)
        #expect(thinking.pricingVsBenchmarkInputDelta?.description == "-1247.5")
        #expect(thinking.pricingVsBenchmarkOutputDelta == nil)
        #expect(thinking.benchmarkRowsTotal == 5)
        #expect(thinking.benchmarkRowsNonMissing == 4)
        #expect(thinking.benchmarkRowsMissing == 1)
        #expect(thinking.benchmarkPriorRowsTotal == 3)
        #expect(thinking.benchmarkPriorRowsNonMissing == 2)
        #expect(thinking.benchmarkPriorRowsMissing == 1)
        #expect(thinking.benchmarkDistinctTotal == 4)
        #expect(thinking.benchmarkDistinctNonMissing == 3)

        let gpt51 = try Self.row("GPT-5.1")
        #expect(gpt51.benchmarkInputUSDPerMTok?.description == "0.3")
        #expect(gpt51.pricingVsBenchmarkInputDelta?.description == "0.95")
        #expect(gpt51.pricingVsBenchmarkOutputDelta?.description == "-2")
        #expect(gpt51.benchmarkPriorRowsTotal == 0)
    }

    @Test("equal slugs keep table order")
    func equalSlugs() throws {
        let rows = try Self.builder().ledgerRows
        let gpt5 = rows.filter { $0.sourceModelSlug == "gpt-5" }
        #expect(gpt5.map(\.sourceModel) == ["GPT 5", "GPT-5"])
        #expect(gpt5.map(\.ledgerRowID) == [3, 4])
        #expect(rows.map(\.sourceModelSlug).first == "claude-sonnet-4-5-thinking")
    }

    @Test("aggregation groups and order")
    func aggregation() throws {
        let groups = try Self.builder().aggregationRows
        #expect(
            groups.map { "\($0.inferredProvider)/\($0.pricingProvider)" } == [
                "claude/claude", "codex/codex", "codex/unmapped", "stepfun/unmapped", "unknown/claude",
                "unknown/cursor", "unknown/unmapped",
            ]
        )
        let codex = try #require(groups.first { $0.inferredProvider == "codex" && $0.pricingProvider == "codex" })
        #expect(codex.modelsCount == 4)
        #expect(codex.mappedModelsCount == 4)
        #expect(groups.map(\.aggregationRowID) == Array(1...7))
    }

    @Test("CSV and SQL escape quotes and commas")
    func escaping() throws {
        let files = try Self.builder().makeFiles(runtimeMetrics: [])
        let csv = String(
            decoding: try #require(LedgerFixtures.bytes(of: LedgerFile.ledgerCSVName, in: files)), as: UTF8.self)
        #expect(
            csv.contains("\r\n7,\"O'Brien, Large\",o-brien-large,unknown,heuristic:unknown,0,o-brien-large,unmapped,0,")
        )
        let seed = String(
            decoding: try #require(LedgerFixtures.bytes(of: LedgerFile.ledgerSeedName, in: files)), as: UTF8.self)
        #expect(
            seed.contains(
                "(7, 'O''Brien, Large', 'o-brien-large', 'unknown', 'heuristic:unknown', 0, 'o-brien-large', "
                    + "'unmapped', 0, NULL, NULL,"
            ))
        let records = try LedgerFixtures.csvRecords(of: LedgerFile.ledgerCSVName, in: files)
        #expect(records.count == 12)
        #expect(records.allSatisfy { $0.count == 30 })
    }

    @Test("empty table writes valid SQL")
    func emptyTable() throws {
        let builder = LedgerBuilder(pricing: try LedgerFixtures.pricing(), benchmarks: BenchmarkTable(rows: []))
        let files = builder.makeFiles(runtimeMetrics: [])
        let seed = try #require(files.first { $0.name == LedgerFile.ledgerSeedName })
        #expect(seed.contents == "-- Deterministic unified ledger seed generated by scripts/build_unified_ledger.py\n")
        let pareto = try LedgerFixtures.csvRecords(of: LedgerFile.paretoCSVName, in: files)
        #expect(pareto.count == 1)
        #expect(builder.aggregationRows.isEmpty)
    }

    @Test("Pareto numbers print as Python repr")
    func pythonNumberText() throws {
        let metrics = [
            RuntimeMetricRow(
                provider: "stepfun", model: "step", latencyMilliseconds: 0.00001, qualityScore: 1, sourcePath: "s"),
            RuntimeMetricRow(
                provider: "unknown", model: "stepper", latencyMilliseconds: 1e16, qualityScore: 0.1234565,
                sourcePath: "s"),
        ]
        let files = try Self.builder().makeFiles(runtimeMetrics: metrics)
        let pareto = try LedgerFixtures.csvRecords(of: LedgerFile.paretoCSVName, in: files)
        let step = try #require(pareto.first { $0[2] == "step" })
        #expect(step[3] == "70.0")
        #expect(step[6] == "1.0")
        #expect(step[8] == "1e-05")
        let stepper = try #require(pareto.first { $0[2] == "stepper" })
        #expect(stepper[8] == "1e+16")
        #expect(stepper[6] == "0.0")
        // 0.1234565 is stored as 0.12345649999…, so it rounds down, as Python's round() does.
        #expect(stepper[9] == "0.123456")
        let snapshot = try LedgerFixtures.csvRecords(of: LedgerFile.runtimeSnapshotName, in: files)
        #expect(snapshot[1] == ["stepfun", "step", "0.000010", "1.000000", "s"])
        #expect(snapshot[2] == ["unknown", "stepper", "10000000000000000.000000", "0.123456", "s"])
    }
}
