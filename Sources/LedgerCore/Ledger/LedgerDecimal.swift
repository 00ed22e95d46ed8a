/// An exact decimal number: `±digits × 10^exponent`, kept as decimal digits.
///
/// Prices go from the pricing file to the CSV and SQL files without binary floating point, which
/// has no exact value for `0.30`. The value is stored normalized (no leading or trailing zero
/// digits), so `3.0` and `3` are equal and both print as `3`. A zero may keep a negative sign
/// because Python's `decimal` prints `-0` for it and tokenledger's files inherit that.
///
/// NOTE: tokenledger normalizes with Python's default 28-digit context, so a value with more than
/// 28 significant digits prints rounded there and exactly here.
public struct LedgerDecimal: Sendable, Hashable, CustomStringConvertible {
    /// The largest exponent magnitude accepted by the parsers, which keeps printed text bounded.
    public static let maximumExponentMagnitude = 4096

    /// Whether the sign is negative; a zero can carry it.
    public let isNegative: Bool
    /// The magnitude's digits, most significant first, each 0...9, without leading or trailing
    /// zeros; empty for zero.
    private let digits: [UInt8]
    /// The power of ten of the last digit; 0 for zero.
    private let exponent: Int

    /// Creates a value from digits that may carry leading or trailing zeros.
    private init(isNegative: Bool, digits: [UInt8], exponent: Int) {
        var first = 0
        while first < digits.count, digits[first] == 0 { first += 1 }
        var last = digits.count
        var adjustedExponent = exponent
        while last > first, digits[last - 1] == 0 {
            last -= 1
            adjustedExponent += 1
        }
        self.isNegative = isNegative
        self.digits = Array(digits[first..<last])
        self.exponent = self.digits.isEmpty ? 0 : adjustedExponent
    }

    /// Creates the exact value of an integer.
    public init(_ value: Int) {
        let magnitude = value.magnitude
        let text = String(magnitude)
        self.init(isNegative: value < 0, digits: text.utf8.map { $0 - UInt8(ascii: "0") }, exponent: 0)
    }

