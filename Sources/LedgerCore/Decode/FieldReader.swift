/// Typed access to the fields of a JSON object, with errors that name the field.
struct FieldReader {
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

    /// An integer field; `nil` when absent or `null`. Integers written as strings are accepted,
    /// as OTLP/JSON writes 64-bit integers that way.
    func int64(_ name: String) throws(DecodeError) -> Int64? {
        guard let value = object[name], !value.isNull else { return nil }
        if let number = value.int64Value {
            return number
        }
        if let text = value.stringValue, let number = Int64(text) {
            return number
        }
        throw DecodeError(.invalidField, "\(path)\(name) is not a 64-bit integer")
    }

    /// A Boolean field; `nil` when absent or `null`.
    func bool(_ name: String) throws(DecodeError) -> Bool? {
        guard let value = object[name], !value.isNull else { return nil }
        guard let bool = value.boolValue else {
            throw DecodeError(.invalidField, "\(path)\(name) is not a Boolean")
        }
        return bool
    }

    /// An object field; `nil` when absent or `null`.
    func object(_ name: String) throws(DecodeError) -> FieldReader? {
        guard let value = object[name], !value.isNull else { return nil }
        guard let nested = value.objectValue else {
            throw DecodeError(.invalidField, "\(path)\(name) is not an object")
        }
        return FieldReader(nested, path: "\(path)\(name).")
    }

    /// Whether the object has a member `name`, `null` included.
    func contains(_ name: String) -> Bool {
        object[name] != nil
    }
}

/// Timestamp fields shared by the decoders.
enum TimestampField {
    /// Reads an RFC 3339 string or an epoch number and checks it against the accepted range.
    static func read(_ value: JSONValue?, name: String, now: Int64) throws(DecodeError) -> Int64 {
        guard let value, !value.isNull else {
            throw DecodeError(.missingField, "\(name) is missing")
        }
        let instant: Int64?
        if let text = value.stringValue {
            instant = Timestamp.parseRFC3339(text) ?? Int64(text).map(Timestamp.fromEpochNumber)
        } else if let number = value.int64Value {
            instant = Timestamp.fromEpochNumber(number)
        } else {
            instant = nil
        }
        guard let instant else {
            throw DecodeError(.invalidField, "\(name) is not an RFC 3339 date-time or an epoch number")
        }
        try checkRange(instant, name: name, now: now)
        return instant
    }

    static func checkRange(_ instant: Int64, name: String, now: Int64) throws(DecodeError) {
        guard instant >= Timestamp.earliestAccepted, instant <= Timestamp.latestAccepted(now: now) else {
            throw DecodeError(
                .timestampOutOfRange,
                "\(name) \(Timestamp.formatRFC3339(instant)) is outside 2015-01-01 to one day after now")
        }
    }
}
