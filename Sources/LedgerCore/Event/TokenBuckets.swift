/// Disjoint token counts of one event.
///
/// Every token lands in exactly one of `inputUncached`, `cacheRead`, `cacheWrite`, `output` and
/// `unclassified`, so sums over events never double count. `reasoning` is the part of `output`
/// spent on reasoning and is not added again.
public struct TokenBuckets: Sendable, Equatable, Hashable {
    /// Prompt tokens neither read from nor written to a cache.
    public var inputUncached: Int64
    /// Prompt tokens served from a cache.
    public var cacheRead: Int64
    /// Prompt tokens written to a cache.
    public var cacheWrite: Int64
    /// Generated tokens, reasoning included.
    public var output: Int64
    /// The reasoning part of `output`.
    public var reasoning: Int64
    /// Tokens a source reported in a total but in none of its parts.
    public var unclassified: Int64

    /// Creates buckets from disjoint counts.
    public init(
        inputUncached: Int64 = 0, cacheRead: Int64 = 0, cacheWrite: Int64 = 0, output: Int64 = 0,
        reasoning: Int64 = 0, unclassified: Int64 = 0
    ) {
        self.inputUncached = inputUncached
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
        self.output = output
        self.reasoning = reasoning
        self.unclassified = unclassified
    }

    /// Buckets with every count zero.
    public static let zero = TokenBuckets()

    /// `inputUncached + cacheRead + cacheWrite`.
    public var inputTotal: Int64 { inputUncached &+ cacheRead &+ cacheWrite }

    /// `inputTotal + output + unclassified`.
    public var total: Int64 { inputTotal &+ output &+ unclassified }

    /// Adds `other` bucket by bucket, saturating at `Int64.max` instead of overflowing.
    public mutating func add(_ other: TokenBuckets) {
        inputUncached = inputUncached.addingSaturated(other.inputUncached)
        cacheRead = cacheRead.addingSaturated(other.cacheRead)
        cacheWrite = cacheWrite.addingSaturated(other.cacheWrite)
        output = output.addingSaturated(other.output)
        reasoning = reasoning.addingSaturated(other.reasoning)
        unclassified = unclassified.addingSaturated(other.unclassified)
    }

    /// Whether every count is zero.
    public var isZero: Bool { self == .zero }

    /// Whether any count is negative, which a normalizer must never let through.
    public var hasNegative: Bool {
        inputUncached < 0 || cacheRead < 0 || cacheWrite < 0 || output < 0 || reasoning < 0 || unclassified < 0
    }
}

/// Whether an event carries usage.
public enum UsageState: String, Sendable, CaseIterable {
    /// The source reported token counts.
    case present
    /// The source reported usage and every count was zero.
    case zero
    /// The source reported no usage, for example a stream that ended without a usage block.
    case missing
}

/// How far the token buckets of an event can be trusted.
public enum UsageQuality: String, Sendable, CaseIterable {
    /// Every bucket comes from a field with one meaning.
    case complete
    /// The source's fields contradict each other, so the source total is kept as `unclassified`.
    case inconsistent
    /// Part of the usage cannot be split into buckets with certainty.
    case unclassified
}

/// The outcome of one upstream attempt.
public enum EventStatus: String, Sendable, CaseIterable {
    case succeeded
    case failed
    /// The client cancelled the request (HTTP 499) before it completed.
    case interrupted
}

extension Int64 {
    /// `self + other`, clamped to the `Int64` range instead of overflowing.
    public func addingSaturated(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}
