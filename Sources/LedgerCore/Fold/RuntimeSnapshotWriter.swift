/// Writes the runtime metrics CSV files.
public enum RuntimeSnapshotWriter {
    /// The extended metrics file, written beside tokenledger's five-column snapshot.
    public static let extendedName = "cliproxyapi_runtime_metrics_extended.csv"

    /// tokenledger's five-column snapshot for `rows`.
    public static func snapshot(_ rows: [RuntimeMetricRow]) -> String {
        LedgerRenderer.runtimeSnapshotCSV(RuntimeMetricRow.normalized(rows))
    }

    /// The extended snapshot: counts, latency and TTFT percentiles, throughput and token sums per
    /// (provider, model). Decimals have six places; an empty cell means no value, and 0 is a value.
    public static func extended(_ metrics: [RuntimeMetrics]) -> String {
        var writer = CSVWriter()
        writer.appendRecord([
            "provider", "model", "attempts", "succeeded", "failed", "interrupted", "usage_missing", "success_rate",
            "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "ttft_p50_ms", "ttft_p95_ms",
            "output_tokens_per_second", "input_uncached_tokens", "cache_read_tokens", "cache_write_tokens",
            "output_tokens", "reasoning_tokens", "unclassified_tokens",
        ])
        for metric in metrics {
            writer.appendRecord([
                metric.provider, metric.model, String(metric.attempts), String(metric.succeeded),
                String(metric.failed), String(metric.interrupted), String(metric.usageMissing),
                fixed(metric.successRate), fixed(metric.latencyP50), fixed(metric.latencyP95),
                fixed(metric.latencyP99), fixed(metric.timeToFirstTokenP50), fixed(metric.timeToFirstTokenP95),
                fixed(metric.outputTokensPerSecond), String(metric.buckets.inputUncached),
                String(metric.buckets.cacheRead), String(metric.buckets.cacheWrite), String(metric.buckets.output),
                String(metric.buckets.reasoning), String(metric.buckets.unclassified),
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
