/// Typed access to the fields of one JSON object, shared by ``FieldReader`` (a parsed tree) and
/// ``ScannedFieldReader`` (byte ranges of a scanned line), so that a decoder written against it
/// reads both the same way.
protocol RecordFields {
    /// The prefix of field paths in messages, such as `tokens.`.
    var path: String { get }
    /// Reads a string field, `nil` when absent or `null`. `interned` marks a field whose values
    /// repeat from record to record (a provider, a model), so a reader may share their `String`s.
    func string(_ name: String, interned: Bool) throws(DecodeError) -> String?
    /// Reads an integer field written as a JSON number, `nil` when absent or `null`.
    func int64(_ name: String) throws(DecodeError) -> Int64?
    /// Reads a Boolean field, `nil` when absent or `null`.
    func bool(_ name: String) throws(DecodeError) -> Bool?
    /// Reads an object field, `nil` when absent or `null`.
    func object(_ name: String) throws(DecodeError) -> Self?
    /// Returns the id of the secret in string field `name` (see ``SecretHasher``), `nil` when the
    /// field is absent, `null` or empty.
    func secretID(_ name: String, kind: SecretHasher.Kind) throws(DecodeError) -> String?
    /// Reads a timestamp field, checked by ``TimestampField/read(_:name:now:)``.
    func timestamp(_ name: String, now: Int64) throws(DecodeError) -> Int64

    // The same reads for a fixed name whose fingerprint is computed once, which a scanned line
    // looks up without hashing the name.
    func string(_ field: FieldName, interned: Bool) throws(DecodeError) -> String?
    func int64(_ field: FieldName) throws(DecodeError) -> Int64?
    func bool(_ field: FieldName) throws(DecodeError) -> Bool?
    func object(_ field: FieldName) throws(DecodeError) -> Self?
    func secretID(_ field: FieldName, kind: SecretHasher.Kind) throws(DecodeError) -> String?
    func timestamp(_ field: FieldName, now: Int64) throws(DecodeError) -> Int64
}

extension RecordFields {
    /// Reads a string field whose values repeat from record to record, `nil` when absent or `null`.
    func string(_ name: String) throws(DecodeError) -> String? {
        try string(name, interned: true)
    }

    /// Reads a string field whose values repeat from record to record, `nil` when absent or `null`.
    func string(_ field: FieldName) throws(DecodeError) -> String? {
        try string(field, interned: true)
    }

    /// Reads a token count, an integer from 0 to ``FieldReader/maximumTokenCount``, `nil` when absent or `null`.
    func tokenCount(_ name: String) throws(DecodeError) -> Int64? {
        try checkedTokenCount(int64(name), name: name)
    }

    /// Reads a token count as ``tokenCount(_:)-(String)`` does.
    @inline(__always)
    func tokenCount(_ field: FieldName) throws(DecodeError) -> Int64? {
        try checkedTokenCount(int64(field), name: field.string)
    }

    /// Reads a duration in milliseconds as ``milliseconds(_:)-(String)`` does.
    @inline(__always)
    func milliseconds(_ field: FieldName) throws(DecodeError) -> Int64? {
        try checkedMilliseconds(int64(field), name: field.string)
    }

    private func checkedTokenCount(_ count: Int64?, name: @autoclosure () -> String) throws(DecodeError) -> Int64? {
        guard let count else { return nil }
        guard count >= 0, count <= FieldReader.maximumTokenCount else {
            throw DecodeError(
                .invalidField, "\(path)\(name()) is \(count), outside 0 to \(FieldReader.maximumTokenCount)")
        }
        return count
    }

    /// Reads a duration in milliseconds, an integer from 0 to ``FieldReader/maximumMilliseconds``,
    /// `nil` when absent or `null`.
    func milliseconds(_ name: String) throws(DecodeError) -> Int64? {
        try checkedMilliseconds(int64(name), name: name)
    }

    private func checkedMilliseconds(_ value: Int64?, name: @autoclosure () -> String) throws(DecodeError) -> Int64? {
        guard let value else { return nil }
        guard value >= 0, value <= FieldReader.maximumMilliseconds else {
            throw DecodeError(
                .invalidField, "\(path)\(name()) is \(value), outside 0 to \(FieldReader.maximumMilliseconds)")
        }
        return value
    }
}

/// Typed access to the fields of a JSON object, with errors that name the field.
struct FieldReader: RecordFields {
    let object: JSONObject
    /// The prefix of field paths in messages, such as `tokens.`.
    let path: String

