/// Builds tokenledger's six ledger files from a pricing file, the model benchmark table and
/// runtime metrics.
///
/// The ledger rows and the priors aggregation depend only on the pricing file and the benchmark
/// table, so the initializer computes them once. The Pareto rows and the runtime snapshot are
/// computed on each call from the runtime metrics passed in. With no runtime metrics, the files
/// equal tokenledger's byte for byte, except the Pareto view, whose division is fixed to agree with
/// the Pareto CSV.
public struct LedgerBuilder: Sendable {
    /// The pricing file the rows map to.
    public let pricing: PricingFile
    /// The ledger rows, one per model of the benchmark table, in slug order.
    public let ledgerRows: [LedgerRow]
    /// The `benchmark_priors_aggregation` rows.
    public let aggregationRows: [PriorsAggregationRow]

    /// Maps every model of `benchmarks` to `pricing` and aggregates the result.
    public init(pricing: PricingFile, benchmarks: BenchmarkTable) {
        self.pricing = pricing
        self.ledgerRows = LedgerRowMapper.makeRows(pricing: pricing, benchmarks: benchmarks)
        self.aggregationRows = LedgerRowMapper.makeAggregation(ledgerRows)
    }

    /// Scores the ledger rows against runtime metrics, best first.
    ///
    /// The metrics are normalized first (``RuntimeMetricRow/normalized(_:)``).
    public func paretoRows(runtimeMetrics: [RuntimeMetricRow]) -> [ParetoRow] {
        ParetoRow.score(ledgerRows, runtimeMetrics: RuntimeMetricRow.normalized(runtimeMetrics))
    }

    /// Renders the six files, in this order: ledger CSV, schema SQL, seed SQL, runtime snapshot
    /// CSV, Pareto CSV and Pareto view SQL.
    public func makeFiles(runtimeMetrics: [RuntimeMetricRow]) -> [LedgerFile] {
        makeFiles(runtimeMetrics: runtimeMetrics, paretoRows: paretoRows(runtimeMetrics: runtimeMetrics))
    }

    /// Renders the six files as ``makeFiles(runtimeMetrics:)`` does, from `pareto`, the result of
    /// ``paretoRows(runtimeMetrics:)`` for the same metrics, which a caller that needs both
    /// computes once.
    public func makeFiles(runtimeMetrics: [RuntimeMetricRow], paretoRows pareto: [ParetoRow]) -> [LedgerFile] {
        let metrics = RuntimeMetricRow.normalized(runtimeMetrics)
        return [
            LedgerFile(name: LedgerFile.ledgerCSVName, contents: LedgerRenderer.ledgerCSV(ledgerRows)),
            LedgerFile(name: LedgerFile.ledgerSchemaName, contents: LedgerSQLText.schema),
            LedgerFile(
                name: LedgerFile.ledgerSeedName,
                contents: LedgerRenderer.seedSQL(ledgerRows, aggregation: aggregationRows)
            ),
            LedgerFile(name: LedgerFile.runtimeSnapshotName, contents: LedgerRenderer.runtimeSnapshotCSV(metrics)),
            LedgerFile(name: LedgerFile.paretoCSVName, contents: LedgerRenderer.paretoCSV(pareto)),
            LedgerFile(name: LedgerFile.paretoViewName, contents: LedgerSQLText.paretoView),
        ]
    }
}
