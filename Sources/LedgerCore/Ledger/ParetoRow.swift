/// One row of the Pareto table: a ledger row scored on quality, cost and latency.
///
/// Every number is already rounded to six decimals the way the CSV prints it. The score is
/// `100 × (0.5 × quality + 0.3 × cost + 0.2 × latency)`, each component in 0...1 for sane inputs.
public struct ParetoRow: Sendable, Equatable {
    /// The ledger row this row scores.
    public var ledgerRowID: Int
    /// Join key of the pricing provider, or of the inferred provider when unmapped.
    public var provider: String
    /// Join key of the pricing model, or of the canonical model guess when unmapped.
    public var model: String
    /// The weighted score, 0...100.
    public var paretoScore: Double
    /// Mean of the runtime quality and the benchmark quality that are present; 0 when neither is.
    public var qualityComponent: Double
    /// `1 / (1 + blended cost)`; 0 when unpriced.
    public var costComponent: Double
    /// `1 / (1 + latency_ms / 1000)`; 0 without a runtime latency.
    public var latencyComponent: Double
    /// Mean of the non-negative input and output rates, USD per million tokens.
    public var blendedCostUSDPerMTok: Double?
    /// The joined runtime row's latency in milliseconds.
    public var runtimeLatencyMilliseconds: Double?
    /// The joined runtime row's quality score.
    public var runtimeQualityScore: Double?
    /// Prior benchmark rows with a value ÷ prior benchmark rows, clamped to 0...1.
    public var benchmarkQualityScore: Double?
    /// The joined runtime row's source description, or `nil` when no runtime row joined.
    public var runtimeSourcePath: String?

    /// Scores every ledger row against the runtime metrics and sorts the result.
    ///
    /// `runtimeMetrics` must come from ``RuntimeMetricRow/normalized(_:)``. Rows are sorted by score
    /// descending, then provider, then model (code point order); ties keep ledger order. The
    /// arithmetic repeats tokenledger's `Double` operations in the same order, so the rounded values
    /// match its CSV exactly.
    public static func score(_ ledgerRows: [LedgerRow], runtimeMetrics: [RuntimeMetricRow]) -> [ParetoRow] {
        var runtimeByKey: [[ExactName]: RuntimeMetricRow] = [:]
        for metric in runtimeMetrics {
            let key = [ExactName(metric.provider), ExactName(metric.model)]
            if runtimeByKey[key] == nil {
                runtimeByKey[key] = metric
            }
        }
        let scored = ledgerRows.map { row in
            let provider = LedgerSlug.makeJoinKey(
                nonEmpty(row.pricingProvider) ?? nonEmpty(row.inferredProvider) ?? "unknown")
            let model = LedgerSlug.makeJoinKey(
                nonEmpty(row.pricingModel) ?? nonEmpty(row.canonicalModelGuess) ?? "unknown")
            let runtime = runtimeByKey[[ExactName(provider), ExactName(model)]]
            return score(row, provider: provider, model: model, runtime: runtime)
        }
        let order = scored.indices.sorted { left, right in
            let leftRow = scored[left]
            let rightRow = scored[right]
            if leftRow.paretoScore != rightRow.paretoScore {
                return leftRow.paretoScore > rightRow.paretoScore
            }
            if !leftRow.provider.unicodeScalars.elementsEqual(rightRow.provider.unicodeScalars) {
                return leftRow.provider.precedesInCodePointOrder(rightRow.provider)
            }
            if !leftRow.model.unicodeScalars.elementsEqual(rightRow.model.unicodeScalars) {
                return leftRow.model.precedesInCodePointOrder(rightRow.model)
            }
            return left < right
        }
        return order.map { scored[$0] }
    }

    private static func score(_ row: LedgerRow, provider: String, model: String, runtime: RuntimeMetricRow?)
        -> ParetoRow
    {
        var rates: [Double] = []
        for rate in [row.pricingInputUSDPerMTok, row.pricingOutputUSDPerMTok] {
            if let value = rate?.doubleValue, value >= 0 {
                rates.append(value)
            }
        }
        var blendedCost: Double?
        var cost = 0.0
        if !rates.isEmpty {
            let average = rates.reduce(0.0, +) / Double(rates.count)
            blendedCost = average
            cost = 1.0 / (1.0 + average)
        }

        var latency = 0.0
        if let latencyMilliseconds = runtime?.latencyMilliseconds, latencyMilliseconds >= 0 {
            latency = 1.0 / (1.0 + (latencyMilliseconds / 1000.0))
        }

        var benchmarkQuality: Double?
        if row.benchmarkPriorRowsTotal > 0 {
            let ratio = Double(row.benchmarkPriorRowsNonMissing) / Double(row.benchmarkPriorRowsTotal)
            benchmarkQuality = max(0.0, min(1.0, ratio))
        }
        let qualities = [runtime?.qualityScore, benchmarkQuality].compactMap { $0 }
        let quality = qualities.isEmpty ? 0.0 : qualities.reduce(0.0, +) / Double(qualities.count)

        let score = (0.50 * quality) + (0.30 * cost) + (0.20 * latency)
        return ParetoRow(
            ledgerRowID: row.ledgerRowID,
            provider: provider,
            model: model,
            paretoScore: PythonFloatFormat.roundedToSixDecimals(score * 100.0),
            qualityComponent: PythonFloatFormat.roundedToSixDecimals(quality),
            costComponent: PythonFloatFormat.roundedToSixDecimals(cost),
            latencyComponent: PythonFloatFormat.roundedToSixDecimals(latency),
            blendedCostUSDPerMTok: blendedCost.map(PythonFloatFormat.roundedToSixDecimals),
            runtimeLatencyMilliseconds: runtime?.latencyMilliseconds.map(PythonFloatFormat.roundedToSixDecimals),
            runtimeQualityScore: runtime?.qualityScore.map(PythonFloatFormat.roundedToSixDecimals),
            benchmarkQualityScore: benchmarkQuality.map(PythonFloatFormat.roundedToSixDecimals),
            runtimeSourcePath: runtime?.sourcePath
        )
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
