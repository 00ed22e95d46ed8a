/// Renders ledger, aggregation, runtime and Pareto rows as tokenledger's CSV and SQL text.
enum LedgerRenderer {
    static let ledgerColumns = [
        "ledger_row_id", "source_model", "source_model_slug", "inferred_provider", "provider_mapping_rule",
        "provider_mapping_confidence", "canonical_model_guess", "model_mapping_rule", "model_mapping_confidence",
        "pricing_provider", "pricing_model", "pricing_subscription_usd_month", "pricing_input_usd_per_mtok",
        "pricing_output_usd_per_mtok", "pricing_cache_write_usd_per_mtok", "pricing_cache_read_usd_per_mtok",
        "pricing_tool_input_usd_per_mtok", "pricing_tool_output_usd_per_mtok", "benchmark_input_usd_per_mtok",
        "benchmark_output_usd_per_mtok", "benchmark_rows_total", "benchmark_rows_non_missing",
        "benchmark_rows_missing", "benchmark_prior_rows_total", "benchmark_prior_rows_non_missing",
        "benchmark_prior_rows_missing", "benchmark_distinct_total", "benchmark_distinct_non_missing",
        "pricing_vs_benchmark_input_delta", "pricing_vs_benchmark_output_delta",
    ]

    static let aggregationColumns = [
        "aggregation_row_id", "inferred_provider", "pricing_provider", "models_count", "mapped_models_count",
        "prior_rows_total", "prior_rows_non_missing", "prior_rows_missing",
    ]

    static let runtimeColumns = ["provider", "model", "latency_ms", "quality_score", "source_path"]

    static let paretoColumns = [
        "ledger_row_id", "provider", "model", "pareto_score", "quality_component", "cost_component",
        "latency_component", "blended_cost_usd_per_mtok", "runtime_latency_ms", "runtime_quality_score",
        "benchmark_quality_score", "runtime_source_path",
    ]

    /// A ledger value in its CSV and SQL forms.
    private enum Cell {
        case integer(Int)
        case text(String)
        /// Text that is `NULL` in SQL when empty.
        case optionalText(String?)
        case decimal(LedgerDecimal?)

        var csv: String {
            switch self {
            case .integer(let value): return String(value)
            case .text(let value): return value
            case .optionalText(let value): return value ?? ""
            case .decimal(let value): return value?.description ?? ""
            }
        }

        var sql: String {
            switch self {
            case .integer(let value): return String(value)
            case .text(let value): return LedgerRenderer.sqlQuote(value)
            case .optionalText(let value):
                guard let value, !value.isEmpty else { return "NULL" }
                return LedgerRenderer.sqlQuote(value)
            case .decimal(let value): return value?.description ?? "NULL"
            }
        }
    }

    private static func cells(_ row: LedgerRow) -> [Cell] {
        [
            .integer(row.ledgerRowID), .text(row.sourceModel), .text(row.sourceModelSlug),
            .text(row.inferredProvider), .text(row.providerMappingRule), .integer(row.providerMappingConfidence),
            .text(row.canonicalModelGuess), .text(row.modelMappingRule), .integer(row.modelMappingConfidence),
            .optionalText(row.pricingProvider), .optionalText(row.pricingModel),
            .decimal(row.pricingSubscriptionUSDPerMonth), .decimal(row.pricingInputUSDPerMTok),
            .decimal(row.pricingOutputUSDPerMTok), .decimal(row.pricingCacheWriteUSDPerMTok),
            .decimal(row.pricingCacheReadUSDPerMTok), .decimal(row.pricingToolInputUSDPerMTok),
            .decimal(row.pricingToolOutputUSDPerMTok), .decimal(row.benchmarkInputUSDPerMTok),
            .decimal(row.benchmarkOutputUSDPerMTok), .integer(row.benchmarkRowsTotal),
            .integer(row.benchmarkRowsNonMissing), .integer(row.benchmarkRowsMissing),
            .integer(row.benchmarkPriorRowsTotal), .integer(row.benchmarkPriorRowsNonMissing),
            .integer(row.benchmarkPriorRowsMissing), .integer(row.benchmarkDistinctTotal),
            .integer(row.benchmarkDistinctNonMissing), .decimal(row.pricingVsBenchmarkInputDelta),
            .decimal(row.pricingVsBenchmarkOutputDelta),
        ]
    }

