extension JSONValue {
    /// The value written as compact JSON: no whitespace, members in source order, numbers in
    /// their source spelling, strings escaped the way ``JSONWriter`` escapes them.
    ///
    /// Equal values give equal bytes, so the bytes can be hashed into an event key for records
    /// that were not read as one line, such as the elements of a pretty-printed document.
    public var compactBytes: [UInt8] {
        var bytes: [UInt8] = []
        append(to: &bytes)
        return bytes
    }

    private func append(to bytes: inout [UInt8]) {
        switch self {
        case .null:
            bytes.append(contentsOf: "null".utf8)
        case .bool(let value):
            bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let text):
            bytes.append(contentsOf: text.utf8)
        case .string(let text):
            JSONWriter.appendQuoted(text, to: &bytes)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 {
                    bytes.append(UInt8(ascii: ","))
                }
                element.append(to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let object):
            bytes.append(UInt8(ascii: "{"))
            for (index, member) in object.members.enumerated() {
                if index > 0 {
                    bytes.append(UInt8(ascii: ","))
                }
                JSONWriter.appendQuoted(member.key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                member.value.append(to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }
}
