import Foundation
import LedgerCore
import Testing

@Suite("Cost rollups by day and month")
struct CostRollupTests {
    static func newYork() throws -> (Int64) -> Int {
        let zone = try #require(TimeZone(identifier: "America/New_York"))
        return { zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double($0))) }
    }

    static func instant(_ text: String) throws -> Int64 {
        try #require(Timestamp.parseRFC3339(text))
    }

    static func add(_ builder: inout CostRollupBuilder, at text: String, cost: Money? = Money(1)) throws {
        builder.add(
            provider: "claude", model: "claude-sonnet-4-5", instant: try instant(text),
            tokens: BillableTokens(buckets: TokenBuckets(inputUncached: 10)), cost: cost,
            state: cost == nil ? .unpriced : .priced)
    }

    @Test("interleaved pairs and days sum per day")
    func interleavedPairsAndDays() {
        var builder = CostRollupBuilder(utcOffset: { _ in 0 })
        var expected: [String: (attempts: Int, tokens: Int64, costNanos: Int64)] = [:]
        var state: UInt64 = 0x0D_A7E5
        for _ in 0..<5_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let pair = builder.pairNumber(provider: "p\(state >> 61)", model: "m\((state >> 58) & 1)")
            // Days mostly repeat a pair's previous day, sometimes go back and sometimes jump ahead.
            let day = Int64((state >> 40) % 4) + Int64((state >> 20) % 3 == 0 ? (state >> 30) % 40 : 0)
            let tokens = Int64((state >> 10) % 1_000)
            builder.add(
                pair: pair, day: day, tokens: BillableTokens(buckets: TokenBuckets(inputUncached: tokens)),
                costNanos: 7, state: .priced)
            let key = "p\(state >> 61)|m\((state >> 58) & 1)|\(CostRollupBuilder.dayText(day))"
            let sums = expected[key] ?? (0, 0, 0)
            expected[key] = (sums.attempts + 1, sums.tokens + tokens, sums.costNanos + 7)
        }
        let rows = builder.dailyRows()
        #expect(rows.count == expected.count)
        for row in rows {
            let sums = expected["\(row.provider)|\(row.model)|\(row.period)"]
            #expect(row.attempts == sums?.attempts)
            #expect(row.buckets.inputUncached == sums?.tokens)
            #expect(row.variableCost == Money(parsing: "\(sums?.costNanos ?? -1)e-9"))
        }
    }

    @Test("golden figures of tokenledger's example events")
    func goldenFigures() throws {
        let pricer = try PricingTokenledgerTests.pricer()
        var builder = CostRollupBuilder { _ in 0 }
        let events = try FixturePaths.lines("tokenledger/events.jsonl").map { try JSONParser.parse($0) }
        for (event, parsed) in zip(events, try PricingTokenledgerTests.events()) {
            let cost = try pricer.cost(provider: parsed.provider, model: parsed.model, tokens: parsed.tokens)
            let timestamp = try #require(event["timestamp"]?.stringValue)
            builder.add(
                provider: parsed.provider, model: parsed.model, instant: try Self.instant(timestamp),
                tokens: parsed.tokens, cost: cost?.total, state: cost == nil ? .unpriced : .priced)
        }
        let monthly = builder.monthlyRows { pricer.subscriptionUSDPerMonth(provider: $0) }
        #expect(monthly.map(\.period) == ["2026-02", "2026-02", "2026-02", "2026-02"])
        #expect(Money.sum(monthly.map(\.variableCost)).description == "27.47125")
        #expect(Money.sum(monthly.compactMap(\.subscriptionShare)).description == "50")
        #expect(Money.sum(monthly.map(\.totalCost)).description == "77.47125")
        #expect(monthly.reduce(0) { $0 + $1.totalTokens } == 10_450_000)
        let byProvider = Dictionary(uniqueKeysWithValues: monthly.map { ($0.provider, $0) })
        #expect(byProvider["claude"]?.variableCost.description == "14.775")
        #expect(byProvider["claude"]?.subscriptionShare?.description == "30")
        #expect(byProvider["codex"]?.variableCost.description == "6.1625")
        #expect(byProvider["cursor"]?.variableCost.description == "3.53125")
        #expect(byProvider["cursor"]?.subscriptionShare?.description == "20")
        #expect(byProvider["droid"]?.variableCost.description == "3.0025")

        let daily = builder.dailyRows()
        #expect(daily.map(\.period) == ["2026-02-18", "2026-02-18", "2026-02-19", "2026-02-20"])
        #expect(daily.allSatisfy { $0.subscriptionShare == nil })
        let csv = RollupWriter.csv(monthly, isMonthly: true)
        #expect(
            csv.contains(
                "claude,claude-sonnet-4-5,2026-02,1,1500000,4000000,300000,500000,0,0,50000,20000,6370000,6370000,1,0,0,0,"
                    + "14.775,30,44.775\r\n"))
    }

    @Test("days follow New York's DST changes")
    func daylightSavingDays() throws {
        var builder = CostRollupBuilder(utcOffset: try Self.newYork())
        // 2026-03-08 lasts 23 hours: 05:00Z to 04:00Z the next day.
        // 2026-11-01 lasts 25 hours: 04:00Z to 05:00Z the next day.
        let expectations = [
            ("2026-03-08T04:59:59Z", "2026-03-07"), ("2026-03-08T05:00:00Z", "2026-03-08"),
            ("2026-03-09T03:59:59Z", "2026-03-08"), ("2026-03-09T04:00:00Z", "2026-03-09"),
            ("2026-11-01T03:59:59Z", "2026-10-31"), ("2026-11-01T04:00:00Z", "2026-11-01"),
            ("2026-11-02T04:30:00Z", "2026-11-01"), ("2026-11-02T05:00:00Z", "2026-11-02"),
        ]
        for (text, day) in expectations {
            #expect(builder.localDay(try Self.instant(text)) == day, "\(text)")
            try Self.add(&builder, at: text)
        }
        let daily = builder.dailyRows()
        #expect(
            daily.map(\.period) == ["2026-03-07", "2026-03-08", "2026-03-09", "2026-10-31", "2026-11-01", "2026-11-02"])
        #expect(daily.map(\.attempts) == [1, 2, 1, 1, 2, 1])
        let monthly = builder.monthlyRows { _ in nil }
        #expect(monthly.map(\.period) == ["2026-03", "2026-10", "2026-11"])
        #expect(monthly.map(\.attempts) == [4, 1, 3])
    }

    @Test("subscription spreads over the month's priced tokens per model")
    func subscriptionPerModel() throws {
        var builder = CostRollupBuilder { _ in 0 }
        let day = try Self.instant("2026-04-10T12:00:00Z")
        builder.add(
            provider: "claude", model: "a", instant: day, tokens: BillableTokens(buckets: TokenBuckets(output: 100)),
            cost: Money(1), state: .priced)
        builder.add(
            provider: "claude", model: "b", instant: day + 86_400_000_000_000,
            tokens: BillableTokens(buckets: TokenBuckets(output: 200)), cost: Money(2), state: .priced)
        builder.add(
            provider: "claude", model: "c", instant: day, tokens: BillableTokens(buckets: TokenBuckets(output: 700)),
            cost: nil, state: .unpriced)
        let monthly = builder.monthlyRows { $0 == "claude" ? Money(30) : nil }
        #expect(monthly.map(\.model) == ["a", "b", "c"])
        #expect(monthly.map { $0.subscriptionShare?.description } == ["10", "20", "0"])
        #expect(monthly[2].unpricedTokens == 700)
        #expect(monthly[2].unpricedAttempts == 1)
        let csv = RollupWriter.csv(monthly, isMonthly: true)
        #expect(csv.contains("claude,c,2026-04,1,0,0,0,700,0,0,0,0,700,0,0,1,700,0,,0,0\r\n"))
        let daily = RollupWriter.csv(builder.dailyRows(), isMonthly: false)
        #expect(daily.hasPrefix("provider,model,period,attempts,"))
        #expect(daily.contains("claude,b,2026-04-11,1,0,0,0,200,0,0,0,0,200,200,1,0,0,0,2\r\n"))
    }

    @Test("nano-dollar rounding is half to even")
    func nanoRounding() throws {
        let cases: [(String, Int64)] = [
            ("27.47125", 27_471_250_000), ("0.0000000005", 0), ("0.0000000015", 2), ("0.00000000151", 2),
            ("-0.0000000025", -2), ("0.000000075", 75), ("0", 0),
        ]
        for (text, nanos) in cases {
            #expect(try #require(Money(parsing: text)).roundedToNanos() == nanos, "\(text)")
        }
        #expect(try #require(Money(parsing: "10000000000")).roundedToNanos() == nil)
        // The edges of the whole-nano path: Int64.max nanos, one more, a coefficient of 18 digits
        // (two limbs) and of 19 (three), and values that need rounding.
        let edges: [(String, Int64?)] = [
            ("9223372036.854775807", Int64.max), ("-9223372036.854775807", -Int64.max),
            ("9223372036.854775808", nil), ("999999999.999999999", 999_999_999_999_999_999),
            ("1000000000.000000001", 1_000_000_000_000_000_001), ("0.000000001", 1), ("-4.155", -4_155_000_000),
            ("123456789", 123_456_789_000_000_000), ("1.0000000005", 1_000_000_000), ("1.0000000015", 1_000_000_002),
        ]
        for (text, nanos) in edges {
            #expect(try #require(Money(parsing: text)).roundedToNanos() == nanos, "\(text)")
        }
        // n × 10^-k for k ≤ 9 is n × 10^(9 - k) nanos exactly.
        var state: UInt64 = 7
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let coefficient = Int64(state >> 14) % 1_000_000_000_000_000 - 500_000_000_000_000
            let digits = Int(state % 10)
            let scaled = Money(coefficient).dividedByPowerOfTen(digits)
            let factor = (0..<(9 - digits)).reduce(Int64(1)) { value, _ in value * 10 }
            let (expected, overflow) = coefficient.multipliedReportingOverflow(by: factor)
            #expect(scaled.roundedToNanos() == (overflow ? nil : expected), "\(coefficient) × 10^-\(digits)")
        }
        #expect(Money(nanos: 27_471_250_000).description == "27.47125")
        #expect(try #require(Money(parsing: "77.47125")).rounded(fractionDigits: 2).description == "77.47")
        #expect(try #require(Money(parsing: "0.125")).rounded(fractionDigits: 2).description == "0.12")
        #expect(try #require(Money(parsing: "0.135")).rounded(fractionDigits: 2).description == "0.14")
        #expect(try #require(Money(parsing: "2.5")).rounded(fractionDigits: 0).description == "2")
        #expect(try #require(Money(parsing: "-1.006")).rounded(fractionDigits: 2).description == "-1.01")
    }
}