    private static func cells(_ row: PriorsAggregationRow) -> [Cell] {
        [
            .integer(row.aggregationRowID), .text(row.inferredProvider), .text(row.pricingProvider),
            .integer(row.modelsCount), .integer(row.mappedModelsCount), .integer(row.priorRowsTotal),
            .integer(row.priorRowsNonMissing), .integer(row.priorRowsMissing),
        ]
    }

    static func ledgerCSV(_ rows: [LedgerRow]) -> String {
        var writer = CSVWriter()
        writer.appendRecord(ledgerColumns)
        for row in rows {
            writer.appendRecord(cells(row).map(\.csv))
        }
        return writer.text
    }

    /// Both tables' inserts, one multi-row INSERT per table.
    ///
    /// A table without rows gets no INSERT statement, because `INSERT ... VALUES` needs at least one
    /// row; tokenledger writes an invalid statement there.
    static func seedSQL(_ rows: [LedgerRow], aggregation: [PriorsAggregationRow]) -> String {
        var lines = ["-- Deterministic unified ledger seed generated by scripts/build_unified_ledger.py"]
        if !rows.isEmpty {
            lines.append("INSERT INTO unified_model_provider_ledger (")
            lines.append("  " + ledgerColumns.joined(separator: ",\n  "))
            lines.append(") VALUES")
            let tuples = rows.map { "(" + cells($0).map(\.sql).joined(separator: ", ") + ")" }
            lines.append(tuples.joined(separator: ",\n") + ";")
        }
        if !aggregation.isEmpty {
            lines.append("")
            lines.append("INSERT INTO benchmark_priors_aggregation (")
            lines.append("  " + aggregationColumns.joined(separator: ",\n  "))
            lines.append(") VALUES")
            let tuples = aggregation.map { "(" + cells($0).map(\.sql).joined(separator: ", ") + ")" }
            lines.append(tuples.joined(separator: ",\n") + ";")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The runtime snapshot; `metrics` must come from ``RuntimeMetricRow/normalized(_:)``.
    static func runtimeSnapshotCSV(_ metrics: [RuntimeMetricRow]) -> String {
        var writer = CSVWriter()
        writer.appendRecord(runtimeColumns)
        for metric in metrics {
            writer.appendRecord([
                metric.provider,
                metric.model,
                metric.latencyMilliseconds.map(PythonFloatFormat.fixedSixDecimals) ?? "",
                metric.qualityScore.map(PythonFloatFormat.fixedSixDecimals) ?? "",
                metric.sourcePath,
            ])
        }
        return writer.text
    }

    static func paretoCSV(_ rows: [ParetoRow]) -> String {
        var writer = CSVWriter()
        writer.appendRecord(paretoColumns)
        for row in rows {
            writer.appendRecord([
                String(row.ledgerRowID),
                row.provider,
                row.model,
                PythonFloatFormat.repr(row.paretoScore),
                PythonFloatFormat.repr(row.qualityComponent),
                PythonFloatFormat.repr(row.costComponent),
                PythonFloatFormat.repr(row.latencyComponent),
                row.blendedCostUSDPerMTok.map(PythonFloatFormat.repr) ?? "",
                row.runtimeLatencyMilliseconds.map(PythonFloatFormat.repr) ?? "",
                row.runtimeQualityScore.map(PythonFloatFormat.repr) ?? "",
                row.benchmarkQualityScore.map(PythonFloatFormat.repr) ?? "",
                row.runtimeSourcePath ?? "",
            ])
        }
        return writer.text
    }

    /// Quotes `text` as a SQL string literal, doubling each inner single quote.
    static func sqlQuote(_ text: String) -> String {
        var quoted = "'"
        for scalar in text.unicodeScalars {
            if scalar == "'" {
                quoted.unicodeScalars.append("'")
            }
            quoted.unicodeScalars.append(scalar)
        }
        return quoted + "'"
    }
}
