/// Prices events with genai-prices data, the way genai-prices computes a price.
///
/// Every part is billed at its own rate, or at the rate of the bucket that contains it when the
/// model has none. Uncached text input uses `input_mtok` and uncached audio `input_audio_mtok`.
/// Cache reads use `cache_read_mtok`, audio ones `cache_audio_read_mtok`. Five-minute cache
/// writes use `cache_write_mtok` and one-hour ones `cache_write_1h_mtok`. Output, reasoning
/// included, uses `output_mtok`, audio output `output_audio_mtok`. A part with no rate and no
/// parent rate costs nothing. Tiered rates pick their tier from the request's total input tokens, cached
/// included. `requests_kcount` adds its fee for one request. Unclassified tokens, which
/// genai-prices has no notion of, are billed at the input rate and flag the cost as estimated.
public struct GenAIPricer: Sendable {
    /// The price table.
    public let data: GenAIPriceData

    /// The `source` part of this pricer's price references.
    public static let referenceSource = "genai-prices"

    /// Creates a pricer.
    public init(data: GenAIPriceData) {
        self.data = data
    }

    /// Prices one event at an instant (nanoseconds since the epoch, UTC), which selects dated and
    /// time-of-day prices.
    ///
    /// Returns `nil` when the provider or the model is unknown, which means unpriced and never free.
    /// The entry names the provider whose model list held the model, which differs from the
    /// requested provider after a fallback.
    /// - Throws: ``PricingError`` with code `invalidTokens` for negative counts or a part larger
    ///   than its bucket.
    public func cost(provider providerID: String, model: String, tokens: BillableTokens, atNanoseconds instant: Int64)
        throws(PricingError) -> EventCost?
    {
        guard !tokens.isInvalid else {
            throw PricingError(
                code: .invalidTokens,
                message: "token counts for \(providerID)/\(model) are negative or a part exceeds its bucket; "
                    + "fix the decoder that produced them")
        }
        guard let provider = data.provider(id: providerID),
            let (entryModel, ownerID) = data.model(named: model, provider: provider),
            let price = entryModel.price(atNanoseconds: instant)
        else { return nil }

        let breakdown = Self.breakdown(tokens, price: price)
        let entry = PriceEntry(
            requestedProvider: providerID, requestedModel: model, provider: ownerID, model: entryModel.id,
            providerAlias: provider.id == providerID ? nil : providerID)
        let reference = PriceReference.make(
            source: Self.referenceSource, provider: ownerID, model: entryModel.id, fileHash: data.fileHash)
        return EventCost(
            entry: entry, priceReference: reference, breakdown: breakdown,
            isEstimated: tokens.buckets.unclassified > 0)
    }

    /// Bills each part of `tokens` with `price`.
    public static func breakdown(_ tokens: BillableTokens, price: GenAIModelPrice) -> CostBreakdown {
        let buckets = tokens.buckets
        let tierInput = buckets.inputTotal
        func rate(_ keys: String...) -> Money? {
            for key in keys {
                if let rate = price[key] { return rate.price(totalInputTokens: tierInput) }
            }
            return nil
        }
        func bill(_ count: Int64, _ rate: Money?) -> Money {
            guard let rate else { return .zero }
            return .cost(tokens: count, ratePerMillion: rate)
        }
        typealias Key = GenAIModelPrice

        var breakdown = CostBreakdown()
        breakdown.inputUncached =
            bill(buckets.inputUncached - tokens.inputAudio, rate(Key.input))
            + bill(tokens.inputAudio, rate(Key.inputAudio, Key.input))
        breakdown.cacheRead =
            bill(buckets.cacheRead - tokens.cacheReadAudio, rate(Key.cacheRead, Key.input))
            + bill(tokens.cacheReadAudio, rate(Key.cacheReadAudio, Key.cacheRead, Key.input))
        breakdown.cacheWrite =
            bill(buckets.cacheWrite - tokens.cacheWriteOneHour, rate(Key.cacheWrite, Key.input))
            + bill(tokens.cacheWriteOneHour, rate(Key.cacheWriteOneHour, Key.cacheWrite, Key.input))
        breakdown.output =
            bill(buckets.output - tokens.outputAudio, rate(Key.output))
            + bill(tokens.outputAudio, rate(Key.outputAudio, Key.output))
        breakdown.toolInput = bill(tokens.toolInput, rate(Key.input))
        breakdown.toolOutput = bill(tokens.toolOutput, rate(Key.output))
        breakdown.unclassified = bill(buckets.unclassified, rate(Key.input))
        if let requestRate = rate(Key.requests) {
            breakdown.requests = requestRate.dividedByPowerOfTen(3)
        }
        return breakdown
    }
}
