/// One stored event reduced to the fields a fold reads.
///
/// A store reader fills it row by row without building a ``CanonicalEvent``. It gives equal
/// (provider, model) pairs the same `pairNumber`, so the fold can look up its accumulators by
/// number instead of hashing strings on every row. Session ids get no number: their count grows
/// with the store, and a table of them would make the fold's memory grow with it.
public struct FoldRow: Sendable {
    /// The input shape.
    public var shape: SourceShape
    /// A number the reader gives each distinct (provider, model) pair, counting from 0.
    public var pairNumber: Int
    /// The provider as stored, before ``ProviderMapping`` renames it.
    public var provider: String
    /// The model as stored.
    public var model: String
    /// The session id; `nil` when the event has none or an empty one.
    public var sessionID: String?
    /// The request id, in the form that counts distinct ids cheaply.
    public var requestKey: RequestKey
    /// The attempt's start as nanoseconds since the Unix epoch, UTC.
    public var startedAtNanoseconds: Int64
    /// Milliseconds from the attempt's start until the source recorded it.
    public var latencyMilliseconds: Int64?
    /// Milliseconds until the first response byte.
    public var timeToFirstTokenMilliseconds: Int64?
    /// The attempt's outcome.
    public var status: EventStatus
    /// The HTTP status code.
    public var statusCode: Int?
    /// The disjoint token buckets.
    public var buckets: TokenBuckets
    /// Whether the source reported usage.
    public var usageState: UsageState
    /// How far the buckets can be trusted.
    public var quality: UsageQuality
    /// Whether the event has a cost, and why not when it has none.
    public var pricing: PricingState
    /// The recorded cost in nano-dollars; `nil` unless `pricing` is ``PricingState/priced``.
    public var costNanos: Int64?
    /// Whether part of the recorded cost is an estimate.
    public var costIsEstimated: Bool
    /// The tool-call parts of `input_uncached` and `output`; 0 for shapes that have none.
    public var toolInputTokens: Int64 = 0
    public var toolOutputTokens: Int64 = 0

    /// Creates a row; `pairNumber` must follow the rule of the type.
    ///
    /// It is inlinable so that a store reader in another module builds the row in place. Called
    /// across the module boundary, it copied every row through the row's value witness.
    @inlinable
    public init(
        shape: SourceShape, pairNumber: Int, provider: String, model: String, sessionID: String?,
        requestKey: RequestKey, startedAtNanoseconds: Int64, latencyMilliseconds: Int64?,
        timeToFirstTokenMilliseconds: Int64?, status: EventStatus, statusCode: Int?, buckets: TokenBuckets,
        usageState: UsageState, quality: UsageQuality, pricing: PricingState, costNanos: Int64?,
        costIsEstimated: Bool, toolInputTokens: Int64 = 0, toolOutputTokens: Int64 = 0
    ) {
        self.shape = shape
        self.pairNumber = pairNumber
        self.provider = provider
        self.model = model
        self.sessionID = sessionID
        self.requestKey = requestKey
        self.startedAtNanoseconds = startedAtNanoseconds
        self.latencyMilliseconds = latencyMilliseconds
        self.timeToFirstTokenMilliseconds = timeToFirstTokenMilliseconds
        self.status = status
        self.statusCode = statusCode
        self.buckets = buckets
        self.usageState = usageState
        self.quality = quality
        self.pricing = pricing
        self.costNanos = costNanos
        self.costIsEstimated = costIsEstimated
        self.toolInputTokens = toolInputTokens
        self.toolOutputTokens = toolOutputTokens
    }

    /// Creates the row of `event`, numbered by `numbering`.
    public init(_ event: CanonicalEvent, cost: RecordedCost?, numbering: inout FoldRowNumbering) {
        let pricing = PricingState(cost)
        let session = event.sessionID?.isEmpty == false ? event.sessionID : nil
        self.init(
            shape: event.shape, pairNumber: numbering.pairNumber(provider: event.provider, model: event.model),
            provider: event.provider, model: event.model,
            sessionID: session,
            requestKey: RequestKey(event.requestID),
            startedAtNanoseconds: event.startedAtNanoseconds, latencyMilliseconds: event.latencyMilliseconds,
            timeToFirstTokenMilliseconds: event.timeToFirstTokenMilliseconds, status: event.status,
            statusCode: event.statusCode, buckets: event.buckets, usageState: event.usageState,
            quality: event.quality, pricing: pricing, costNanos: pricing == .priced ? cost?.nanos : nil,
            costIsEstimated: cost?.isEstimated ?? false)
        toolInputTokens = event.toolInputTokens
        toolOutputTokens = event.toolOutputTokens
    }

    /// The counts this row is billed for, with the tool parts moved out of their buckets.
    public var billableTokens: BillableTokens {
        BillableTokens(buckets: buckets, separatingToolInput: toolInputTokens, toolOutput: toolOutputTokens)
    }
}

