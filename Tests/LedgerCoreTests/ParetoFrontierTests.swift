import Testing

@testable import LedgerCore

@Suite("Pareto frontier and chart")
struct ParetoFrontierTests {
    static func row(
        _ id: Int, model: String, quality: Double, cost: Double, latency: Double, blended: Double?,
        latencyMilliseconds: Double?
    ) -> ParetoRow {
        ParetoRow(
            ledgerRowID: id, provider: "codex", model: model,
            paretoScore: 100 * (0.5 * quality + 0.3 * cost + 0.2 * latency), qualityComponent: quality,
            costComponent: cost, latencyComponent: latency, blendedCostUSDPerMTok: blended,
            runtimeLatencyMilliseconds: latencyMilliseconds, runtimeQualityScore: nil, benchmarkQualityScore: quality,
            runtimeSourcePath: nil)
    }

    @Test("dominance needs all three components")
    func dominance() {
        let best = Self.row(1, model: "a", quality: 0.9, cost: 0.5, latency: 0.5, blended: 1, latencyMilliseconds: 1000)
        let cheaper = Self.row(
            2, model: "b", quality: 0.8, cost: 0.6, latency: 0.5, blended: 0.6, latencyMilliseconds: 1000)
        let worse = Self.row(
            3, model: "c", quality: 0.8, cost: 0.5, latency: 0.4, blended: 1, latencyMilliseconds: 1500)
        #expect(ParetoFrontier.dominates(best, worse))
        #expect(!ParetoFrontier.dominates(best, cheaper))
        #expect(!ParetoFrontier.dominates(cheaper, best))
        #expect(!ParetoFrontier.dominates(best, best))
    }

    @Test("equal rows keep their source models on the frontier")
    func sharedPrice() throws {
        let ledger = Array(try LedgerFixtures.builder().ledgerRows.prefix(3))
        let ids = ledger.map(\.ledgerRowID)
        let pareto = [
            Self.row(
                ids[0], model: "gpt-5", quality: 0.8, cost: 0.15, latency: 0, blended: 5.625, latencyMilliseconds: nil),
            Self.row(
                ids[1], model: "gpt-5", quality: 0.8, cost: 0.15, latency: 0, blended: 5.625, latencyMilliseconds: nil),
            Self.row(
                ids[2], model: "gpt-5", quality: 0.7, cost: 0.15, latency: 0, blended: 5.625, latencyMilliseconds: nil),
        ]
        let rows = ParetoFrontier.rows(pareto: pareto, ledgerRows: ledger, metrics: [])
        #expect(rows.map(\.sourceModel) == ledger.map(\.sourceModel))
        #expect(Set(rows.map(\.sourceModel)).count == 3)
        #expect(rows.map(\.isFrontier) == [true, true, false])
        #expect(rows.map(\.dominatedBy) == [nil, nil, ids[0]])
        let csv = ParetoFrontier.csv(rows)
        #expect(csv.hasPrefix("ledger_row_id,provider,model,pareto_score,"))
        #expect(csv.contains(",\(ledger[2].sourceModel),,,,,false,\(ids[0])\r\n"))
        #expect(csv.contains(",\(ledger[0].sourceModel),,,,,true,\r\n"))
    }

    @Test("runtime metrics join by slug")
    func runtimeJoin() {
        var metrics = RuntimeMetrics(provider: "codex", model: "gpt-5")
        metrics.attempts = 4
        metrics.succeeded = 3
        metrics.pricedAttempts = 3
        metrics.costNanos = 1_250_000_000
        metrics.unpricedAttempts = 1
        let pareto = [
            Self.row(
                1, model: "gpt-5", quality: 0.8, cost: 0.15, latency: 0.5, blended: 5.625, latencyMilliseconds: 1000)
        ]
        let rows = ParetoFrontier.rows(pareto: pareto, ledgerRows: [], metrics: [metrics])
        #expect(rows[0].runtime?.attempts == 4)
        #expect(ParetoFrontier.csv(rows).contains(",,4,3,1.25,1,true,\r\n"))
    }

    @Test("chart labels axes, models and the frontier")
    func chart() {
        let pareto = [
            Self.row(1, model: "a", quality: 1, cost: 0.5, latency: 0.5, blended: 1, latencyMilliseconds: 1000),
            Self.row(2, model: "b", quality: 0.5, cost: 0.25, latency: 0.25, blended: 3, latencyMilliseconds: 3000),
            Self.row(3, model: "b", quality: 0.4, cost: 0.25, latency: 0.25, blended: 3, latencyMilliseconds: 3000),
            Self.row(4, model: "<c>", quality: 0, cost: 0, latency: 0, blended: nil, latencyMilliseconds: nil),
        ]
        let rows = ParetoFrontier.rows(pareto: pareto, ledgerRows: [], metrics: [])
        let svg = ParetoChart.svg(rows)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"640\""))
        #expect(svg.contains(">Blended cost (USD per million tokens, mean of input and output rates)</text>"))
        #expect(svg.contains(">Median latency of succeeded attempts (ms)</text>"))
        #expect(svg.contains(">codex/a</text>"))
        #expect(svg.contains(">codex/b (2 models)</text>"))
        #expect(!svg.contains("&lt;c&gt;"), "a row without price or latency is not drawn")
        #expect(svg.components(separatedBy: "<circle").count - 1 == 3 + 2, "three rows and two legend markers")
        #expect(svg.components(separatedBy: "fill=\"#f28e2b\"").count - 1 == 1 + 1, "one frontier row and its legend")
        // Both axes end one step above their maximum: cost 0…4 in steps of 1 (maximum 3), latency
        // 0…4000 in steps of 1000 (maximum 3000).
        #expect(svg.contains(">4</text>"))
        #expect(svg.contains(">4000</text>"))
        #expect(!svg.contains(">5</text>"))
        #expect(ParetoChart.svg(rows) == svg)
        #expect(ParetoChart.svg([]).contains("No model has both a price and a runtime latency yet."))
    }
}
