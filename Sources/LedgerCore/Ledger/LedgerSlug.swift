/// The two slug rules of tokenledger's ledger scripts.
///
/// They agree on ASCII text. They differ on other letters and digits, which ``make(_:)`` replaces
/// with `-` and ``makeJoinKey(_:)`` keeps lowercased.
public enum LedgerSlug {
    /// Makes the ledger slug of a model or alias name.
    ///
    /// The text is lowercased, each run of characters outside `[a-z0-9]` becomes one `-`, and `-`
    /// is trimmed from both ends: `Claude Opus 4.6 (Thinking: Max)` → `claude-opus-4-6-thinking-max`.
    /// Lowercasing uses the full Unicode mapping, so the Kelvin sign `K` (U+212A) becomes `k`.
    public static func make(_ text: String) -> String {
        var output: [UInt8] = []
        var isPendingHyphen = false
        output.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            // An ASCII scalar lowercases to itself or, for `A`-`Z`, to the letter 32 above, which
            // skips the property lookup and the string that `lowercaseMapping` builds.
            if scalar.isASCII {
                var byte = UInt8(scalar.value)
                if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") {
                    byte += 32
                }
                appendSlugByte(byte, to: &output, isPendingHyphen: &isPendingHyphen)
                continue
            }
            for lowered in scalar.properties.lowercaseMapping.unicodeScalars {
                guard lowered.isASCII else {
                    isPendingHyphen = true
                    continue
                }
                appendSlugByte(UInt8(lowered.value), to: &output, isPendingHyphen: &isPendingHyphen)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends a lowercased ASCII byte to a slug. A letter or digit goes after the `-` of a
    /// pending run, and any other byte starts or extends such a run.
    @inline(__always)
    private static func appendSlugByte(_ lowered: UInt8, to output: inout [UInt8], isPendingHyphen: inout Bool) {
        guard let byte = asciiSlugByte(Unicode.Scalar(lowered)) else {
            isPendingHyphen = true
            return
        }
        if isPendingHyphen, !output.isEmpty {
            output.append(UInt8(ascii: "-"))
        }
        isPendingHyphen = false
        output.append(byte)
    }

    /// Makes the key that joins a ledger row to runtime metrics in the Pareto table.
    ///
    /// Each letter or number (Unicode general category L*, or any numeric type) is lowercased and
    /// kept, every other character becomes `-`, runs of `-` collapse to one, and `-` is trimmed
    /// from both ends.
    public static func makeJoinKey(_ text: String) -> String {
        var output = ""
        var isPendingHyphen = false
        for scalar in text.unicodeScalars {
            // The ASCII letters and digits are the only ASCII scalars that count as letters or
            // numbers, and they lowercase within ASCII, so they skip the property lookups.
            if scalar.isASCII {
                var byte = UInt8(scalar.value)
                let isLetter = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
                let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
                guard isLetter || isDigit else {
                    isPendingHyphen = true
                    continue
                }
                if isLetter {
                    byte |= 0x20
                }
                if isPendingHyphen, !output.isEmpty {
                    output.unicodeScalars.append("-")
                }
                isPendingHyphen = false
                output.unicodeScalars.append(Unicode.Scalar(byte))
                continue
            }
            guard isLetterOrNumber(scalar) else {
                isPendingHyphen = true
                continue
            }
            if isPendingHyphen, !output.isEmpty {
                output.unicodeScalars.append("-")
            }
            isPendingHyphen = false
            output.unicodeScalars.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
        }
        return output
    }

    /// Returns whether Python's `str.isspace()` is true for the scalar. `str.strip()` and the
    /// regular expression class `\s` use the same set.
    static func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Removes leading and trailing Python whitespace, as `str.strip()` does.
    static func stripPythonWhitespace(_ text: String) -> String {
        // Text that starts and ends with an ASCII byte that is not whitespace has nothing to strip.
        if let first = text.utf8.first, let last = text.utf8.last, first < 0x80, last < 0x80,
            !isPythonWhitespace(Unicode.Scalar(first)), !isPythonWhitespace(Unicode.Scalar(last))
        {
            return text
        }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isPythonWhitespace($0) }),
            let last = scalars.lastIndex(where: { !isPythonWhitespace($0) })
        else { return "" }
        return String(scalars[first...last])
    }

    private static func asciiSlugByte(_ scalar: Unicode.Scalar) -> UInt8? {
        let byte = UInt8(scalar.value)
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return byte
        default:
            return nil
        }
    }

    /// Python's `str.isalnum()` for one code point.
    private static func isLetterOrNumber(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return true
        default:
            return scalar.properties.numericType != nil
        }
    }
}
