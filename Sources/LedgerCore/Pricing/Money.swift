/// An exact amount of US dollars: a signed integer coefficient times `10^-scale`.
///
/// Costs are products of whole token counts and decimal rates, so every cost has a finite decimal
/// expansion, and this type stores it without rounding. No binary floating point takes part. The
/// coefficient is a base-10⁹ big integer, so sums over any number of events stay exact. Values are
/// kept normalized (no trailing fraction zeros), so `0.50` and `0.5` compare equal and print alike.
public struct Money: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Base-10⁹ limbs of the magnitude, least significant first, without high zero limbs.
    fileprivate let limbs: [UInt32]
    /// The number of fraction digits the coefficient carries; never negative.
    fileprivate let scale: Int
    /// Whether the value is below zero; always `false` for zero.
    public let isNegative: Bool

    fileprivate static let limbBase: UInt64 = 1_000_000_000

    /// Zero dollars.
    public static let zero = Money(limbs: [], scale: 0, isNegative: false)

    fileprivate init(limbs: [UInt32], scale: Int, isNegative: Bool) {
        var magnitude = limbs
        var scale = scale
        while let last = magnitude.last, last == 0 { magnitude.removeLast() }
        while scale > 0, let first = magnitude.first, first % 10 == 0 {
            magnitude = Self.divideByTen(magnitude)
            scale -= 1
        }
        if magnitude.isEmpty { scale = 0 }
        self.limbs = magnitude
        self.scale = scale
        self.isNegative = isNegative && !magnitude.isEmpty
    }

    /// Creates the exact value of a whole number of dollars, or of a token count.
    public init(_ value: Int64) {
        var magnitude = value.magnitude
        var limbs: [UInt32] = []
        while magnitude > 0 {
            limbs.append(UInt32(magnitude % Self.limbBase))
            magnitude /= Self.limbBase
        }
        self.init(limbs: limbs, scale: 0, isNegative: value < 0)
    }

    /// Creates the exact value of a pricing-file decimal.
    public init(_ decimal: LedgerDecimal) {
        // The text of a LedgerDecimal is plain notation, which `parsing` always accepts.
        self = Money(parsing: decimal.description) ?? .zero
    }

    /// Parses plain or exponent decimal notation, such as JSON number text: `3`, `-0.125`, `2.5e-7`.
    ///
    /// Returns `nil` for any other text, and for exponents beyond ±4096.
    public init?(parsing text: some StringProtocol) {
        guard let decimal = LedgerDecimal(parsing: text) else { return nil }
        var digits = decimal.description.utf8[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        var integerDigits: [UInt8] = []
        var fractionCount = 0
        var isInFraction = false
        for byte in digits {
            if byte == UInt8(ascii: ".") {
                isInFraction = true
                continue
            }
            integerDigits.append(byte - UInt8(ascii: "0"))
            if isInFraction { fractionCount += 1 }
        }
        self.init(limbs: Self.limbs(fromDigits: integerDigits), scale: fractionCount, isNegative: negative)
    }

    /// The coefficient's magnitude when it has at most two limbs, so that it is below 10^18.
    var coefficientBelowTenToThe18: UInt64? {
        switch limbs.count {
        case 0: return 0
        case 1: return UInt64(limbs[0])
        case 2: return UInt64(limbs[1]) * Self.limbBase + UInt64(limbs[0])
        default: return nil
        }
    }

    /// The number of fraction digits of the value in plain notation: 5 for `27.47125`, 0 for `50`.
    public var fractionDigitCount: Int { scale }

    /// Whether the value is zero.
    public var isZero: Bool { limbs.isEmpty }

    /// The value in plain notation without trailing fraction zeros: `27.47125`, `0.000003`, `50`, `0`.
    public var description: String {
        guard !limbs.isEmpty else { return "0" }
        var digits = String(limbs[limbs.count - 1])
        for limb in limbs.dropLast().reversed() {
            let text = String(limb)
            digits += String(repeating: "0", count: 9 - text.count) + text
        }
        if scale > 0 {
            if digits.count <= scale {
                digits = String(repeating: "0", count: scale - digits.count + 1) + digits
            }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return (isNegative ? "-" : "") + digits
    }

    /// The exact sum.
    public static func + (lhs: Money, rhs: Money) -> Money {
        let scale = Swift.max(lhs.scale, rhs.scale)
        let left = lhs.rescaled(to: scale)
        let right = rhs.rescaled(to: scale)
        if lhs.isNegative == rhs.isNegative {
            return Money(limbs: addMagnitudes(left, right), scale: scale, isNegative: lhs.isNegative)
        }
        if compareMagnitudes(left, right) >= 0 {
            return Money(limbs: subtractMagnitudes(left, right), scale: scale, isNegative: lhs.isNegative)
        }
        return Money(limbs: subtractMagnitudes(right, left), scale: scale, isNegative: rhs.isNegative)
    }

    /// The exact difference.
    public static func - (lhs: Money, rhs: Money) -> Money {
        lhs + Money(limbs: rhs.limbs, scale: rhs.scale, isNegative: !rhs.isNegative)
    }

    /// The exact product.
    public static func * (lhs: Money, rhs: Money) -> Money {
        guard !lhs.isZero, !rhs.isZero else { return .zero }
        var product = [UInt64](repeating: 0, count: lhs.limbs.count + rhs.limbs.count)
        for (leftIndex, leftLimb) in lhs.limbs.enumerated() {
            var carry: UInt64 = 0
            for (rightIndex, rightLimb) in rhs.limbs.enumerated() {
                let sum = product[leftIndex + rightIndex] + UInt64(leftLimb) * UInt64(rightLimb) + carry
                product[leftIndex + rightIndex] = sum % limbBase
                carry = sum / limbBase
            }
            product[leftIndex + rhs.limbs.count] += carry
        }
        return Money(
            limbs: product.map { UInt32($0) }, scale: lhs.scale + rhs.scale,
            isNegative: lhs.isNegative != rhs.isNegative)
    }

    /// Returns the exact value divided by `10^exponent`, such as a per-million rate applied to a token count.
    public func dividedByPowerOfTen(_ exponent: Int) -> Money {
        precondition(exponent >= 0, "the exponent of a decimal shift must not be negative")
        return Money(limbs: limbs, scale: scale + exponent, isNegative: isNegative)
    }

    /// Returns the sum of all values, zero for none.
    public static func sum<Values: Sequence<Money>>(_ values: Values) -> Money {
        values.reduce(.zero, +)
    }

    public static func < (lhs: Money, rhs: Money) -> Bool {
        if lhs.isNegative != rhs.isNegative { return lhs.isNegative }
        let scale = Swift.max(lhs.scale, rhs.scale)
        let order = compareMagnitudes(lhs.rescaled(to: scale), rhs.rescaled(to: scale))
        return lhs.isNegative ? order > 0 : order < 0
    }

    /// Divides by a positive integer and truncates toward zero after `fractionDigits` fraction digits.
    ///
    /// `fractionDigits` is raised to the value's own scale when smaller, so no digit of the dividend
    /// is dropped. Returns the quotient and the remainder, which is below `divisor` and counts units
    /// of the quotient's last digit times `divisor`.
    public func truncatingDivision(by divisor: UInt64, fractionDigits: Int) -> (quotient: Money, remainder: UInt64) {
        precondition(divisor > 0, "a division needs a positive divisor")
        let targetScale = Swift.max(fractionDigits, scale)
        let dividend = rescaled(to: targetScale)
        var quotient = [UInt32](repeating: 0, count: dividend.count)
        var remainder: UInt64 = 0
        for index in stride(from: dividend.count - 1, through: 0, by: -1) {
            var wide = remainder.multipliedFullWidth(by: Self.limbBase)
            let (low, overflow) = wide.low.addingReportingOverflow(UInt64(dividend[index]))
            wide.low = low
            if overflow { wide.high += 1 }
            let (digit, rest) = divisor.dividingFullWidth((high: wide.high, low: wide.low))
            quotient[index] = UInt32(digit)
            remainder = rest
        }
        return (Money(limbs: quotient, scale: targetScale, isNegative: isNegative), remainder)
    }

    /// Returns the magnitude's limbs with the coefficient multiplied up to `scale` fraction digits.
    fileprivate func rescaled(to target: Int) -> [UInt32] {
        var result = limbs
        var remaining = target - scale
        while remaining > 0 {
            let step = Swift.min(remaining, 9)
            result = Self.multiply(result, by: UInt32(Self.powerOfTen(step)))
            remaining -= step
        }
        return result
    }
}

extension Money {
    fileprivate static func powerOfTen(_ exponent: Int) -> UInt64 {
        var value: UInt64 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    fileprivate static func limbs(fromDigits digits: [UInt8]) -> [UInt32] {
        var limbs: [UInt32] = []
        var end = digits.count
        while end > 0 {
            let start = Swift.max(0, end - 9)
            var limb: UInt32 = 0
            for digit in digits[start..<end] { limb = limb * 10 + UInt32(digit) }
            limbs.append(limb)
            end = start
        }
        return limbs
    }

    fileprivate static func multiply(_ limbs: [UInt32], by factor: UInt32) -> [UInt32] {
        var result: [UInt32] = []
        result.reserveCapacity(limbs.count + 1)
        var carry: UInt64 = 0
        for limb in limbs {
            let product = UInt64(limb) * UInt64(factor) + carry
            result.append(UInt32(product % limbBase))
            carry = product / limbBase
        }
        if carry > 0 { result.append(UInt32(carry)) }
        return result
    }

    fileprivate static func divideByTen(_ limbs: [UInt32]) -> [UInt32] {
        var result = [UInt32](repeating: 0, count: limbs.count)
        var remainder: UInt64 = 0
        for index in stride(from: limbs.count - 1, through: 0, by: -1) {
            let current = remainder * limbBase + UInt64(limbs[index])
            result[index] = UInt32(current / 10)
            remainder = current % 10
        }
        while let last = result.last, last == 0 { result.removeLast() }
        return result
    }

    fileprivate static func compareMagnitudes(_ left: [UInt32], _ right: [UInt32]) -> Int {
        if left.count != right.count { return left.count < right.count ? -1 : 1 }
        for index in stride(from: left.count - 1, through: 0, by: -1) where left[index] != right[index] {
            return left[index] < right[index] ? -1 : 1
        }
        return 0
    }

    fileprivate static func addMagnitudes(_ left: [UInt32], _ right: [UInt32]) -> [UInt32] {
        var result: [UInt32] = []
        var carry: UInt64 = 0
        for index in 0..<Swift.max(left.count, right.count) {
            var sum = carry
            if index < left.count { sum += UInt64(left[index]) }
            if index < right.count { sum += UInt64(right[index]) }
            result.append(UInt32(sum % limbBase))
            carry = sum / limbBase
        }
        if carry > 0 { result.append(UInt32(carry)) }
        return result
    }

    /// Subtracts `right` from `left`, where `left` is not the smaller magnitude.
    fileprivate static func subtractMagnitudes(_ left: [UInt32], _ right: [UInt32]) -> [UInt32] {
        var result: [UInt32] = []
        var borrow: Int64 = 0
        for index in 0..<left.count {
            var difference = Int64(left[index]) - borrow
            if index < right.count { difference -= Int64(right[index]) }
            borrow = difference < 0 ? 1 : 0
            result.append(UInt32(difference + borrow * Int64(limbBase)))
        }
        return result
    }
}
