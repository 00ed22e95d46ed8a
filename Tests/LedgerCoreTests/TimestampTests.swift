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

    @Test("parser matches the reference parser")
    func matchesReference() {
        var generator = SystemRandomNumberGenerator()
        let seeds = [
            "2026-11-30T17:01:06.498873-05:00", "2024-02-29t12:00:00.123456789z", "2026-03-29 01:30:00+01:00",
            "1970-01-01T00:00:00Z", "2999-12-31T23:59:60.5+23:59", "0000-01-01T00:00:00-00:00",
        ]
        // Bytes that the grammar gives a meaning to, so that most changes still parse or fail late.
        let alphabet = Array("0123456789-:.+TtZz 9".utf8) + [0x00, 0x2F, 0x3A, 0xC3]
        var parsed = 0
        for _ in 0..<20_000 {
            var bytes = Array(seeds.randomElement(using: &generator)!.utf8)
            for _ in 0..<Int.random(in: 0...3, using: &generator) {
                let position = Int.random(in: 0...bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0 where position < bytes.count:
                    bytes[position] = alphabet.randomElement(using: &generator)!
                case 1:
                    bytes.insert(alphabet.randomElement(using: &generator)!, at: position)
                default:
                    if position < bytes.count {
                        bytes.remove(at: position)
                    }
                }
            }
            let expected = ReferenceRFC3339.parse(bytes)
            let found = bytes.withUnsafeBufferPointer { Timestamp.parseRFC3339(utf8: $0) }
            #expect(found == expected, "\(String(decoding: bytes, as: UTF8.self))")
            if expected != nil {
                parsed += 1
            }
        }
        #expect(parsed > 1000)
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
