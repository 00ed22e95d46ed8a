/// The rates of a ``TokenledgerPricer/Price`` as integer coefficients, which price token counts in
/// 128-bit integer arithmetic instead of ``Money``'s arbitrary-precision arithmetic.
///
/// Each rate is `coefficient × 10^-scale` USD per million tokens. The total of an event is
/// `Σ tokens × coefficient × 10^(commonScale - scale)` at `commonScale + 6` fraction digits, and
/// ``totalNanos(of:)`` rounds it half to even to nano-dollars, as ``Money/roundedToNanos()`` rounds
/// the exact ``Money`` total. Every product, shift and sum is checked for overflow, and a result
/// that might not be exact is `nil`, so that the caller prices with ``Money`` instead.
public struct FixedWidthRates: Sendable, Equatable {
    /// The coefficients in the order of ``TokenledgerPricer/cost(tokens:price:provider:model:)``'s
    /// parts: input, cache read, cache write, output, tool input, tool output. Unclassified tokens
    /// use the input rate.
    private let coefficients: (UInt128, UInt128, UInt128, UInt128, UInt128, UInt128)
    /// The largest scale of the rates, which is the number of fraction digits of every shifted
    /// coefficient.
    private let commonScale: Int

    /// The largest rate scale accepted, so that the rounding divisor `10^(commonScale + 6 - 9)` and
    /// each coefficient shifted to `commonScale` stay far below 2^128.
    private static let maximumScale = 18

    /// Creates the rates of `price` as coefficients shifted to their largest scale. Fails when a rate
    /// is negative, has more than 18 fraction digits or has a coefficient of 10^18 or more.
    public init?(_ price: TokenledgerPricer.Price) {
        let rates = [price.input, price.cacheRead, price.cacheWrite, price.output, price.toolInput, price.toolOutput]
        var scale = 0
        for rate in rates {
            guard !rate.isNegative, rate.coefficientBelowTenToThe18 != nil, rate.fractionDigitCount <= Self.maximumScale
            else { return nil }
            scale = max(scale, rate.fractionDigitCount)
        }
        // A coefficient below 10^18 times at most 10^18 stays below 10^36 < 2^120.
        let shifted = rates.map { rate in
            UInt128(rate.coefficientBelowTenToThe18 ?? 0) * Self.powersOfTen[scale - rate.fractionDigitCount]
        }
        coefficients = (shifted[0], shifted[1], shifted[2], shifted[3], shifted[4], shifted[5])
        commonScale = scale
    }

    public static func == (lhs: FixedWidthRates, rhs: FixedWidthRates) -> Bool {
        lhs.commonScale == rhs.commonScale && lhs.coefficients.0 == rhs.coefficients.0
            && lhs.coefficients.1 == rhs.coefficients.1 && lhs.coefficients.2 == rhs.coefficients.2
            && lhs.coefficients.3 == rhs.coefficients.3 && lhs.coefficients.4 == rhs.coefficients.4
            && lhs.coefficients.5 == rhs.coefficients.5
    }

    /// Returns the cost of `tokens` in nano-dollars, rounded half to even, as
    /// `TokenledgerPricer.cost(tokens:price:provider:model:)?.total.roundedToNanos()` returns it.
    ///
    /// Returns `nil` when a count is negative, an intermediate value overflows 128 bits or the
    /// result does not fit in `Int64`. The ``Money`` path then decides the cost.
    public func totalNanos(of tokens: BillableTokens) -> Int64? {
        let buckets = tokens.buckets
        var sum: UInt128 = 0
        guard
            Self.add(buckets.inputUncached, coefficients.0, to: &sum),
            Self.add(buckets.cacheRead, coefficients.1, to: &sum),
            Self.add(buckets.cacheWrite, coefficients.2, to: &sum),
            Self.add(buckets.output, coefficients.3, to: &sum),
            Self.add(tokens.toolInput, coefficients.4, to: &sum),
            Self.add(tokens.toolOutput, coefficients.5, to: &sum),
            Self.add(buckets.unclassified, coefficients.0, to: &sum)
        else { return nil }
        // `sum` counts units of 10^-(commonScale + 6) USD, and a nano-dollar is 10^-9 USD.
        let scale = commonScale + 6
        let nanos: UInt128
        if scale <= 9 {
            let (scaled, overflow) = sum.multipliedReportingOverflow(by: Self.powersOfTen[9 - scale])
            guard !overflow else { return nil }
            nanos = scaled
        } else {
            let divisor = Self.powersOfTen[scale - 9]
            let (quotient, remainder) = sum.quotientAndRemainder(dividingBy: divisor)
            let twice = remainder * 2
            let roundsUp = twice > divisor || (twice == divisor && quotient & 1 == 1)
            nanos = roundsUp ? quotient + 1 : quotient
        }
        guard nanos <= UInt128(Int64.max) else { return nil }
        return Int64(nanos)
    }

    /// Adds `count × coefficient` to `sum`. Returns `false` for a negative count or an overflow,
    /// which leaves `sum` unusable.
    private static func add(_ count: Int64, _ coefficient: UInt128, to sum: inout UInt128) -> Bool {
        guard count >= 0 else { return false }
        let (product, overflow) = UInt128(count).multipliedReportingOverflow(by: coefficient)
        guard !overflow else { return false }
        let (next, sumOverflow) = sum.addingReportingOverflow(product)
        sum = next
        return !sumOverflow
    }

    /// The powers of ten from 10^0 to 10^18.
    private static let powersOfTen: [UInt128] = (0...18).map { power in
        (0..<power).reduce(1) { value, _ in value * 10 }
    }
}
