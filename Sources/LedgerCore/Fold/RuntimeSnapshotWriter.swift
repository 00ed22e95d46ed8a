/// Writes the runtime metrics CSV files.
public enum RuntimeSnapshotWriter {
    /// The extended metrics file, written beside tokenledger's five-column snapshot.
    public static let extendedName = "cliproxyapi_runtime_metrics_extended.csv"

    /// tokenledger's five-column snapshot for `rows`.
    public static func snapshot(_ rows: [RuntimeMetricRow]) -> String {
        LedgerRenderer.runtimeSnapshotCSV(RuntimeMetricRow.normalized(rows))
    }

    /// The extended snapshot: counts, latency and TTFT percentiles, throughput, token sums and cost per
    /// (provider, model). Decimals have six places; an empty cell means no value, and 0 is a value.
    ///
    /// `cost_usd` is the exact sum of the priced attempts' costs, empty when no attempt is priced.
    /// `unpriced_attempts` and `unpriced_tokens` count what the pricing file has no price for.
    public static func extended(_ metrics: [RuntimeMetrics]) -> String {
        var writer = CSVWriter()
        writer.appendRecord([
            "provider", "model", "attempts", "requests", "succeeded", "failed", "failed_4xx", "failed_5xx",
            "failed_other", "interrupted", "usage_missing", "success_rate",
            "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "ttft_p50_ms", "ttft_p95_ms",
            "output_tokens_per_second", "input_uncached_tokens", "cache_read_tokens", "cache_write_tokens",
            "output_tokens", "reasoning_tokens", "unclassified_tokens", "priced_attempts", "unpriced_attempts",
            "unpriced_tokens", "estimated_attempts", "cost_usd",
        ])
        for metric in metrics {
            writer.appendRecord([
                metric.provider, metric.model, String(metric.attempts), String(metric.requests),
                String(metric.succeeded),
                String(metric.failed), String(metric.failedClientErrors), String(metric.failedServerErrors),
                String(metric.failedOther), String(metric.interrupted), String(metric.usageMissing),
                fixed(metric.successRate), fixed(metric.latencyP50), fixed(metric.latencyP95),
                fixed(metric.latencyP99), fixed(metric.timeToFirstTokenP50), fixed(metric.timeToFirstTokenP95),
                fixed(metric.outputTokensPerSecond), String(metric.buckets.inputUncached),
                String(metric.buckets.cacheRead), String(metric.buckets.cacheWrite), String(metric.buckets.output),
                String(metric.buckets.reasoning), String(metric.buckets.unclassified), String(metric.pricedAttempts),
                String(metric.unpricedAttempts), String(metric.unpricedTokens), String(metric.estimatedAttempts),
                metric.pricedAttempts > 0 ? Money(nanos: metric.costNanos).description : "",
            ])
        }
        return writer.text
    }

    /// `value` with exactly six decimals, rounded half away from zero; empty for `nil`.
    static func fixed(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "" }
        let scaled = (value * 1_000_000).rounded(.toNearestOrAwayFromZero)
        let sign = scaled < 0 ? "-" : ""
        let magnitude = Int64(scaled.magnitude)
        let fraction = String(magnitude % 1_000_000)
        return sign + String(magnitude / 1_000_000) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
