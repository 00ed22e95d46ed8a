import Testing

@testable import LedgerCore

/// ``FixedWidthRates`` against the ``Money`` path it shortcuts: every cost it computes must equal
/// `TokenledgerPricer.cost(tokens:price:provider:model:)?.total.roundedToNanos()`.
@Suite("Fixed-width rates")
struct FixedWidthRatesTests {
    let pricer: TokenledgerPricer

    init() throws {
        pricer = TokenledgerPricer(pricing: try PricingFile(providerAliases: [], providers: []), pricingHash: "0")
    }

    static func price(_ rates: [String]) throws -> TokenledgerPricer.Price {
        let money = try rates.map { try #require(Money(parsing: $0)) }
        return TokenledgerPricer.Price(
            entry: PriceEntry(requestedProvider: "p", requestedModel: "m", provider: "p", model: "m"),
            reference: "tokenledger:p/m@sha256:0", input: money[0], output: money[1], cacheWrite: money[2],
            cacheRead: money[3], toolInput: money[4], toolOutput: money[5])
    }

    static func tokens(_ counts: [Int64]) -> BillableTokens {
        BillableTokens(
            buckets: TokenBuckets(
                inputUncached: counts[0], cacheRead: counts[1], cacheWrite: counts[2], output: counts[3],
                unclassified: counts[6]),
            toolInput: counts[4], toolOutput: counts[5])
    }

    /// Returns the nano-dollars of the ``Money`` path, `nil` when it rejects the counts.
    func moneyNanos(_ tokens: BillableTokens, _ price: TokenledgerPricer.Price) -> Int64? {
        let cost = try? pricer.cost(tokens: tokens, price: price, provider: "p", model: "m")
        return cost?.total.roundedToNanos()
    }

    @Test(
        "hand-computed costs, ties to even",
        arguments: [
            // 1 token at 0.0005 USD per million is half a nano-dollar, which rounds to 0 (even).
            ([1, 0, 0, 0, 0, 0, 0], "0.0005", Int64(0)),
            ([3, 0, 0, 0, 0, 0, 0], "0.0005", Int64(2)),
            ([5, 0, 0, 0, 0, 0, 0], "0.0005", Int64(2)),
            ([7, 0, 0, 0, 0, 0, 0], "0.0005", Int64(4)),
            ([1, 0, 0, 0, 0, 0, 0], "0.0005000000000001", Int64(1)),
            ([1, 0, 0, 0, 0, 0, 0], "0.0004999999999999", Int64(0)),
            ([1_000_000, 0, 0, 0, 0, 0, 0], "3", Int64(3_000_000_000)),
            ([0, 0, 0, 0, 0, 0, 0], "3", Int64(0)),
            ([1_000_000, 1, 1, 1, 1, 1, 1_000_000], "1.25", Int64(2_500_006_250)),
        ] as [([Int64], String, Int64)])
    func handComputed(counts: [Int64], rate: String, nanos: Int64) throws {
        let price = try Self.price(Array(repeating: rate, count: 6))
        let rates = try #require(FixedWidthRates(price))
        #expect(rates.totalNanos(of: Self.tokens(counts)) == nanos)
        #expect(moneyNanos(Self.tokens(counts), price) == nanos)
    }

    @Test("out-of-range rates left to Money", arguments: ["-1", "0.0000000000000000001", "1e18"])
    func outOfRangeRates(rate: String) throws {
        #expect(FixedWidthRates(try Self.price(["1", "1", "1", "1", "1", rate])) == nil)
    }

    @Test("overflowing costs left to Money")
    func overflow() throws {
        let rates = try #require(FixedWidthRates(try Self.price(Array(repeating: "999999999999.999999", count: 6))))
        let huge = Self.tokens(Array(repeating: Int64.max, count: 7))
        #expect(rates.totalNanos(of: huge) == nil)
        #expect(rates.totalNanos(of: Self.tokens([Int64.max, 0, 0, 0, 0, 0, 0])) == nil)
        #expect(rates.totalNanos(of: Self.tokens([-1, 0, 0, 0, 0, 0, 0])) == nil)
    }

    @Test("random costs equal Money path")
    func randomCosts() throws {
        var random = SplitMixGenerator(seed: 0x5EED_1234)
        let edgeCounts: [Int64] = [
            0, 1, 2, 3, 5, 999_999, 1_000_000, 1_000_001, 4_294_967_296, 999_999_999_999, Int64.max / 1_000_000,
            Int64.max / 1000, Int64.max,
        ]
        let edgeRates = ["0", "1", "0.0005", "0.125", "0.3", "3.75", "15", "1e-18", "999999999999999999", "0.000001"]
        var fastCount = 0
        var pricedCount = 0
        let caseCount = 4000
        for _ in 0..<caseCount {
            let maximumFraction = Int(random.next() % 19)
            let rates = (0..<6).map { _ in
                random.next() % 4 == 0
                    ? edgeRates[Int(random.next() % UInt64(edgeRates.count))]
                    : random.rate(maximumFraction: maximumFraction)
            }
            let counts = (0..<7).map { _ in
                random.next() % 5 == 0 ? edgeCounts[Int(random.next() % UInt64(edgeCounts.count))] : random.count()
            }
            let price = try Self.price(rates)
            let tokens = Self.tokens(counts)
            let expected = moneyNanos(tokens, price)
            if expected != nil {
                pricedCount += 1
            }
            guard let fast = FixedWidthRates(price)?.totalNanos(of: tokens) else { continue }
            fastCount += 1
            #expect(fast == expected, "rates \(rates), counts \(counts)")
        }
        // Three in four costs that fit in Int64 must take the fixed-width path, or the comparison shows little.
        #expect(pricedCount > caseCount / 4)
        #expect(fastCount * 4 > pricedCount * 3)
    }
}

extension SplitMixGenerator {
    /// Returns a token count of 0 to 12 digits, or of up to 18 digits for one in eight.
    mutating func count() -> Int64 {
        Int64(next() % Self.power(next() % 8 == 0 ? 18 : 12) / Self.power(Int(next() % 13)))
    }

    /// Returns a rate of up to 9 significant digits, or of up to 18 for one in eight, with up to
    /// `maximumFraction` fraction digits, in plain notation.
    mutating func rate(maximumFraction: Int) -> String {
        let digits = String(next() % Self.power(Int(1 + next() % (next() % 8 == 0 ? 18 : 9))))
        let fraction = Int(next() % UInt64(maximumFraction + 1))
        guard fraction > 0 else { return digits }
        let padded = String(repeating: "0", count: max(0, fraction + 1 - digits.count)) + digits
        return "\(padded.dropLast(fraction)).\(padded.suffix(fraction))"
    }

    static func power(_ exponent: Int) -> UInt64 {
        (0..<exponent).reduce(1) { value, _ in value * 10 }
    }
}
