/// Maps benchmark-table models to providers and price entries with tokenledger's rules.
enum LedgerRowMapper {
    /// A slug prefix that names a provider, in the order the prefixes are tried.
    struct PrefixRule {
        var prefix: String
        var provider: String
        var confidence: Int
    }

    /// A price entry found by slug.
    struct IndexEntry {
        var provider: String
        var model: String
        var rule: String
    }

    static let prefixRules: [PrefixRule] = [
        PrefixRule(prefix: "claude", provider: "claude", confidence: 99),
        PrefixRule(prefix: "gpt", provider: "codex", confidence: 95),
        PrefixRule(prefix: "gemini", provider: "google", confidence: 95),
        PrefixRule(prefix: "grok", provider: "xai", confidence: 95),
        PrefixRule(prefix: "qwen", provider: "qwen", confidence: 95),
        PrefixRule(prefix: "deepseek", provider: "deepseek", confidence: 95),
        PrefixRule(prefix: "minimax", provider: "minimax", confidence: 95),
        PrefixRule(prefix: "kimi", provider: "kimi", confidence: 95),
        PrefixRule(prefix: "glm", provider: "zhipu", confidence: 95),
        PrefixRule(prefix: "step", provider: "stepfun", confidence: 95),
        PrefixRule(prefix: "devstral", provider: "mistral", confidence: 95),
    ]

    /// Slug indexes over a pricing file.
    ///
    /// Each provider's index maps the slug of each model name, then of each model alias, to its
    /// price entry. Names register in code point order, and a later name with the same slug replaces
    /// an earlier one. The global index keeps the first provider that registered a slug.
    struct PricingIndex {
        var byProvider: [ExactName: [String: IndexEntry]] = [:]
        var global: [String: IndexEntry] = [:]
        /// Provider alias slug → target provider; a later alias with the same slug wins.
        var providerAliases: [String: String] = [:]

        init(pricing: PricingFile) {
            for provider in pricing.providers {
                var lookup: [String: IndexEntry] = [:]
                let modelNames = provider.models.map(\.name).sorted { $0.precedesInCodePointOrder($1) }
                for name in modelNames {
                    let entry = IndexEntry(provider: provider.name, model: name, rule: "pricing:model_exact")
                    register(entry, slug: LedgerSlug.make(name), in: &lookup)
                }
                let aliases = provider.modelAliases.sorted { $0.alias.precedesInCodePointOrder($1.alias) }
                for alias in aliases {
                    let entry = IndexEntry(provider: provider.name, model: alias.target, rule: "pricing:model_alias")
                    register(entry, slug: LedgerSlug.make(alias.alias), in: &lookup)
                }
                byProvider[ExactName(provider.name)] = lookup
            }
            for alias in pricing.providerAliases {
                providerAliases[LedgerSlug.make(alias.alias)] = alias.target
            }
        }

        private mutating func register(_ entry: IndexEntry, slug: String, in lookup: inout [String: IndexEntry]) {
            lookup[slug] = entry
            if global[slug] == nil {
                global[slug] = entry
            }
        }
    }

    /// Builds the ledger rows, numbered 1…N in slug order; models with equal slugs keep table order.
    static func makeRows(pricing: PricingFile, benchmarks: BenchmarkTable) -> [LedgerRow] {
        let index = PricingIndex(pricing: pricing)
        let statistics = BenchmarkStatistics.collect(from: benchmarks)
        let slugs = statistics.map { LedgerSlug.make($0.sourceModel) }
        let order = statistics.indices.sorted { left, right in
            slugs[left] == slugs[right] ? left < right : slugs[left] < slugs[right]
        }
        var rows: [LedgerRow] = []
        rows.reserveCapacity(order.count)
        for (offset, position) in order.enumerated() {
            let row = makeRow(
                id: offset + 1,
                statistics: statistics[position],
                slug: slugs[position],
                index: index,
                pricing: pricing
            )
            rows.append(row)
        }
        return rows
    }

