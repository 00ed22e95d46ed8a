import LedgerCore
import Testing

@Suite("Timestamps")
struct TimestampTests {
    @Test(
        "RFC 3339 parses to UTC nanoseconds",
        arguments: [
            ("2026-11-30T17:01:06.498873-05:00", Int64(1_796_076_066_498_873_000)),
            ("2026-11-30T22:01:06.498873Z", 1_796_076_066_498_873_000),
            ("2026-12-01T06:02:25.501831+08:00", 1_796_076_145_501_831_000),
            ("1970-01-01T00:00:00Z", 0),
            ("2015-01-01T00:00:00Z", 1_420_070_400_000_000_000),
            ("2999-01-01T00:00:00Z", Int64.max),
            ("2024-02-29t12:00:00.123456789z", 1_709_208_000_123_456_789),
            ("2026-03-29 01:30:00+01:00", 1_774_744_200_000_000_000),
        ])
    func parses(text: String, expected: Int64) {
        #expect(Timestamp.parseRFC3339(text) == expected)
    }

    @Test(
        "invalid RFC 3339 is rejected",
        arguments: [
            "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:00",
            "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.1234567890Z", "2026-01-01T00:00:00+0100", "",
            "2026-01-01T00:00:00Z ",
        ])
    func rejects(text: String) {
        #expect(Timestamp.parseRFC3339(text) == nil)
    }

    @Test("formatting trims fraction zeros")
    func formats() {
        #expect(Timestamp.formatRFC3339(1_796_076_066_498_873_000) == "2026-11-30T22:01:06.498873Z")
        #expect(Timestamp.formatRFC3339(1_796_076_066_000_000_000) == "2026-11-30T22:01:06Z")
        #expect(Timestamp.formatRFC3339(1_764_806_400_207_388_624) == "2025-12-04T00:00:00.207388624Z")
        #expect(Timestamp.formatRFC3339(-1) == "1969-12-31T23:59:59.999999999Z")
    }

    @Test("epoch numbers by magnitude")
    func epochNumbers() {
        #expect(Timestamp.fromEpochNumber(1_764_540_066) == 1_764_540_066_000_000_000)
        #expect(Timestamp.fromEpochNumber(1_764_540_066_498) == 1_764_540_066_498_000_000)
        #expect(Timestamp.fromEpochNumber(1_764_540_066_498_873) == 1_764_540_066_498_873_000)
        #expect(Timestamp.fromEpochNumber(1_764_540_066_498_873_123) == 1_764_540_066_498_873_123)
    }
}
