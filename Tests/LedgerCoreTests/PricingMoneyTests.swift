import LedgerCore
import Testing

@Suite("Pricing money")
struct PricingMoneyTests {
    static func money(_ text: String) throws -> Money {
        try #require(Money(parsing: text))
    }

    @Test(
        "canonical text has no trailing zeros",
        arguments: [
            ("27.471250", "27.47125"), ("0", "0"), ("0.000", "0"), ("-0.50", "-0.5"), ("50.0", "50"),
            ("1e-7", "0.0000001"), ("2.5E3", "2500"), ("123456789012345678901234.5", "123456789012345678901234.5"),
        ])
    func canonicalText(input: String, expected: String) throws {
        #expect(try Self.money(input).description == expected)
    }

    @Test("invalid text is rejected", arguments: ["", "abc", "1.2.3", " 1", "NaN", "--1"])
    func invalidText(input: String) {
        #expect(Money(parsing: input) == nil)
    }

    @Test("sum, difference and product are exact")
    func arithmetic() throws {
        let a = try Self.money("0.1")
        let b = try Self.money("0.2")
        #expect((a + b).description == "0.3")
        #expect((a - b).description == "-0.1")
        #expect((b - b).isZero)
        #expect((a * b).description == "0.02")
        let almostBillion = try Self.money("999999999.999999999")
        let nano = try Self.money("0.000000001")
        #expect((almostBillion + nano).description == "1000000000")
        let left = try Self.money("123456789.123456789")
        let right = try Self.money("987654321.987654321")
        #expect((left * right).description == "121932631356500531.347203169112635269")
        #expect((Money(1_500_000) * Money(3)).dividedByPowerOfTen(6).description == "4.5")
    }

    @Test("equal values compare equal regardless of scale")
    func comparison() throws {
        #expect(try Self.money("0.50") == Self.money("0.5"))
        #expect(try Self.money("-1") < Self.money("0.001"))
        #expect(try Self.money("0.0001") < Self.money("0.001"))
        #expect(try Self.money("-0.001") < Self.money("-0.0001"))
        #expect(try !(Self.money("2") < Self.money("2")))
    }

    @Test("division truncates and reports the remainder")
    func truncatingDivision() throws {
        let (quotient, remainder) = Money(30).truncatingDivision(by: 7, fractionDigits: 9)
        #expect(quotient.description == "4.285714285")
        #expect(remainder == 5)
        let exact = Money(30).truncatingDivision(by: 8, fractionDigits: 2)
        #expect(exact.quotient.description == "3.75")
        #expect(exact.remainder == 0)
    }

    @Test("allocation sums to the amount")
    func allocation() throws {
        let shares = MonthlyCostReport.allocate(Money(10), weights: [1, 1, 1])
        #expect(shares.map(\.description) == ["3.333333334", "3.333333333", "3.333333333"])
        #expect(Money.sum(shares) == Money(10))
        let uneven = MonthlyCostReport.allocate(try Self.money("20"), weights: [1_000_003, 7, 0, 999_990])
        #expect(Money.sum(uneven) == Money(20))
        #expect(uneven[2].isZero)
        let unweighted = MonthlyCostReport.allocate(Money(5), weights: [0, 0])
        #expect(unweighted.allSatisfy { $0.isZero })
        let fine = MonthlyCostReport.allocate(try Self.money("0.00000000001"), weights: [1, 2])
        #expect(Money.sum(fine).description == "0.00000000001")
    }
}