    private static func makeRow(
        id: Int,
        statistics: BenchmarkStatistics,
        slug: String,
        index: PricingIndex,
        pricing: PricingFile
    ) -> LedgerRow {
        let (inferredProvider, providerRule, providerConfidence) = inferProvider(slug: slug, index: index)
        let (entry, modelConfidence) = mapModel(provider: inferredProvider, slug: slug, index: index, pricing: pricing)
        var subscription: LedgerDecimal?
        var rates: ModelRates?
        if let entry {
            subscription = pricing.provider(named: entry.provider)?.subscriptionUSDPerMonth
            rates = pricing.model(named: entry.model, provider: entry.provider)?.rates
        }
        var inputDelta: LedgerDecimal?
        if let pricingInput = rates?.inputUSDPerMTok, let benchmarkInput = statistics.inputUSDPerMTok {
            inputDelta = pricingInput - benchmarkInput
        }
        var outputDelta: LedgerDecimal?
        if let pricingOutput = rates?.outputUSDPerMTok, let benchmarkOutput = statistics.outputUSDPerMTok {
            outputDelta = pricingOutput - benchmarkOutput
        }
        return LedgerRow(
            ledgerRowID: id,
            sourceModel: statistics.sourceModel,
            sourceModelSlug: slug,
            inferredProvider: inferredProvider,
            providerMappingRule: providerRule,
            providerMappingConfidence: providerConfidence,
            canonicalModelGuess: slug,
            modelMappingRule: entry?.rule ?? "unmapped",
            modelMappingConfidence: modelConfidence,
            pricingProvider: entry?.provider,
            pricingModel: entry?.model,
            pricingSubscriptionUSDPerMonth: subscription,
            pricingInputUSDPerMTok: rates?.inputUSDPerMTok,
            pricingOutputUSDPerMTok: rates?.outputUSDPerMTok,
            pricingCacheWriteUSDPerMTok: rates?.cacheWriteUSDPerMTok,
            pricingCacheReadUSDPerMTok: rates?.cacheReadUSDPerMTok,
            pricingToolInputUSDPerMTok: rates?.toolInputUSDPerMTok,
            pricingToolOutputUSDPerMTok: rates?.toolOutputUSDPerMTok,
            benchmarkInputUSDPerMTok: statistics.inputUSDPerMTok,
            benchmarkOutputUSDPerMTok: statistics.outputUSDPerMTok,
            benchmarkRowsTotal: statistics.rowsTotal,
            benchmarkRowsNonMissing: statistics.rowsNonMissing,
            benchmarkRowsMissing: statistics.rowsMissing,
            benchmarkPriorRowsTotal: statistics.priorRowsTotal,
            benchmarkPriorRowsNonMissing: statistics.priorRowsNonMissing,
            benchmarkPriorRowsMissing: statistics.priorRowsMissing,
            benchmarkDistinctTotal: statistics.benchmarks.count,
            benchmarkDistinctNonMissing: statistics.benchmarksNonMissing.count,
            pricingVsBenchmarkInputDelta: inputDelta,
            pricingVsBenchmarkOutputDelta: outputDelta
        )
    }

    /// Infers (provider, rule, confidence) from a model slug: a provider alias equal to the whole
    /// slug first, then the first prefix rule that matches the slug or starts it followed by `-`.
    static func inferProvider(slug: String, index: PricingIndex) -> (String, String, Int) {
        if let provider = index.providerAliases[slug] {
            return (provider, "pricing:provider_alias", 100)
        }
        for rule in prefixRules where slug == rule.prefix || slug.hasPrefix(rule.prefix + "-") {
            return (rule.provider, "prefix:\(rule.prefix)", rule.confidence)
        }
        return ("unknown", "heuristic:unknown", 0)
    }

    /// Finds the price entry of a slug and its confidence, or `(nil, 0)` when unmapped.
    static func mapModel(
        provider: String,
        slug: String,
        index: PricingIndex,
        pricing: PricingFile
    ) -> (IndexEntry?, Int) {
        if let entry = index.byProvider[ExactName(provider)]?[slug] {
            return (entry, 100)
        }
        if let entry = index.global[slug] {
            return (entry, 92)
        }
        if slug.hasPrefix("gpt-5"), pricing.model(named: "gpt-5", provider: "codex") != nil {
            return (IndexEntry(provider: "codex", model: "gpt-5", rule: "heuristic:gpt-5-family"), 78)
        }
        if slug.hasPrefix("claude-sonnet-4-5"), pricing.model(named: "claude-sonnet-4-5", provider: "claude") != nil {
            return (IndexEntry(provider: "claude", model: "claude-sonnet-4-5", rule: "heuristic:claude-sonnet-4-5"), 80)
        }
        return (nil, 0)
    }

    /// Groups rows by (inferred provider, pricing provider or `unmapped`), sorted by that pair.
    static func makeAggregation(_ rows: [LedgerRow]) -> [PriorsAggregationRow] {
        var groups: [[ExactName]: PriorsAggregationRow] = [:]
        for row in rows {
            let pricingProvider = row.pricingProvider.flatMap { $0.isEmpty ? nil : $0 } ?? "unmapped"
            let key = [ExactName(row.inferredProvider), ExactName(pricingProvider)]
            var group =
                groups[key]
                ?? PriorsAggregationRow(
                    aggregationRowID: 0,
                    inferredProvider: row.inferredProvider,
                    pricingProvider: pricingProvider,
                    modelsCount: 0,
                    mappedModelsCount: 0,
                    priorRowsTotal: 0,
                    priorRowsNonMissing: 0,
                    priorRowsMissing: 0
                )
            group.modelsCount += 1
            if let model = row.pricingModel, !model.isEmpty {
                group.mappedModelsCount += 1
            }
            group.priorRowsTotal += row.benchmarkPriorRowsTotal
            group.priorRowsNonMissing += row.benchmarkPriorRowsNonMissing
            group.priorRowsMissing += row.benchmarkPriorRowsMissing
            groups[key] = group
        }
        let sorted = groups.values.sorted { left, right in
            if left.inferredProvider.unicodeScalars.elementsEqual(right.inferredProvider.unicodeScalars) {
                return left.pricingProvider.precedesInCodePointOrder(right.pricingProvider)
            }
            return left.inferredProvider.precedesInCodePointOrder(right.inferredProvider)
        }
        return sorted.enumerated().map { offset, group in
            var numbered = group
            numbered.aggregationRowID = offset + 1
            return numbered
        }
    }
}
