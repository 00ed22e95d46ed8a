/// The span of events that runtime metrics cover: every event, or the events that started within
/// a length of time before the newest attempt.
///
/// The window ends at the start of the newest stored attempt (gap markers excluded), not at the
/// clock, so the same store gives the same metrics and `export --check` stays deterministic. It is
/// half-open: an event counts when `end − length < start ≤ end`.
public enum RuntimeWindow: Sendable, Equatable, CustomStringConvertible {
    /// Every event.
    case all
    /// The events of the last `seconds` seconds.
    case last(seconds: Int64)

    /// The maximum window length in seconds: 100 years of 365 days.
    public static let maximumSeconds: Int64 = 100 * 365 * 86_400

    /// Parses `all`, or a whole number followed by `d` (days of 86400 s), `h` or `m` (minutes),
    /// such as `30d`, `24h` or `90m`. Returns `nil` when the text is invalid, zero or longer than
    /// ``maximumSeconds``.
    public init?(parsing text: String) {
        if text == "all" {
            self = .all
            return
        }
        let units: [(suffix: String, seconds: Int64)] = [("d", 86_400), ("h", 3_600), ("m", 60)]
        guard let unit = units.first(where: { text.hasSuffix($0.suffix) }) else { return nil }
        let digits = text.dropLast(unit.suffix.count)
        guard !digits.isEmpty, digits.utf8.count <= 12, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let count = Int64(digits), count > 0, count <= Self.maximumSeconds / unit.seconds
        else { return nil }
        self = .last(seconds: count * unit.seconds)
    }

    /// `all`, or the length in the largest unit of `d`, `h` and `m` that divides it.
    public var description: String {
        switch self {
        case .all:
            return "all"
        case .last(let seconds):
            if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
            if seconds % 3_600 == 0 { return "\(seconds / 3_600)h" }
            if seconds % 60 == 0 { return "\(seconds / 60)m" }
            return "\(seconds)s"
        }
    }

    /// Returns the latest start that is still outside the window ending at `end`, in nanoseconds
    /// since the epoch; `nil` when the window contains every event.
    public func exclusiveStart(end: Int64?) -> Int64? {
        guard case .last(let seconds) = self, let end else { return nil }
        return end.subtractingSaturated(seconds * 1_000_000_000)
    }
}

extension Int64 {
    /// `self − other`, clamped to the `Int64` range instead of overflowing.
    fileprivate func subtractingSaturated(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other > 0 ? .min : .max
    }
}
