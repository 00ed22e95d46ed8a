/// Runtime metrics of one (provider, model) pair, folded from its events.
public struct RuntimeMetrics: Sendable, Equatable {
    /// The ledger provider key.
    public var provider: String
    /// The ledger model name.
    public var model: String
    /// Upstream attempts of any outcome.
    public var attempts = 0
    /// Attempts that succeeded.
    public var succeeded = 0
    /// Attempts that failed.
    public var failed = 0
    /// Attempts the client cancelled; excluded from the success rate.
    public var interrupted = 0
    /// Requests: distinct `request_id`s (retries of one request share it); an attempt without a
    /// request id counts as a request of its own.
    public var requests = 0
    /// Failed attempts whose status code was 4xx (429 included).
    public var failedClientErrors = 0
    /// Failed attempts whose status code was 5xx.
    public var failedServerErrors = 0
    /// Failed attempts with no status code or another one.
    public var failedOther = 0
    /// Successful attempts that reported no usage.
    public var usageMissing = 0
    /// Latency percentiles of succeeded attempts, in milliseconds.
    public var latencyP50: Double?
    public var latencyP95: Double?
    public var latencyP99: Double?
    /// Time-to-first-token percentiles of succeeded attempts, in milliseconds.
    public var timeToFirstTokenP50: Double?
    public var timeToFirstTokenP95: Double?
    /// Output tokens per second over succeeded attempts with usage and latency.
    public var outputTokensPerSecond: Double?
    /// Token sums over all attempts.
    public var buckets = TokenBuckets()
    /// Attempts with a cost.
    public var pricedAttempts = 0
    /// Attempts without a price in the pricing file.
    public var unpricedAttempts = 0
    /// Tokens of attempts without a price.
    public var unpricedTokens: Int64 = 0
    /// Priced attempts whose cost is partly an estimate (unclassified tokens).
    public var estimatedAttempts = 0
    /// The summed cost of priced attempts, in nano-dollars; saturates at `Int64.max`.
    public var costNanos: Int64 = 0

    /// `succeeded / (attempts − interrupted)`; `nil` when no attempt counts.
    public var successRate: Double? {
        let counted = attempts - interrupted
        return counted > 0 ? Double(succeeded) / Double(counted) : nil
    }
}

/// Folds events into ``RuntimeMetrics`` per (provider, model).
///
/// Latency is the median (and percentiles, linear interpolation between closest ranks) over
/// succeeded attempts; the success rate leaves client cancellations out. Memory grows with the
/// number of succeeded attempts, whose latencies are kept for the percentiles.
public struct RuntimeMetricsFolder {
    private struct Accumulator {
        var metrics: RuntimeMetrics
        var requestIDs: Set<String> = []
        var attemptsWithoutRequestID = 0
        var latencies: [Int64] = []
        var timesToFirstToken: [Int64] = []
        var outputTokens: Int64 = 0
        var outputMilliseconds: Int64 = 0
    }

    /// An event's provider and model as stored, before ``ProviderMapping`` renames them.
    private struct RawPair: Hashable {
        var provider: String
        var model: String
    }

    private let mapping: ProviderMapping
    /// One accumulator per ledger pair. They are updated in place through `accumulators[index]`:
    /// copying one out of a dictionary and storing it back would copy its latency arrays on
    /// every event and make a fold quadratic in the number of events.
    private var accumulators: [Accumulator] = []
    private var indexByPair: [String: Int] = [:]
    /// The accumulator index of each stored pair already seen, so the mapping runs once per pair.
    private var indexByRawPair: [RawPair: Int] = [:]

    /// Creates a folder that names providers and models through `mapping`.
    public init(mapping: ProviderMapping) {
        self.mapping = mapping
    }

    /// Adds one event and the cost recorded for it (`nil` while it is unpriced).
    public mutating func add(_ event: CanonicalEvent, cost: RecordedCost?) {
        let index = accumulatorIndex(provider: event.provider, model: event.model)
        Self.add(event, cost: cost, to: &accumulators[index])
    }