    init(_ object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    /// A string field; `nil` when absent or `null`.
    func string(_ name: String) throws(DecodeError) -> String? {
        guard let value = object[name], !value.isNull else { return nil }
        guard let string = value.stringValue else {
            throw DecodeError(.invalidField, "\(path)\(name) is not a string")
        }
        return string
    }

    /// Reads an integer field written as a JSON number, `nil` when absent or `null`.
    func int64(_ name: String) throws(DecodeError) -> Int64? {
        guard let value = object[name], !value.isNull else { return nil }
        guard let number = value.int64Value else {
            throw DecodeError(.invalidField, "\(path)\(name) is not a 64-bit integer")
        }
        return number
    }

    /// The largest token count accepted for one bucket of one request: 10^12, far above any
    /// context window, and small enough that sums over billions of events cannot overflow.
    static let maximumTokenCount: Int64 = 1_000_000_000_000
    /// The longest duration accepted: 7 days in milliseconds.
    static let maximumMilliseconds: Int64 = 7 * 86_400_000

    /// Reads a Boolean field, `nil` when absent or `null`.
    func bool(_ name: String) throws(DecodeError) -> Bool? {
        guard let value = object[name], !value.isNull else { return nil }
        guard let bool = value.boolValue else {
            throw DecodeError(.invalidField, "\(path)\(name) is not a Boolean")
        }
        return bool
    }

    /// Reads an object field, `nil` when absent or `null`.
    func object(_ name: String) throws(DecodeError) -> FieldReader? {
        guard let value = object[name], !value.isNull else { return nil }
        guard let nested = value.objectValue else {
            throw DecodeError(.invalidField, "\(path)\(name) is not an object")
        }
        return FieldReader(nested, path: "\(path)\(name).")
    }

    func string(_ name: String, interned: Bool) throws(DecodeError) -> String? {
        try string(name)
    }

    func secretID(_ name: String, kind: SecretHasher.Kind) throws(DecodeError) -> String? {
        guard let secret = try string(name), !secret.isEmpty else { return nil }
        return SecretHasher.id(of: secret, kind: kind)
    }

    func timestamp(_ name: String, now: Int64) throws(DecodeError) -> Int64 {
        try TimestampField.read(object[name], name: name, now: now)
    }

    /// Whether the object has a member `name`, `null` included.
    func contains(_ name: String) -> Bool {
        object[name] != nil
    }

    func string(_ field: FieldName, interned: Bool) throws(DecodeError) -> String? {
        try string(field.string)
    }

    func int64(_ field: FieldName) throws(DecodeError) -> Int64? {
        try int64(field.string)
    }

    func bool(_ field: FieldName) throws(DecodeError) -> Bool? {
        try bool(field.string)
    }

    func object(_ field: FieldName) throws(DecodeError) -> FieldReader? {
        try object(field.string)
    }

    func secretID(_ field: FieldName, kind: SecretHasher.Kind) throws(DecodeError) -> String? {
        try secretID(field.string, kind: kind)
    }

    func timestamp(_ field: FieldName, now: Int64) throws(DecodeError) -> Int64 {
        try timestamp(field.string, now: now)
    }
}

/// Timestamp fields shared by the decoders.
enum TimestampField {
    /// Returns whether `instant` is in the range that ``checkRange(_:name:spelling:now:)`` accepts.
    @inline(__always)
    static func isInRange(_ instant: Int64, now: Int64) -> Bool {
        instant >= Timestamp.earliestAccepted && instant <= Timestamp.latestAccepted(now: now)
    }

    /// Reads an RFC 3339 string or an epoch number and checks it against the accepted range.
    static func read(_ value: JSONValue?, name: String, now: Int64) throws(DecodeError) -> Int64 {
        guard let value, !value.isNull else {
            throw DecodeError(.missingField, "\(name) is missing")
        }
        let instant: Int64?
        let spelling: String
        if let text = value.stringValue {
            instant = Timestamp.parseRFC3339(text)
            spelling = String(text.prefix(40))
        } else if let number = value.int64Value {
            instant = Timestamp.fromEpochNumber(number)
            spelling = String(number)
        } else {
            instant = nil
            spelling = ""
        }
        guard let instant else {
            throw DecodeError(.invalidField, "\(name) is not an RFC 3339 date-time string or an integer epoch number")
        }
        try checkRange(instant, name: name, spelling: spelling, now: now)
        return instant
    }

    /// Rejects an instant before 2015-01-01 or more than a day after `now`; the message shows the
    /// value as the source wrote it.
    static func checkRange(_ instant: Int64, name: String, spelling: String, now: Int64) throws(DecodeError) {
        guard isInRange(instant, now: now) else {
            throw DecodeError(
                .timestampOutOfRange, "\(name) \(spelling) is outside 2015-01-01 to one day after now")
        }
    }
}
