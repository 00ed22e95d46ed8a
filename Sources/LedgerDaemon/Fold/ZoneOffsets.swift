import Foundation

/// The UTC offsets of an IANA time zone, read from the system's tz database through Foundation.
///
/// On Linux, Foundation reads `/usr/share/zoneinfo` (Debian's `tzdata` package), so offsets follow
/// each zone's daylight-saving rules.
struct ZoneOffsets: Sendable {
    /// The zone as configured, such as `America/New_York`.
    let identifier: String
    /// The Foundation zone.
    let timeZone: TimeZone

    /// Looks up a zone; `nil` when the tz database does not know `identifier`.
    init?(identifier: String) {
        guard !identifier.isEmpty, !identifier.contains(".."),
            !identifier.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }),
            let zone = TimeZone(identifier: identifier)
        else { return nil }
        self.identifier = identifier
        self.timeZone = zone
    }

    /// Returns the zone's offset from UTC, in seconds east, at an instant in seconds since the epoch.
    func offset(atEpochSeconds seconds: Int64) -> Int {
        timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds)))
    }
}

/// Remembers the offset of ``ZoneOffsets`` over the span up to the zone's next transition, so a
/// fold calls Foundation once per transition instead of once per event.
///
/// Foundation's `nextDaylightSavingTimeTransition(after:)` returns the next change of the zone's
/// offset, standard-time changes included (tested with Europe/Moscow's 2011 and 2014 changes);
/// until that instant the offset stays what it was at the start of the span.
final class ZoneOffsetCache {
    private let zone: TimeZone
    /// The cached span, `[start, end)` in seconds since the epoch; empty before the first call.
    private var start: Int64 = 1
    private var end: Int64 = 0
    private var offset = 0

    /// Creates a cache over the zone of `offsets`.
    init(_ offsets: ZoneOffsets) {
        zone = offsets.timeZone
    }

    /// Returns the zone's offset from UTC, in seconds east, at an instant in seconds since the epoch.
    func offset(atEpochSeconds seconds: Int64) -> Int {
        if seconds >= start, seconds < end { return offset }
        let date = Date(timeIntervalSince1970: Double(seconds))
        offset = zone.secondsFromGMT(for: date)
        start = seconds
        if let next = zone.nextDaylightSavingTimeTransition(after: date) {
            // A transition at a fractional second takes effect within that second, so the span
            // ends at the whole second before it and every cached offset stays exact.
            end = Int64(next.timeIntervalSince1970.rounded(.down))
        } else {
            end = Int64.max
        }
        return offset
    }
}
