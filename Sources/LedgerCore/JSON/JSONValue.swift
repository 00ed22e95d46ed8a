/// A parsed JSON value, as RFC 8259 defines it.
///
/// Numbers keep their source text so that 64-bit integers survive exactly; the accessors convert
/// on demand. Objects keep their members in source order.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number in its source spelling, already checked against the RFC 8259 grammar.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The member named `key` when this value is an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    /// The string, or `nil` for any other kind of value.
    public var stringValue: String? {
        guard case .string(let value) = self else { return nil }
        return value
    }

    /// The Boolean, or `nil` for any other kind of value.
    public var boolValue: Bool? {
        guard case .bool(let value) = self else { return nil }
        return value
    }

    /// The number as an exact `Int64`.
    ///
    /// `nil` for non-numbers, for numbers with a fraction or exponent, and for integers outside
    /// the `Int64` range. `12.0` is not an integer here: sources that mean a count write digits.
    public var int64Value: Int64? {
        guard case .number(let text) = self else { return nil }
        return Int64(text)
    }

    /// The number as a `Double`, rounded to the nearest representable value.
    public var doubleValue: Double? {
        guard case .number(let text) = self else { return nil }
        return Double(text)
    }

    /// The elements, or `nil` for any other kind of value.
    public var arrayValue: [JSONValue]? {
        guard case .array(let elements) = self else { return nil }
        return elements
    }

    /// The object, or `nil` for any other kind of value.
    public var objectValue: JSONObject? {
        guard case .object(let object) = self else { return nil }
        return object
    }

    /// Whether the value is JSON `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// The members of a JSON object in source order.
///
/// Lookup by name returns the last member with that name, the way most JSON readers resolve
/// duplicate names.
public struct JSONObject: Sendable, Equatable {
    /// The members in the order they appear in the source.
    public var members: [(key: String, value: JSONValue)]

    /// Creates an object from members in source order.
    public init(members: [(key: String, value: JSONValue)] = []) {
        self.members = members
    }

    /// The value of the last member named `key`.
    public subscript(key: String) -> JSONValue? {
        for member in members.reversed() where member.key == key {
            return member.value
        }
        return nil
    }

    /// The member names in source order, duplicates included.
    public var keys: [String] { members.map(\.key) }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for (left, right) in zip(lhs.members, rhs.members) where left.key != right.key || left.value != right.value {
            return false
        }
        return true
    }
}
