import LedgerCore

/// Turns the proxy's replies into spool lines.
enum QueueRecords {
    /// The outcome of classifying one payload.
    enum Disposition: Equatable {
        /// A spool line, without its newline.
        case line([UInt8])
        /// A subscription control object, `{"support_refresh":true}` or `{"refresh":true}`,
        /// which carries no usage.
        case control
        /// A payload that cannot be one line: it is not JSON and contains a line break.
        case unwritable
    }

    /// Classifies one payload of `LPOP`, `SUBSCRIBE` or the HTTP array.
    ///
    /// A record is written byte for byte. The one exception is a JSON record with line breaks
    /// between its tokens: those line breaks are removed, since JSON allows them there and a
    /// spool line cannot contain one. The proxy's own records never have any.
    static func classify(_ payload: [UInt8]) -> Disposition {
        if payload.count <= 64, isControlObject(payload) {
            return .control
        }
        guard payload.contains(0x0A) || payload.contains(0x0D) else {
            return .line(payload)
        }
        guard (try? JSONParser.parse(payload)) != nil else {
            return .unwritable
        }
        return .line(removingLineBreaksOutsideStrings(payload))
    }

    /// Returns whether `payload` is a control object of the usage subscription.
    static func isControlObject(_ payload: [UInt8]) -> Bool {
        guard let object = (try? JSONParser.parse(payload))?.objectValue, object.members.count == 1 else {
            return false
        }
        let member = object.members[0]
        return (member.key == "support_refresh" || member.key == "refresh") && member.value.boolValue != nil
    }

    /// Splits the body of `GET /v0/management/usage-queue`, a JSON array, into the bytes of its
    /// elements, each unchanged.
    /// - Throws: ``PullError`` with code `protocolViolation` when the body is not a JSON array.
    static func splitArray(_ body: [UInt8], from address: ProxyAddress) throws(PullError) -> [[UInt8]] {
        guard let value = try? JSONParser.parse(body), value.arrayValue != nil else {
            throw PullError(
                .protocolViolation,
                "\(address) responded to the usage queue request with something other than a JSON array; check --from")
        }
        // The parser accepted the body, so strings are well formed and brackets balance.
        var elements: [[UInt8]] = []
        var depth = 0
        var isInString = false
        var isEscaped = false
        var elementStart: Int?
        for (index, byte) in body.enumerated() {
            if isInString {
                if isEscaped {
                    isEscaped = false
                } else if byte == 0x5C {
                    isEscaped = true
                } else if byte == 0x22 {
                    isInString = false
                }
                continue
            }
            switch byte {
            case 0x22:
                isInString = true
                if depth == 1 && elementStart == nil { elementStart = index }
            case 0x5B, 0x7B:
                if depth == 1 && elementStart == nil { elementStart = index }
                depth += 1
            case 0x5D, 0x7D:
                depth -= 1
                if depth == 0, let start = elementStart {
                    elements.append(trimmed(body[start..<index]))
                    elementStart = nil
                }
            case 0x2C:
                if depth == 1, let start = elementStart {
                    elements.append(trimmed(body[start..<index]))
                    elementStart = nil
                }
            case 0x20, 0x09, 0x0A, 0x0D:
                break
            default:
                if depth == 1 && elementStart == nil { elementStart = index }
            }
        }
        return elements
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let start = bytes.firstIndex(where: { !isSpace($0) }) else { return [] }
        let end = bytes.lastIndex(where: { !isSpace($0) })!
        return Array(bytes[start...end])
    }

    private static func removingLineBreaksOutsideStrings(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var isInString = false
        var isEscaped = false
        for byte in bytes {
            if isInString {
                if isEscaped {
                    isEscaped = false
                } else if byte == 0x5C {
                    isEscaped = true
                } else if byte == 0x22 {
                    isInString = false
                }
            } else if byte == 0x22 {
                isInString = true
            } else if byte == 0x0A || byte == 0x0D {
                continue
            }
            result.append(byte)
        }
        return result
    }
}
