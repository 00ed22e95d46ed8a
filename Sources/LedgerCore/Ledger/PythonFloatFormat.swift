#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Float rounding and text as Python writes them, which tokenledger's Pareto and runtime files use.
enum PythonFloatFormat {
    /// Python's `round(value, 6)`: the `Double` nearest to the value rounded half-to-even at the
    /// sixth decimal, judged on the exact binary value.
    static func roundedToSixDecimals(_ value: Double) -> Double {
        guard value.isFinite else { return value }
        return Double(fixedSixDecimals(value)) ?? value
    }

    /// Python's `f"{value:.6f}"`: six decimals, correctly rounded from the exact binary value.
    ///
    /// glibc's `printf` rounds exactly, so this delegates to it.
    static func fixedSixDecimals(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        // The largest finite Double takes 309 integer digits, so 400 bytes always suffice. The
        // buffer lives on the stack and the text is decoded from it without a copy.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 400) { buffer in
            let count = withVaList([value]) { arguments in
                buffer.withMemoryRebound(to: CChar.self) { vsnprintf($0.baseAddress, $0.count, "%.6f", arguments) }
            }
            guard count > 0, Int(count) < buffer.count else { return String(value) }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<Int(count)]), as: UTF8.self)
        }
    }

    /// Python's `repr(value)`: the shortest digits that read back as the same `Double`, in fixed
    /// notation with at least one fraction digit (`0.0`, `9.0`, `5.625`) when the decimal exponent
    /// is from -4 to 15, and otherwise in exponent notation (`1e-05`, `1.5e+16`).
    static func repr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        let (isNegative, digits, pointPosition) = shortestDigits(value)
        let sign = isNegative ? "-" : ""
        if pointPosition > -4 && pointPosition <= 16 {
            if pointPosition <= 0 {
                return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
            }
            if pointPosition >= digits.count {
                return sign + digits + String(repeating: "0", count: pointPosition - digits.count) + ".0"
            }
            return sign + digits.prefix(pointPosition) + "." + digits.dropFirst(pointPosition)
        }
        let exponent = pointPosition - 1
        let mantissa = digits.count > 1 ? digits.prefix(1) + "." + digits.dropFirst() : digits
        let exponentDigits = String(abs(exponent))
        let paddedExponent = exponentDigits.count < 2 ? "0" + exponentDigits : exponentDigits
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + paddedExponent
    }

    /// Splits a finite value into its shortest round-trip digits (no leading or trailing zeros, `"0"`
    /// for zero) and the position of the decimal point relative to the first digit.
    ///
    /// Swift's `description` already yields the shortest round-trip digits; only its layout is
    /// parsed here.
    private static func shortestDigits(_ value: Double) -> (isNegative: Bool, digits: String, pointPosition: Int) {
        let text = value.magnitude.description
        var mantissa = Substring(text)
        var exponent = 0
        if let marker = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<marker]
            exponent = Int(text[text.index(after: marker)...]) ?? 0
        }
        let integerPart = mantissa.prefix { $0 != "." }
        let fractionPart = mantissa.drop { $0 != "." }.dropFirst()
        var digits = String(integerPart) + fractionPart
        var pointPosition = integerPart.count + exponent
        while digits.count > 1, digits.first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.count > 1, digits.last == "0" {
            digits.removeLast()
        }
        if digits == "0" {
            pointPosition = 1
        }
        return (value.sign == .minus, digits, pointPosition)
    }
}
