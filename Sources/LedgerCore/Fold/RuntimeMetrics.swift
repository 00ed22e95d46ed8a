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
/// succeeded attempts; the success rate leaves client cancellations out. Latencies and times to
/// first token are counted per distinct millisecond value (``MillisecondHistogram``), so their
/// memory grows with the number of distinct values, not of attempts. Distinct request ids go to
/// one ``DistinctKeyCounter`` keyed by pair, which stays within its memory limit by spilling to
/// temporary files when the folder is given a ``SpillStorage``.
public struct RuntimeMetricsFolder {
    private struct Accumulator {
        var metrics: RuntimeMetrics
        var attemptsWithoutRequestID = 0
        var latencies = MillisecondHistogram()
        var timesToFirstToken = MillisecondHistogram()
        var outputTokens: Int64 = 0
        var outputMilliseconds: Int64 = 0
    }

    private let mapping: ProviderMapping
    /// One accumulator per ledger pair. They are updated in place through `accumulators[index]`:
    /// copying one out of a dictionary and storing it back would copy its latency histograms on
    /// every event and make a fold quadratic in the number of events.
    private var accumulators: [Accumulator] = []
    private var indexByPair: [String: Int] = [:]
    /// The accumulator index of each row pair number already seen (-1 for none yet), so the
    /// mapping runs once per stored pair.
    private var indexByPairNumber: [Int] = []
    /// Distinct request ids, grouped by accumulator index.
    private var requestIDs: DistinctKeyCounter
    /// Numbers the pairs of events given to ``add(_:cost:)``.
    private var numbering = FoldRowNumbering()

    /// Creates a folder that names providers and models through `mapping`.
    ///
    /// With `spill`, the distinct request ids move to its temporary files once they pass
    /// `memoryLimit` estimated bytes (see ``DistinctKeyCounter``). Without it they all stay in memory.
    public init(
        mapping: ProviderMapping, spill: (any SpillStorage)? = nil,
        memoryLimit: Int = DistinctKeyCounter.defaultMemoryLimit
    ) {
        self.mapping = mapping
        requestIDs = DistinctKeyCounter(memoryLimit: memoryLimit, storage: spill)
    }

    /// Adds one event and the cost recorded for it (`nil` while it is unpriced).
    ///
    /// Do not mix it with ``add(_:)`` on one folder: the two number pairs independently.
    /// - Throws: the spill storage's error when a spill cannot be written.
    public mutating func add(_ event: CanonicalEvent, cost: RecordedCost?) throws {
        try add(FoldRow(event, cost: cost, numbering: &numbering))
    }

    /// Adds one row, whose pair numbers must all come from one reader or one numbering.
    /// - Throws: the spill storage's error when a spill cannot be written.
    public mutating func add(_ row: FoldRow) throws {
        let index = accumulatorIndex(row)
        Self.add(row, to: &accumulators[index])
        try requestIDs.insert(row.requestKey, group: index)
    }

    /// Returns the accumulator index of the row's pair, creating the accumulator when it is new.
    @inline(__always)
    private mutating func accumulatorIndex(_ row: FoldRow) -> Int {
        if row.pairNumber < indexByPairNumber.count {
            let index = indexByPairNumber[row.pairNumber]
            if index >= 0 { return index }
        }
        return registerPair(row)
    }

    private mutating func registerPair(_ row: FoldRow) -> Int {
        if row.pairNumber >= indexByPairNumber.count {
            indexByPairNumber += Array(repeating: -1, count: row.pairNumber + 1 - indexByPairNumber.count)
        }
        let provider = mapping.provider(row.provider)
        let model = mapping.model(row.model, provider: provider)
        let key = provider + "\u{0}" + model
        let index: Int
        if let existing = indexByPair[key] {
            index = existing
        } else {
            index = accumulators.count
            accumulators.append(Accumulator(metrics: RuntimeMetrics(provider: provider, model: model)))
            indexByPair[key] = index
        }
        indexByPairNumber[row.pairNumber] = index
        return index
    }

    private static func add(_ row: FoldRow, to accumulator: inout Accumulator) {
        accumulator.metrics.attempts += 1
        if case .none = row.requestKey {
            accumulator.attemptsWithoutRequestID += 1
        }
        switch row.status {
        case .succeeded:
            accumulator.metrics.succeeded += 1
            if let latency = row.latencyMilliseconds {
                accumulator.latencies.append(latency)
                if row.usageState == .present, latency > 0 {
                    accumulator.outputTokens = accumulator.outputTokens.addingSaturated(row.buckets.output)
                    accumulator.outputMilliseconds = accumulator.outputMilliseconds.addingSaturated(latency)
                }
            }
            if let ttft = row.timeToFirstTokenMilliseconds {
                accumulator.timesToFirstToken.append(ttft)
            }
            if row.usageState == .missing {
                accumulator.metrics.usageMissing += 1
            }
        case .failed:
            accumulator.metrics.failed += 1
            switch row.statusCode ?? 0 {
            case 400...499: accumulator.metrics.failedClientErrors += 1
            case 500...599: accumulator.metrics.failedServerErrors += 1
            default: accumulator.metrics.failedOther += 1
            }
        case .interrupted:
            accumulator.metrics.interrupted += 1
        }
        accumulator.metrics.buckets.add(row.buckets)
        switch row.pricing {
        case .priced:
            accumulator.metrics.pricedAttempts += 1
            accumulator.metrics.costNanos = accumulator.metrics.costNanos.addingSaturated(row.costNanos ?? 0)
            if row.costIsEstimated {
                accumulator.metrics.estimatedAttempts += 1
            }
        case .unpriced:
            accumulator.metrics.unpricedAttempts += 1
            accumulator.metrics.unpricedTokens = accumulator.metrics.unpricedTokens.addingSaturated(
                row.buckets.total)
        case .usageMissing:
            break
        }
    }

    /// Returns the metrics of every pair, sorted by provider, then model.
    /// - Throws: the spill storage's error, or ``SpillFileError``, when spilled request ids
    ///   cannot be read back.
    public mutating func results() throws -> [RuntimeMetrics] {
        let requestCounts = try requestIDs.counts()
        return accumulators.enumerated().map { index, accumulator in
            var metrics = accumulator.metrics
            let distinctIDs = index < requestCounts.count ? requestCounts[index] : 0
            metrics.requests = distinctIDs + accumulator.attemptsWithoutRequestID
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
    static func percentile(_ sorted: SortedMilliseconds, _ fraction: Double) -> Double? {
        guard sorted.count > 0 else { return nil }
        let position = fraction * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let weight = position - Double(lower)
        return Double(sorted[lower]) + (Double(sorted[upper]) - Double(sorted[lower])) * weight
    }
}
