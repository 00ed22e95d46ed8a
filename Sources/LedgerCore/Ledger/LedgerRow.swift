/// One row of the unified ledger: a model of the benchmark table, the provider and price entry it
/// maps to, and its benchmark counts.
///
/// Field names follow the thirty CSV columns of `unified_model_provider_ledger.csv` in order.
/// Prices are USD per million tokens. Empty CSV cells are `nil` here and `NULL` in SQL.
public struct LedgerRow: Sendable, Equatable {
    /// 1-based position in slug order.
    public var ledgerRowID: Int
    /// The model name as the benchmark table writes it.
    public var sourceModel: String
    /// ``LedgerSlug/make(_:)`` of ``sourceModel``.
    public var sourceModelSlug: String
    /// The provider inferred from the slug, or `unknown`.
    public var inferredProvider: String
    /// The provider inference rule: `pricing:provider_alias`, `prefix:<p>` or `heuristic:unknown`.
    public var providerMappingRule: String
    /// Confidence of the provider inference, 0...100.
    public var providerMappingConfidence: Int
    /// The model name guessed for pricing lookups; equal to ``sourceModelSlug``.
    public var canonicalModelGuess: String
    /// The price mapping rule, such as `pricing:model_exact`, or `unmapped`.
    public var modelMappingRule: String
    /// Confidence of the price mapping, 0...100.
    public var modelMappingConfidence: Int
    /// The pricing provider, or `nil` when unmapped.
    public var pricingProvider: String?
    /// The pricing model, or `nil` when unmapped.
    public var pricingModel: String?
    /// The pricing provider's monthly subscription in USD.
    public var pricingSubscriptionUSDPerMonth: LedgerDecimal?
    /// The mapped model's input rate.
    public var pricingInputUSDPerMTok: LedgerDecimal?
    /// The mapped model's output rate.
    public var pricingOutputUSDPerMTok: LedgerDecimal?
    /// The mapped model's cache-write rate.
    public var pricingCacheWriteUSDPerMTok: LedgerDecimal?
    /// The mapped model's cache-read rate.
    public var pricingCacheReadUSDPerMTok: LedgerDecimal?
    /// The mapped model's tool-input rate.
    public var pricingToolInputUSDPerMTok: LedgerDecimal?
    /// The mapped model's tool-output rate.
    public var pricingToolOutputUSDPerMTok: LedgerDecimal?
    /// The benchmark table's `Input Price`, first tier.
    public var benchmarkInputUSDPerMTok: LedgerDecimal?
    /// The benchmark table's `Output Price`, first tier.
    public var benchmarkOutputUSDPerMTok: LedgerDecimal?
    /// Benchmark rows of the model.
    public var benchmarkRowsTotal: Int
    /// Benchmark rows with a value.
    public var benchmarkRowsNonMissing: Int
    /// Benchmark rows without a value.
    public var benchmarkRowsMissing: Int
    /// Benchmark rows other than `Input Price` and `Output Price`.
    public var benchmarkPriorRowsTotal: Int
    /// Of ``benchmarkPriorRowsTotal``, rows with a value.
    public var benchmarkPriorRowsNonMissing: Int
    /// Of ``benchmarkPriorRowsTotal``, rows without a value.
    public var benchmarkPriorRowsMissing: Int
    /// Distinct benchmark names of the model.
    public var benchmarkDistinctTotal: Int
    /// Distinct benchmark names with at least one value.
    public var benchmarkDistinctNonMissing: Int
    /// Pricing input rate minus benchmark input price, when both exist.
    public var pricingVsBenchmarkInputDelta: LedgerDecimal?
    /// Pricing output rate minus benchmark output price, when both exist.
    public var pricingVsBenchmarkOutputDelta: LedgerDecimal?
}

/// One row of `benchmark_priors_aggregation`: ledger rows grouped by inferred provider and pricing
/// provider.
public struct PriorsAggregationRow: Sendable, Equatable {
    /// 1-based position in (inferred provider, pricing provider) order.
    public var aggregationRowID: Int
    /// The inferred provider of the group.
    public var inferredProvider: String
    /// The pricing provider of the group, or `unmapped`.
    public var pricingProvider: String
    /// Ledger rows in the group.
    public var modelsCount: Int
    /// Ledger rows in the group that map to a pricing model.
    public var mappedModelsCount: Int
    /// Sum of ``LedgerRow/benchmarkPriorRowsTotal``.
    public var priorRowsTotal: Int
    /// Sum of ``LedgerRow/benchmarkPriorRowsNonMissing``.
    public var priorRowsNonMissing: Int
    /// Sum of ``LedgerRow/benchmarkPriorRowsMissing``.
    public var priorRowsMissing: Int
}
