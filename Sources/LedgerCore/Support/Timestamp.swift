/// Parsing and formatting of instants as nanoseconds since the Unix epoch, UTC.
public enum Timestamp {
    /// 2015-01-01T00:00:00Z: no usage record of an LLM proxy predates it.
    public static let earliestAccepted: Int64 = 1_420_070_400_000_000_000

    /// The latest instant accepted for a record: one day after `now`.
    public static func latestAccepted(now: Int64) -> Int64 {
        now &+ 86_400_000_000_000
    }

    /// Parses an RFC 3339 date-time with any offset and 0 to 9 fraction digits.
    ///
    /// Accepts `T` or `t` or a space between date and time, and `Z`, `z` or `±HH:MM` as offset.
    /// Returns `nil` for anything else, including out-of-range fields such as month 13, and
    /// `Int64.max` or `Int64.min` for a valid date-time outside the representable range.
    public static func parseRFC3339(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parseRFC3339(utf8: $0) }
    }

    /// Parses the UTF-8 bytes of an RFC 3339 date-time, like ``parseRFC3339(_:)``.
    public static func parseRFC3339(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        // Plain comparisons on a cursor, because nested functions and a variadic array per
        // separator took about twice the instructions, and every usage-queue record has a timestamp.
        var cursor = RFC3339Cursor(bytes: bytes)
        guard let year = cursor.digits(4), cursor.skip(UInt8(ascii: "-")), let month = cursor.digits(2),
            cursor.skip(UInt8(ascii: "-")), let day = cursor.digits(2),
            cursor.skip(UInt8(ascii: "T"), or: UInt8(ascii: "t"), or: UInt8(ascii: " ")), let hour = cursor.digits(2),
            cursor.skip(UInt8(ascii: ":")), let minute = cursor.digits(2), cursor.skip(UInt8(ascii: ":")),
            let second = cursor.digits(2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month), hour <= 23,
            minute <= 59, second <= 60
        else { return nil }

        var nanoseconds: Int64 = 0
        if cursor.skip(UInt8(ascii: ".")) {
            var count = 0
            while let digit = cursor.digit() {
                guard count < 9 else { return nil }
                nanoseconds = nanoseconds * 10 + digit
                count += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<9 { nanoseconds *= 10 }
        }

        var offsetSeconds: Int64 = 0
        if cursor.skip(UInt8(ascii: "Z"), or: UInt8(ascii: "z")) {
            offsetSeconds = 0
        } else if let signByte = cursor.current, signByte == UInt8(ascii: "+") || signByte == UInt8(ascii: "-") {
            let sign: Int64 = signByte == UInt8(ascii: "-") ? -1 : 1
            cursor.index += 1
            guard let offsetHour = cursor.digits(2), cursor.skip(UInt8(ascii: ":")),
                let offsetMinute = cursor.digits(2), offsetHour <= 23, offsetMinute <= 59
            else { return nil }
            offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
        } else {
            return nil
        }
        guard cursor.index == bytes.count else { return nil }

        // A leap second is folded onto the following second, as POSIX time has no 60th second.
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        // Instants past the Int64 range (years before 1678 or after 2261) saturate, so that
        // callers report them as out of range rather than as malformed.
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (result, overflowSum) = scaled.addingReportingOverflow(nanoseconds)
        return overflowSum ? .max : result
    }

    /// Converts an epoch number whose unit is decided by magnitude: ≥ 1e18 nanoseconds,
    /// ≥ 1e15 microseconds, ≥ 1e12 milliseconds, else seconds. Results past the Int64 range
    /// saturate, like ``parseRFC3339(_:)``.
    public static func fromEpochNumber(_ value: Int64) -> Int64 {
        let magnitude = value.magnitude
        let factor: Int64
        if magnitude >= 1_000_000_000_000_000_000 {
            factor = 1
        } else if magnitude >= 1_000_000_000_000_000 {
            factor = 1000
        } else if magnitude >= 1_000_000_000_000 {
            factor = 1_000_000
        } else {
            factor = 1_000_000_000
        }
        let (result, overflow) = value.multipliedReportingOverflow(by: factor)
        guard !overflow else { return value < 0 ? .min : .max }
        return result
    }

    /// Formats an instant as RFC 3339 UTC, with the fraction's trailing zeros removed:
    /// `2026-11-30T22:01:06.498873Z`.
    public static func formatRFC3339(_ nanoseconds: Int64) -> String {
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 {
            fraction += 1_000_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civilFromDays(days)
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
        text += pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay % 3600 / 60, 2) + ":" + pad(secondOfDay % 60, 2)
        if fraction > 0 {
            var digits = pad(fraction, 9)
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text + "Z"
    }

    /// The UTC calendar day of an instant as `YYYY-MM-DD`.
    public static func utcDay(_ nanoseconds: Int64) -> String {
        String(formatRFC3339(nanoseconds).prefix(10))
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date.
    public static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count from 1970-01-01.
    public static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2:
            let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return isLeap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// A position in the bytes of an RFC 3339 date-time, for ``Timestamp/parseRFC3339(utf8:)``.
private struct RFC3339Cursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The byte at the position, nil at the end.
    var current: UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    /// Reads `count` decimal digits, or returns nil and stays put when fewer follow.
    mutating func digits(_ count: Int) -> Int64? {
        guard index + count <= bytes.count else { return nil }
        var value: Int64 = 0
        for offset in 0..<count {
            let byte = bytes[index + offset]
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + Int64(byte - 0x30)
        }
        index += count
        return value
    }

    /// Reads one decimal digit, or returns nil and stays put when none follows.
    mutating func digit() -> Int64? {
        guard let byte = current, byte >= 0x30, byte <= 0x39 else { return nil }
        index += 1
        return Int64(byte - 0x30)
    }

    /// Moves past the byte at the position when it is `first`, `second` or `third`, and returns
    /// whether it did.
    mutating func skip(_ first: UInt8, or second: UInt8? = nil, or third: UInt8? = nil) -> Bool {
        guard let byte = current, byte == first || byte == second || byte == third else { return false }
        index += 1
        return true
    }
}