    /// Parses decimal literal text: `[+-]` digits with an optional `.` fraction and an optional
    /// `e`/`E` exponent, as JSON numbers and Python's `decimal.Decimal` write them.
    ///
    /// Returns `nil` for anything else, including surrounding whitespace, digit-group underscores,
    /// infinities, NaN, and exponents beyond ``maximumExponentMagnitude``.
    public init?(parsing text: some StringProtocol) {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var digits: [UInt8] = []
        var fractionCount = 0
        var isInFraction = false
        while let byte = bytes.first, Self.isDigit(byte) || (byte == UInt8(ascii: ".") && !isInFraction) {
            if byte == UInt8(ascii: ".") {
                isInFraction = true
            } else {
                digits.append(byte - UInt8(ascii: "0"))
                if isInFraction { fractionCount += 1 }
            }
            bytes = bytes.dropFirst()
        }
        guard !digits.isEmpty else { return nil }
        var exponent = 0
        if let marker = bytes.first, marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            var exponentNegative = false
            if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
                exponentNegative = sign == UInt8(ascii: "-")
                bytes = bytes.dropFirst()
            }
            guard let first = bytes.first, Self.isDigit(first) else { return nil }
            while let byte = bytes.first, Self.isDigit(byte) {
                exponent = exponent * 10 + Int(byte - UInt8(ascii: "0"))
                guard exponent <= Self.maximumExponentMagnitude else { return nil }
                bytes = bytes.dropFirst()
            }
            if exponentNegative { exponent = -exponent }
        }
        guard bytes.isEmpty else { return nil }
        let value = LedgerDecimal(isNegative: negative, digits: digits, exponent: exponent - fractionCount)
        guard value.digits.isEmpty || abs(value.exponent) <= Self.maximumExponentMagnitude else { return nil }
        self = value
    }

    /// Whether the value is zero, with either sign.
    public var isZero: Bool { digits.isEmpty }

    /// The value in plain notation without trailing fraction zeros: `0.3`, `3`, `100`, `-0.75`.
    ///
    /// This is tokenledger's decimal text: Python's `Decimal.normalize()` printed with format `f`
    /// and trailing zeros stripped.
    public var description: String {
        var text = isNegative ? "-" : ""
        guard !digits.isEmpty else { return text + "0" }
        let digitText = String(decoding: digits.map { $0 + UInt8(ascii: "0") }, as: UTF8.self)
        if exponent >= 0 {
            text += digitText + String(repeating: "0", count: exponent)
            return text
        }
        let pointPosition = digits.count + exponent
        if pointPosition > 0 {
            text += digitText.prefix(pointPosition) + "." + digitText.dropFirst(pointPosition)
        } else {
            text += "0." + String(repeating: "0", count: -pointPosition) + digitText
        }
        return text
    }

    /// The nearest `Double`, read from ``description`` the way tokenledger reads its own CSV.
    public var doubleValue: Double {
        Double(description) ?? (isNegative ? -.infinity : .infinity)
    }

    /// The exact difference.
    ///
    /// A zero result is negative only for `-0 - 0`, as in Python's `decimal`.
    public static func - (lhs: LedgerDecimal, rhs: LedgerDecimal) -> LedgerDecimal {
        let rhsNegative = !rhs.isNegative
        let commonExponent = Swift.min(lhs.exponent, rhs.exponent)
        let left = lhs.digits + [UInt8](repeating: 0, count: lhs.digits.isEmpty ? 0 : lhs.exponent - commonExponent)
        let right = rhs.digits + [UInt8](repeating: 0, count: rhs.digits.isEmpty ? 0 : rhs.exponent - commonExponent)
        if lhs.isNegative == rhsNegative {
            let sum = addMagnitudes(left, right)
            return LedgerDecimal(isNegative: lhs.isNegative, digits: sum, exponent: commonExponent)
        }
        switch compareMagnitudes(left, right) {
        case 0:
            return LedgerDecimal(isNegative: false, digits: [], exponent: 0)
        case 1:
            let difference = subtractMagnitudes(left, right)
            return LedgerDecimal(isNegative: lhs.isNegative, digits: difference, exponent: commonExponent)
        default:
            let difference = subtractMagnitudes(right, left)
            return LedgerDecimal(isNegative: rhsNegative, digits: difference, exponent: commonExponent)
        }
    }

    public static func == (lhs: LedgerDecimal, rhs: LedgerDecimal) -> Bool {
        if lhs.isZero && rhs.isZero { return true }
        return lhs.isNegative == rhs.isNegative && lhs.digits == rhs.digits && lhs.exponent == rhs.exponent
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(isZero ? false : isNegative)
        hasher.combine(digits)
        hasher.combine(exponent)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// Compares two digit strings of equal scale: -1, 0 or 1.
    private static func compareMagnitudes(_ left: [UInt8], _ right: [UInt8]) -> Int {
        let leftTrimmed = left.drop { $0 == 0 }
        let rightTrimmed = right.drop { $0 == 0 }
        if leftTrimmed.count != rightTrimmed.count {
            return leftTrimmed.count < rightTrimmed.count ? -1 : 1
        }
        for (leftDigit, rightDigit) in zip(leftTrimmed, rightTrimmed) where leftDigit != rightDigit {
            return leftDigit < rightDigit ? -1 : 1
        }
        return 0
    }

    private static func addMagnitudes(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var carry: UInt8 = 0
        var leftIndex = left.count - 1
        var rightIndex = right.count - 1
        while leftIndex >= 0 || rightIndex >= 0 || carry > 0 {
            var sum = carry
            if leftIndex >= 0 { sum += left[leftIndex] }
            if rightIndex >= 0 { sum += right[rightIndex] }
            result.append(sum % 10)
            carry = sum / 10
            leftIndex -= 1
            rightIndex -= 1
        }
        return result.reversed()
    }

    /// Subtracts `right` from `left`, both of equal scale, where `left` is not the smaller.
    private static func subtractMagnitudes(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var borrow = 0
        var rightIndex = right.count - 1
        for leftIndex in stride(from: left.count - 1, through: 0, by: -1) {
            var difference = Int(left[leftIndex]) - borrow
            if rightIndex >= 0 { difference -= Int(right[rightIndex]) }
            borrow = difference < 0 ? 1 : 0
            result.append(UInt8(difference + borrow * 10))
            rightIndex -= 1
        }
        return result.reversed()
    }
}
