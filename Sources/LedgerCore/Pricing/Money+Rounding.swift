extension Money {
    /// Nano-dollars per dollar: the unit of the store's `cost_nanos` column.
    public static let nanosPerDollar: Int64 = 1_000_000_000

    /// Creates the exact value of a whole number of nano-dollars.
    public init(nanos: Int64) {
        self = Money(nanos).dividedByPowerOfTen(9)
    }

    /// Returns the value in whole nano-dollars, rounded half to even; `nil` when it does not fit
    /// in `Int64` (above about 9.2 billion USD).
    ///
    /// Rates with at most three fraction digits give costs in whole nano-dollars, so rounding
    /// only changes costs priced with finer rates, by at most half a nano-dollar per event.
    public func roundedToNanos() -> Int64? {
        if let nanos = exactNanos() {
            return nanos
        }
        let rounded = self.rounded(fractionDigits: 9)
        let text = rounded.description
        let isNegative = text.hasPrefix("-")
        let unsigned = isNegative ? text.dropFirst() : Substring(text)
        let parts = unsigned.split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = parts[0]
        var fractionPart = parts.count > 1 ? String(parts[1]) : ""
        fractionPart += String(repeating: "0", count: 9 - fractionPart.count)
        guard let whole = Int64(integerPart), let fraction = Int64(fractionPart) else { return nil }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: Self.nanosPerDollar)
        guard !overflow else { return nil }
        let (magnitude, sumOverflow) = scaled.addingReportingOverflow(fraction)
        guard !sumOverflow else { return nil }
        return isNegative ? -magnitude : magnitude
    }

    /// Returns the value in nano-dollars, read from the coefficient without text, or `nil`. It needs
    /// at most 9 fraction digits, a coefficient below 10^18 and a result that fits in `Int64`. Costs
    /// priced with rates of at most three fraction digits per million tokens meet all three.
    func exactNanos() -> Int64? {
        guard fractionDigitCount <= 9, let magnitude = coefficientBelowTenToThe18 else { return nil }
        let (scaled, overflow) = magnitude.multipliedReportingOverflow(
            by: Self.powersOfTen[9 - fractionDigitCount])
        guard !overflow, scaled <= UInt64(Int64.max) else { return nil }
        return isNegative ? -Int64(scaled) : Int64(scaled)
    }

    /// The powers of ten from 10^0 to 10^9.
    private static let powersOfTen: [UInt64] = (0...9).map { power in
        (0..<power).reduce(1) { value, _ in value * 10 }
    }

    /// Returns the value rounded half to even to at most `fractionDigits` fraction digits, for
    /// display; costs themselves are never rounded before they are summed.
    public func rounded(fractionDigits: Int) -> Money {
        precondition(fractionDigits >= 0, "a rounding needs a non-negative number of fraction digits")
        guard fractionDigitCount > fractionDigits else { return self }
        let text = description
        let isNegative = text.hasPrefix("-")
        let unsigned = isNegative ? text.dropFirst() : Substring(text)
        let parts = unsigned.split(separator: ".", omittingEmptySubsequences: false)
        let fraction = Array(parts[1].utf8)
        let kept = String(parts[0]) + "." + String(decoding: fraction[..<fractionDigits], as: UTF8.self)
        let dropped = fraction[fractionDigits...]
        guard var truncated = Money(parsing: kept.hasSuffix(".") ? String(kept.dropLast()) : kept) else {
            return self
        }
        let first = dropped.first ?? UInt8(ascii: "0")
        let restIsZero = dropped.dropFirst().allSatisfy { $0 == UInt8(ascii: "0") }
        let lastKept = fractionDigits > 0 ? fraction[fractionDigits - 1] : parts[0].utf8.last ?? UInt8(ascii: "0")
        let isLastKeptOdd = (lastKept - UInt8(ascii: "0")) % 2 == 1
        let roundsUp =
            first > UInt8(ascii: "5") || (first == UInt8(ascii: "5") && (!restIsZero || isLastKeptOdd))
        if roundsUp {
            truncated = truncated + Money(1).dividedByPowerOfTen(fractionDigits)
        }
        return isNegative ? Money.zero - truncated : truncated
    }
}
