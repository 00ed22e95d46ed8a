/// A window in which usage records may be missing from the spool, as `tokenledgerd pull` marks it.
///
/// The shipper writes one line `{"tokenledgerd_gap":{"at":…,"reason":…,"since":…}}` after a
/// reconnect, a restart or any error that may have cost records. Records the proxy produced
/// between `since` and `at` may be missing; records outside the window are not affected by it.
/// A marker says that a loss was possible, not that one happened.
public struct GapMarker: Sendable, Equatable {
    /// Why records may be missing. Readers accept other reasons too, so that a newer shipper's
    /// reasons are kept instead of rejected.
    public enum Reason: String, Sendable, CaseIterable {
        /// The connection to the proxy failed or closed, and the proxy kept running.
        case disconnect
        /// The proxy refused connections for a while, so it probably restarted and lost its
        /// in-memory queue.
        case proxyRestart = "proxy_restart"
        /// More time than the proxy's queue retention passed without a successful pull, so
        /// queued records may have expired.
        case retentionRisk = "retention_risk"
        /// The shipper itself stopped or crashed; records it had received but not yet written
        /// may be lost.
        case shipperRestart = "shipper_restart"
    }

    /// The JSON member that identifies a gap marker line.
    public static let memberName = "tokenledgerd_gap"

    /// The reason, as written: one of ``Reason``'s raw values or a newer shipper's reason.
    public var reason: String
    /// The start of the window, in nanoseconds since the Unix epoch: the last instant the
    /// shipper knows it had written everything it received.
    public var sinceNanoseconds: Int64
    /// The end of the window, in nanoseconds since the Unix epoch: when the shipper had contact
    /// with the proxy again.
    public var atNanoseconds: Int64

    /// Creates a marker.
    public init(reason: String, sinceNanoseconds: Int64, atNanoseconds: Int64) {
        self.reason = reason
        self.sinceNanoseconds = sinceNanoseconds
        self.atNanoseconds = atNanoseconds
    }

    /// Creates a marker with one of the shipper's own reasons.
    public init(reason: Reason, sinceNanoseconds: Int64, atNanoseconds: Int64) {
        self.init(reason: reason.rawValue, sinceNanoseconds: sinceNanoseconds, atNanoseconds: atNanoseconds)
    }

    /// The window's length in milliseconds; 0 when `since` is not before `at`.
    public var windowMilliseconds: Int64 {
        max(0, (atNanoseconds &- sinceNanoseconds) / 1_000_000)
    }

    /// The spool line, without its newline. Timestamps are RFC 3339 UTC with nanoseconds, so two
    /// markers written at different instants never share bytes or an event key.
    public var line: String {
        "{\"\(Self.memberName)\":{\"at\":\"\(Timestamp.formatRFC3339(atNanoseconds))\",\"reason\":\"\(reason)\","
            + "\"since\":\"\(Timestamp.formatRFC3339(sinceNanoseconds))\"}}"
    }
}

/// Decodes the gap marker lines that `tokenledgerd pull` writes into the spool.
public enum GapMarkerDecoder {
    /// The event key namespace of gap markers.
    public static let namespace = "tokenledgerd.gap"

    /// The longest reason accepted, in bytes.
    static let maximumReasonLength = 64

    /// A decoded marker and its idempotency key.
    public struct Decoded: Sendable, Equatable {
        /// The marker.
        public var marker: GapMarker
        /// A hash of the line's bytes: the same line read twice yields the same key.
        public var key: EventKey
    }

    /// Whether `object` is a gap marker: it has a `tokenledgerd_gap` member. No other accepted
    /// shape has a member of that name.
    public static func matches(_ object: JSONObject) -> Bool {
        object[GapMarker.memberName] != nil
    }

    /// Decodes one marker.
    /// - Parameters:
    ///   - rawLine: the line's bytes without its newline, hashed into the key.
    ///   - now: the current instant in nanoseconds, for the timestamp range check.
    /// - Throws: ``DecodeError`` when the member is not an object, when `at`, `since` or
    ///   `reason` is missing or malformed, when a timestamp is out of range, or when `since` is
    ///   after `at`.
    public static func decode(
        _ object: JSONObject, rawLine: some Collection<UInt8>, now: Int64
    ) throws(DecodeError) -> Decoded {
        guard let body = object[GapMarker.memberName]?.objectValue else {
            throw DecodeError(.invalidField, "\(GapMarker.memberName) is not an object")
        }
        let fields = FieldReader(body, path: GapMarker.memberName + ".")
        let at = try TimestampField.read(body["at"], name: "\(GapMarker.memberName).at", now: now)
        let since = try TimestampField.read(body["since"], name: "\(GapMarker.memberName).since", now: now)
        guard since <= at else {
            throw DecodeError(.invalidField, "\(GapMarker.memberName).since is after \(GapMarker.memberName).at")
        }
        guard let reason = try fields.string("reason") else {
            throw DecodeError(.missingField, "\(GapMarker.memberName).reason is missing")
        }
        let isWellFormed =
            !reason.isEmpty && reason.utf8.count <= maximumReasonLength
            && reason.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
        guard isWellFormed else {
            throw DecodeError(
                .invalidField,
                "\(GapMarker.memberName).reason is not 1 to \(maximumReasonLength) lowercase letters, digits or '_'")
        }
        return Decoded(
            marker: GapMarker(reason: reason, sinceNanoseconds: since, atNanoseconds: at),
            key: EventKey(namespace: namespace, bytes: rawLine))
    }
}