    private mutating func accumulatorIndex(provider rawProvider: String, model rawModel: String) -> Int {
        let raw = RawPair(provider: rawProvider, model: rawModel)
        if let index = indexByRawPair[raw] { return index }
        let provider = mapping.provider(rawProvider)
        let model = mapping.model(rawModel, provider: provider)
        let key = provider + "\u{0}" + model
        let index: Int
        if let existing = indexByPair[key] {
            index = existing
        } else {
            index = accumulators.count
            accumulators.append(Accumulator(metrics: RuntimeMetrics(provider: provider, model: model)))
            indexByPair[key] = index
        }
        indexByRawPair[raw] = index
        return index
    }

    private static func add(_ event: CanonicalEvent, cost: RecordedCost?, to accumulator: inout Accumulator) {
        accumulator.metrics.attempts += 1
        if let requestID = event.requestID, !requestID.isEmpty {
            accumulator.requestIDs.insert(requestID)
        } else {
            accumulator.attemptsWithoutRequestID += 1
        }
        switch event.status {
        case .succeeded:
            accumulator.metrics.succeeded += 1
            if let latency = event.latencyMilliseconds {
                accumulator.latencies.append(latency)
                if event.usageState == .present, latency > 0 {
                    accumulator.outputTokens = accumulator.outputTokens.addingSaturated(event.buckets.output)
                    accumulator.outputMilliseconds = accumulator.outputMilliseconds.addingSaturated(latency)
                }
            }
            if let ttft = event.timeToFirstTokenMilliseconds {
                accumulator.timesToFirstToken.append(ttft)
            }
            if event.usageState == .missing {
                accumulator.metrics.usageMissing += 1
            }
        case .failed:
            accumulator.metrics.failed += 1
            switch event.statusCode ?? 0 {
            case 400...499: accumulator.metrics.failedClientErrors += 1
            case 500...599: accumulator.metrics.failedServerErrors += 1
            default: accumulator.metrics.failedOther += 1
            }
        case .interrupted:
            accumulator.metrics.interrupted += 1
        }
        accumulator.metrics.buckets.add(event.buckets)
        switch PricingState(cost) {
        case .priced:
            accumulator.metrics.pricedAttempts += 1
            accumulator.metrics.costNanos = accumulator.metrics.costNanos.addingSaturated(cost?.nanos ?? 0)
            if cost?.isEstimated == true {
                accumulator.metrics.estimatedAttempts += 1
            }
        case .unpriced:
            accumulator.metrics.unpricedAttempts += 1
            accumulator.metrics.unpricedTokens = accumulator.metrics.unpricedTokens.addingSaturated(
                event.buckets.total)
        case .usageMissing:
            break
        }
    }

    /// The metrics of every pair, sorted by provider, then model.
    public func results() -> [RuntimeMetrics] {
        accumulators.map { accumulator in
            var metrics = accumulator.metrics
            metrics.requests = accumulator.requestIDs.count + accumulator.attemptsWithoutRequestID
            let latencies = accumulator.latencies.sorted()
            metrics.latencyP50 = Self.percentile(latencies, 0.50)
            metrics.latencyP95 = Self.percentile(latencies, 0.95)
            metrics.latencyP99 = Self.percentile(latencies, 0.99)
            let ttft = accumulator.timesToFirstToken.sorted()
            metrics.timeToFirstTokenP50 = Self.percentile(ttft, 0.50)
            metrics.timeToFirstTokenP95 = Self.percentile(ttft, 0.95)
            if accumulator.outputMilliseconds > 0 {
                metrics.outputTokensPerSecond =
                    Double(accumulator.outputTokens) * 1000 / Double(accumulator.outputMilliseconds)
            }
            return metrics
        }
        .sorted { ($0.provider, $0.model) < ($1.provider, $1.model) }
    }

    /// The `fraction` percentile of sorted values by linear interpolation between closest ranks;
    /// the 0.5 percentile of an even count is the mean of the two middle values.
    static func percentile(_ sorted: [Int64], _ fraction: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let position = fraction * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let weight = position - Double(lower)
        return Double(sorted[lower]) + (Double(sorted[upper]) - Double(sorted[lower])) * weight
    }
}
