import Testing

@testable import LedgerDaemon

@Suite("Zone offset cache")
struct ZoneOffsetCacheTests {
    /// Europe/Moscow moved its standard time to +4 in 2011 and back to +3 in 2014 without
    /// daylight saving; America/New_York and Australia/Lord_Howe (a 30-minute shift) have DST.
    @Test("cached offsets equal Foundation's", arguments: ["Europe/Moscow", "America/New_York", "Australia/Lord_Howe"])
    func cachedOffsetsMatch(zone: String) throws {
        let offsets = try #require(ZoneOffsets(identifier: zone))
        let cache = ZoneOffsetCache(offsets)
        // 2010-01-01 to 2016-01-01 in steps of 15 minutes, forward, then a backward jump.
        var mismatches = 0
        var seconds: Int64 = 1_262_304_000
        while seconds < 1_451_606_400 {
            if cache.offset(atEpochSeconds: seconds) != offsets.offset(atEpochSeconds: seconds) { mismatches += 1 }
            seconds += 900
        }
        #expect(mismatches == 0)
        // 2014-10-26T01:59:59+04:00 and 02:00:00 (the change to +03), reached from later instants.
        #expect(cache.offset(atEpochSeconds: 1_414_274_399) == offsets.offset(atEpochSeconds: 1_414_274_399))
        #expect(cache.offset(atEpochSeconds: 1_414_274_400) == offsets.offset(atEpochSeconds: 1_414_274_400))
    }

    @Test("Moscow's 2014 change is seen")
    func moscowChange() throws {
        let cache = ZoneOffsetCache(try #require(ZoneOffsets(identifier: "Europe/Moscow")))
        #expect(cache.offset(atEpochSeconds: 1_414_274_399) == 4 * 3600)
        #expect(cache.offset(atEpochSeconds: 1_414_274_400) == 3 * 3600)
    }
}
