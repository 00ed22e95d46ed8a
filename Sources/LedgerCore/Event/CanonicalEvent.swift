/// The input shape an event was decoded from.
public enum SourceShape: String, Sendable, CaseIterable {
    /// A CLIProxyAPI usage-queue record.
    case usageQueue = "cliproxyapi.usage_queue"
    /// A span of an OTLP/JSON trace export.
    case otlpSpan = "otlp.span"
    /// A CLIProxyAPI accounting event v1, keyed by its `execution_id`.
    case accountingEvent = "cliproxyapi.accounting"
    /// A tokenledger normalized event v1.
    case normalizedEvent = "tokenledger.event"
    /// One detail of a legacy CLIProxyAPI statistics export (`usage/export`, v6.9 and older).
    case legacyExport = "cliproxyapi.legacy_export"
    /// A gap marker of `tokenledgerd pull`: a window in which usage records may be missing. It is
    /// counted in status and exports, never in runtime metrics or costs.
    case gapMarker = "tokenledgerd.gap"
}

/// One upstream attempt, normalized from any input shape.
///
/// Secrets never reach this type: client keys and account identities arrive here already hashed
/// (see ``SecretHasher``), and client addresses are dropped by the decoders.
public struct CanonicalEvent: Sendable, Equatable {
    /// The idempotency key: the same record seen twice yields the same key.
    public var key: EventKey
    /// The input shape.
    public var shape: SourceShape
    /// The upstream provider as the source names it, such as `claude` or `gcp.gemini`.
    public var provider: String
    /// The model that served the attempt.
    public var model: String
    /// The model name the client asked for, when the source reports it.
    public var requestedModel: String?
    /// The conversation or session the attempt belongs to.
    public var sessionID: String?
    /// The source's request id; several attempts may share it.
    public var requestID: String?
    /// The attempt's start as nanoseconds since the Unix epoch, UTC.
    public var startedAtNanoseconds: Int64
    /// Milliseconds from the attempt's start until the source recorded it.
    public var latencyMilliseconds: Int64?
    /// Milliseconds until the first response byte; `nil` when not measured.
    public var timeToFirstTokenMilliseconds: Int64?
    /// The attempt's outcome.
    public var status: EventStatus
    /// The HTTP status code, when the source reports it.
    public var statusCode: Int?
    /// The disjoint token buckets.
    public var buckets: TokenBuckets
    /// Whether the source reported usage.
    public var usageState: UsageState
    /// How far the buckets can be trusted.
    public var quality: UsageQuality
    /// The client key as `sha256("client\0" + key)` in hex.
    public var clientKeyID: String?
    /// The upstream account as `sha256("account\0" + source)` in hex.
    public var accountID: String?
    /// The proxy's stable credential id, which is not secret.
    public var authIndex: String?
    /// The producing service, from OTLP resource attributes.
    public var serviceName: String?
    /// The producing host, from OTLP resource attributes.
    public var hostName: String?
    /// The part of `buckets.inputUncached` that a tokenledger normalized event reported as
    /// `tool_input_tokens`; 0 for every other shape.
    public var toolInputTokens: Int64 = 0
    /// The part of `buckets.output` that a tokenledger normalized event reported as
    /// `tool_output_tokens`; 0 for every other shape.
    public var toolOutputTokens: Int64 = 0

    /// Creates an event; optional fields default to `nil`.
    public init(
        key: EventKey, shape: SourceShape, provider: String, model: String, startedAtNanoseconds: Int64,
        status: EventStatus, buckets: TokenBuckets, usageState: UsageState, quality: UsageQuality
    ) {
        self.key = key
        self.shape = shape
        self.provider = provider
        self.model = model
        self.startedAtNanoseconds = startedAtNanoseconds
        self.status = status
        self.buckets = buckets
        self.usageState = usageState
        self.quality = quality
    }
}

/// A 128-bit event key, stored as two integers so the unique index stays compact.
public struct EventKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The first 64 bits.
    public var high: UInt64
    /// The last 64 bits.
    public var low: UInt64

    /// Creates a key from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Derives a key from the first 128 bits of `sha256(namespace + "\0" + bytes)`.
    ///
    /// The namespace keeps keys of different shapes apart even when their source ids collide.
    public init<Bytes: Sequence<UInt8>>(namespace: String, bytes: Bytes) {
        var hasher = SHA256()
        hasher.update(namespace.utf8)
        hasher.update(byte: 0)
        hasher.update(bytes)
        let (high, low) = hasher.finalizeFirst128Bits()
        self.init(high: high, low: low)
    }

    /// The key as 32 lowercase hex digits.
    public var description: String {
        hex(high) + hex(low)
    }

    private func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    public static func < (lhs: EventKey, rhs: EventKey) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}
