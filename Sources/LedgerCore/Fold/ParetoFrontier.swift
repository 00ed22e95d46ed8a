/// A Pareto row with what tokenledger's table leaves out: the source model, live counts and cost,
/// and whether the row is on the Pareto frontier.
public struct ParetoExtendedRow: Sendable, Equatable {
    /// The scored row, as in `unified_model_provider_pareto.csv`.
    public var pareto: ParetoRow
    /// The benchmark table's model name of the ledger row. Several source models may map to one
    /// priced model, and this keeps them apart.
    public var sourceModel: String
    /// The runtime metrics joined on the row's provider and model, when any.
    public var runtime: RuntimeMetrics?
    /// Whether no other row is at least as good on quality, cost and latency and better on one.
    public var isFrontier: Bool
    /// The ledger row id of the best-scored row that dominates this one; `nil` on the frontier.
    public var dominatedBy: Int?
}

/// Flags the Pareto frontier and writes `unified_model_provider_pareto_extended.csv`.
public enum ParetoFrontier {
    /// The extended Pareto file's name.
    public static let extendedName = "unified_model_provider_pareto_extended.csv"

    /// Joins the scored rows with their source models and runtime metrics and flags the frontier.
    ///
    /// Dominance compares the three components, higher being better on each: quality, cost
    /// (`1 / (1 + blended rate)`, 0 when unpriced) and latency (`1 / (1 + s)`, 0 without runtime
    /// latency). Row A dominates row B when A is at least as good on all three and better on one.
    /// Rows with equal components, such as several source models sharing one price and no runtime
    /// data, do not dominate each other, so each keeps its own line. The order of `pareto` is kept.
    public static func rows(pareto: [ParetoRow], ledgerRows: [LedgerRow], metrics: [RuntimeMetrics])
        -> [ParetoExtendedRow]
    {
        var sourceModels: [Int: String] = [:]
        for row in ledgerRows {
            sourceModels[row.ledgerRowID] = row.sourceModel
        }
        var runtimeByKey: [[ExactName]: RuntimeMetrics] = [:]
        for metric in metrics {
            let key = [
                ExactName(LedgerSlug.makeJoinKey(metric.provider)), ExactName(LedgerSlug.makeJoinKey(metric.model)),
            ]
            if runtimeByKey[key] == nil {
                runtimeByKey[key] = metric
            }
        }
        return pareto.map { row in
            let dominator = pareto.first { dominates($0, row) }
            return ParetoExtendedRow(
                pareto: row, sourceModel: sourceModels[row.ledgerRowID] ?? "",
                runtime: runtimeByKey[[ExactName(row.provider), ExactName(row.model)]], isFrontier: dominator == nil,
                dominatedBy: dominator?.ledgerRowID)
        }
    }

    /// Returns whether `left` dominates `right` on quality, cost and latency.
    public static func dominates(_ left: ParetoRow, _ right: ParetoRow) -> Bool {
        let better = [
            (left.qualityComponent, right.qualityComponent), (left.costComponent, right.costComponent),
            (left.latencyComponent, right.latencyComponent),
        ]
        return better.allSatisfy { $0.0 >= $0.1 } && better.contains { $0.0 > $0.1 }
    }

    /// Renders the extended Pareto CSV: tokenledger's twelve columns, then `source_model`, the runtime
    /// counts and cost, `frontier` (`true` or `false`) and `dominated_by`.
    public static func csv(_ rows: [ParetoExtendedRow]) -> String {
        var writer = CSVWriter()
        writer.appendRecord([
            "ledger_row_id", "provider", "model", "pareto_score", "quality_component", "cost_component",
            "latency_component", "blended_cost_usd_per_mtok", "runtime_latency_ms", "runtime_quality_score",
            "benchmark_quality_score", "runtime_source_path", "source_model", "runtime_attempts",
            "runtime_succeeded", "runtime_cost_usd", "runtime_unpriced_attempts", "frontier", "dominated_by",
        ])
        for row in rows {
            let pareto = row.pareto
            let runtime = row.runtime
            writer.appendRecord([
                String(pareto.ledgerRowID), pareto.provider, pareto.model, fixed(pareto.paretoScore),
                fixed(pareto.qualityComponent), fixed(pareto.costComponent), fixed(pareto.latencyComponent),
                fixed(pareto.blendedCostUSDPerMTok), fixed(pareto.runtimeLatencyMilliseconds),
                fixed(pareto.runtimeQualityScore), fixed(pareto.benchmarkQualityScore), pareto.runtimeSourcePath ?? "",
                row.sourceModel, runtime.map { String($0.attempts) } ?? "", runtime.map { String($0.succeeded) } ?? "",
                runtime.flatMap { $0.pricedAttempts > 0 ? Money(nanos: $0.costNanos).description : nil } ?? "",
                runtime.map { String($0.unpricedAttempts) } ?? "", row.isFrontier ? "true" : "false",
                row.dominatedBy.map(String.init) ?? "",
            ])
        }
        return writer.text
    }

    private static func fixed(_ value: Double?) -> String {
        RuntimeSnapshotWriter.fixed(value)
    }
}
