/// A cumulative histogram of durations, in Prometheus's bucket layout.
struct LatencyHistogram {
    /// Upper bounds of the buckets in seconds; a last bucket, `+Inf`, is implicit.
    static let bounds: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// Observations per bucket, not cumulative; the last entry is the `+Inf` bucket.
    private(set) var counts = [UInt64](repeating: 0, count: LatencyHistogram.bounds.count + 1)
    /// The sum of all observations, in seconds.
    private(set) var sum: Double = 0
    /// The number of observations.
    private(set) var count: UInt64 = 0

    /// Records one duration given in nanoseconds.
    mutating func observe(nanoseconds: Int64) {
        let seconds = Double(nanoseconds) / 1e9
        let index = Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count
        counts[index] += 1
        sum += seconds
        count += 1
    }

    /// The Prometheus text lines for a histogram named `name`.
    func lines(name: String) -> [String] {
        var lines: [String] = []
        var cumulative: UInt64 = 0
        for (index, bound) in Self.bounds.enumerated() {
            cumulative += counts[index]
            lines.append("\(name)_bucket{le=\"\(bound)\"} \(cumulative)")
        }
        cumulative += counts[Self.bounds.count]
        lines.append("\(name)_bucket{le=\"+Inf\"} \(cumulative)")
        lines.append("\(name)_sum \(sum)")
        lines.append("\(name)_count \(count)")
        return lines
    }
}
