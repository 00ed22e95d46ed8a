/// Runtime metrics of one provider and model, as the daemon measures them over its window.
public struct RuntimeMetricRow: Sendable, Equatable {
    /// The provider, after the pricing file's aliases.
    public var provider: String
    /// The model, after the pricing file's aliases.
    public var model: String
    /// Median latency of succeeded attempts in milliseconds; `nil` when none succeeded.
    public var latencyMilliseconds: Double?
    /// Success rate in 0...1 (succeeded ÷ attempts, client cancellations excluded).
    public var qualityScore: Double?
    /// A stable description of where the metrics come from, never an absolute machine path.
    public var sourcePath: String

    /// Creates a row.
    public init(
        provider: String, model: String, latencyMilliseconds: Double?, qualityScore: Double?, sourcePath: String
    ) {
        self.provider = provider
        self.model = model
        self.latencyMilliseconds = latencyMilliseconds
        self.qualityScore = qualityScore
        self.sourcePath = sourcePath
    }

    /// Prepares rows for the snapshot and the Pareto join.
    ///
    /// Provider and model become their join keys (``LedgerSlug/makeJoinKey(_:)``), as tokenledger
    /// stores runtime metrics. The first row of each (provider, model) pair is kept. A negative or
    /// non-finite latency and a non-finite quality become `nil`, so that the SQL view, which cannot
    /// skip them, scores like the CSV. A value of 0 stays a value. The result is sorted by
    /// (provider, model) in code point order.
    public static func normalized(_ rows: [RuntimeMetricRow]) -> [RuntimeMetricRow] {
        var seen: Set<[ExactName]> = []
        var result: [RuntimeMetricRow] = []
        for row in rows {
            var normalized = row
            normalized.provider = LedgerSlug.makeJoinKey(row.provider)
            normalized.model = LedgerSlug.makeJoinKey(row.model)
            if let latency = row.latencyMilliseconds, !latency.isFinite || latency < 0 {
                normalized.latencyMilliseconds = nil
            }
            if let quality = row.qualityScore, !quality.isFinite {
                normalized.qualityScore = nil
            }
            guard seen.insert([ExactName(normalized.provider), ExactName(normalized.model)]).inserted else {
                continue
            }
            result.append(normalized)
        }
        return result.sorted { left, right in
            if left.provider.unicodeScalars.elementsEqual(right.provider.unicodeScalars) {
                return left.model.precedesInCodePointOrder(right.model)
            }
            return left.provider.precedesInCodePointOrder(right.provider)
        }
    }
}
