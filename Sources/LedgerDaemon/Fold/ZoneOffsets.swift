import Foundation

/// The UTC offsets of an IANA time zone, read from the system's tz database through Foundation.
///
/// On Linux, Foundation reads `/usr/share/zoneinfo` (Debian's `tzdata` package), so offsets follow
/// each zone's daylight-saving rules.
struct ZoneOffsets: Sendable {
    /// The zone as configured, such as `America/New_York`.
    let identifier: String
    private let zone: TimeZone

    /// Looks up a zone; `nil` when the tz database does not know `identifier`.
    init?(identifier: String) {
        guard !identifier.isEmpty, !identifier.contains(".."),
            !identifier.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }),
            let zone = TimeZone(identifier: identifier)
        else { return nil }
        self.identifier = identifier
        self.zone = zone
    }

    /// Returns the zone's offset from UTC, in seconds east, at an instant in seconds since the epoch.
    func offset(atEpochSeconds seconds: Int64) -> Int {
        zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds)))
    }
}