/// A request id as a fold counts it: ids made of lowercase hex digits, with at most one `:`, are
/// packed into integers, so sequence numbers, hex ids and OTLP `trace:span` ids need no string.
///
/// Packing keeps distinct ids distinct: the length and the position of the colon are part of the
/// key, so `0a` and `a` differ. Whether an id is packed, and how, depends only on the id itself,
/// so two keys of different cases never stand for the same id.
public enum RequestKey: Sendable, Hashable {
    /// No request id, or an empty one.
    case none
    /// An id of 1 to 15 characters in `0-9a-f`: the length in the top four bits, the digits below.
    case packed(UInt64)
    /// An id of at most 64 characters in `0-9a-f` with at most one `:` that ``packed`` cannot hold.
    case wide(WideHexKey)
    /// Any other id.
    case text(String)

    /// Creates the key of `id`.
    public init(_ id: String?) {
        guard let id, !id.isEmpty else {
            self = .none
            return
        }
        var text = id
        if let key = text.withUTF8({ Self.pack($0) }) {
            self = key
        } else {
            self = .text(id)
        }
    }

    /// Creates the key of the UTF-8 bytes of an id; `nil` bytes mean no id.
    public init(bytes: UnsafeBufferPointer<UInt8>?) {
        guard let bytes, !bytes.isEmpty else {
            self = .none
            return
        }
        if let key = Self.packShort(bytes) {
            self = key
            return
        }
        self = Self.pack(bytes) ?? .text(String(decoding: bytes, as: UTF8.self))
    }

    /// Returns the ``packed`` key of 1 to 15 hex digits, as ``pack(_:)`` packs them, or `nil`
    /// for any other id, which ``pack(_:)`` then reads. Sequence numbers and other short hex ids
    /// take this loop, with no table and no colon or word bookkeeping.
    @inline(__always)
    private static func packShort(_ bytes: UnsafeBufferPointer<UInt8>) -> RequestKey? {
        guard bytes.count <= 15 else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            let digit: UInt8
            if byte &- 0x30 < 10 {
                digit = byte &- 0x30
            } else if byte &- 0x61 < 6 {
                digit = byte &- 0x61 &+ 10
            } else {
                return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return .packed(UInt64(bytes.count) << 60 | value)
    }

    /// The value of each byte as a lowercase hex digit: 0 to 15, 16 for `:`, 255 for any other byte.
    private static let digitValues: [UInt8] = (0...255).map { byte -> UInt8 in
        switch byte {
        case 0x30...0x39: UInt8(byte - 0x30)
        case 0x61...0x66: UInt8(byte - 0x61 + 10)
        case 0x3A: 16
        default: 255
        }
    }

    private static func pack(_ bytes: UnsafeBufferPointer<UInt8>) -> RequestKey? {
        guard bytes.count <= 64 else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var digits = 0
        var colon = 0
        let isPacked = digitValues.withUnsafeBufferPointer { values in
            for position in 0..<bytes.count {
                let digit = values[Int(bytes[position])]
                if digit < 16 {
                    switch digits >> 4 {
                    case 0: words.0 = words.0 << 4 | UInt64(digit)
                    case 1: words.1 = words.1 << 4 | UInt64(digit)
                    case 2: words.2 = words.2 << 4 | UInt64(digit)
                    default: words.3 = words.3 << 4 | UInt64(digit)
                    }
                    digits += 1
                } else if digit == 16, colon == 0 {
                    colon = position + 1
                } else {
                    return false
                }
            }
            return true
        }
        guard isPacked else { return nil }
        if colon == 0, bytes.count <= 15 {
            return .packed(UInt64(bytes.count) << 60 | words.0)
        }
        return .wide(
            WideHexKey(
                first: words.0, second: words.1, third: words.2, fourth: words.3,
                shape: UInt16(bytes.count) << 8 | UInt16(colon)))
    }
}

/// Up to 64 hex digits, 16 per word in order, with the id's length and colon position.
public struct WideHexKey: Sendable, Hashable {
    var first: UInt64
    var second: UInt64
    var third: UInt64
    var fourth: UInt64
    /// The length in bytes shifted left by 8, or the colon's 1-based position (0 without one).
    var shape: UInt16
}

/// Numbers (provider, model) pairs in first-seen order, for rows built from events rather than
/// read from a store.
public struct FoldRowNumbering: Sendable {
    private var pairs: [[String]: Int] = [:]

    /// Creates an empty numbering.
    public init() {}

    /// Returns the number of the pair, giving it the next one when it is new.
    public mutating func pairNumber(provider: String, model: String) -> Int {
        let key = [provider, model]
        if let number = pairs[key] { return number }
        let number = pairs.count
        pairs[key] = number
        return number
    }
}
