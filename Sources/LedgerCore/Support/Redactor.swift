/// Makes short, secret-free samples of rejected lines for the quarantine table and logs.
///
/// The sample keeps the line's structure so an operator can see what is wrong, but replaces the
/// value of every secret-named member (`api_key`, `source`, `client_ip`, …) and every string that
/// looks like a credential or an e-mail address with `<redacted>`. Bytes outside printable ASCII
/// are written as `\xNN`.
public enum Redactor {
    /// Member names whose string values are always replaced.
    public static let secretNames: Set<String> = [
        "api_key", "apikey", "source", "client_ip", "x_forwarded_for", "authorization", "access_token",
        "refresh_token", "management_key", "password", "secret", "cookie", "email", "x-api-key",
        "x-goog-api-key", "private_key", "client_secret",
    ]

    /// How many bytes of a line are examined; the rest is dropped before redaction.
    public static let window = 1024
    /// The bytes of a line's start that a caller keeps for ``sample(_:maximumLength:)`` when it
    /// drops the rest: one more than ``window``, so that the sample still shows that the line goes on.
    public static let prefixLength = window + 1

    /// A redacted sample of at most `maximumLength` characters.
    public static func sample(_ line: UnsafeBufferPointer<UInt8>, maximumLength: Int = 240) -> String {
        let bytes = Array(line.prefix(window))
        var output: [UInt8] = []
        var index = 0
        var lastKey: String?
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\"") else {
                appendPrintable(byte, to: &output)
                index += 1
                continue
            }
            let start = index + 1
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
                end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
            }
            let content = Array(bytes[start..<min(end, bytes.count)])
            let isTerminated = end < bytes.count
            var next = end + 1
            while next < bytes.count, bytes[next] == 0x20 || bytes[next] == 0x09 { next += 1 }
            let isKey = isTerminated && next < bytes.count && bytes[next] == UInt8(ascii: ":")
            output.append(UInt8(ascii: "\""))
            if isKey {
                let name = String(decoding: content, as: UTF8.self)
                if looksSecret(content) {
                    output.append(contentsOf: Array("<redacted>".utf8))
                } else {
                    content.forEach { appendPrintable($0, to: &output) }
                }
                lastKey = name.lowercased()
            } else {
                if let key = lastKey, secretNames.contains(key) || looksSecret(content) {
                    output.append(contentsOf: Array("<redacted>".utf8))
                } else if looksSecret(content) {
                    output.append(contentsOf: Array("<redacted>".utf8))
                } else {
                    content.forEach { appendPrintable($0, to: &output) }
                }
                lastKey = nil
            }
            if isTerminated {
                output.append(UInt8(ascii: "\""))
            }
            index = end + 1
        }
        output = redactWords(output)
        var text = String(decoding: output, as: UTF8.self)
        if text.count > maximumLength || line.count > window {
            text = String(text.prefix(maximumLength - 1)) + "…"
        }
        return text
    }

    /// Redacts secrets outside JSON strings, for lines that are not JSON: words that look like a
    /// credential or an e-mail address, and the value after a secret name written as
    /// `name=value`, `'name': 'value'` or `"name": value`.
    static func redactWords(_ text: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var index = 0
        var redactNext = false
        while index < text.count {
            guard isWordByte(text[index]) else {
                output.append(text[index])
                index += 1
                continue
            }
            var end = index
            while end < text.count, isWordByte(text[end]) { end += 1 }
            let word = Array(text[index..<end])
            var after = end
            while after < text.count, [0x20, 0x27, 0x22].contains(text[after]) { after += 1 }
            let isAssignment =
                after < text.count && (text[after] == UInt8(ascii: "=") || text[after] == UInt8(ascii: ":"))
            let name = String(decoding: word, as: UTF8.self).lowercased()
            let isMarker = index > 0 && text[index - 1] == UInt8(ascii: "<") && word == Array("redacted".utf8)
            if isMarker {
                output.append(contentsOf: word)
                redactNext = false
            } else if redactNext || looksSecret(word) {
                output.append(contentsOf: Array("<redacted>".utf8))
                redactNext = false
            } else {
                output.append(contentsOf: word)
                redactNext = isAssignment && secretNames.contains(name)
            }
            index = end
        }
        return output
    }

    /// Bytes that can be part of a credential, an e-mail address or a member name.
    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "@"), UInt8(ascii: "+"),
            UInt8(ascii: "/"), UInt8(ascii: "%"):
            return true
        default:
            return false
        }
    }

    /// Redacts a short identifier such as a member name shown in an error message.
    public static func identifier(_ text: String) -> String {
        looksSecret(Array(text.utf8)) ? "<redacted>" : text
    }

    /// Whether a string's content looks like a credential or personal data: an e-mail address, a
    /// key with a well-known prefix, a bearer token, or a long run without spaces.
    static func looksSecret(_ content: [UInt8]) -> Bool {
        let text = String(decoding: content, as: UTF8.self)
        if text.contains("@") {
            return true
        }
        let lowered = text.lowercased()
        for prefix in ["sk-", "sk_", "bearer ", "basic ", "ghp_", "xox", "aiza", "ya29.", "eyj"]
        where lowered.hasPrefix(prefix) {
            return true
        }
        return content.count >= 40 && !content.contains(0x20)
    }

    private static func appendPrintable(_ byte: UInt8, to output: inout [UInt8]) {
        if byte >= 0x20 && byte < 0x7F {
            output.append(byte)
        } else {
            let digits = Array("0123456789abcdef".utf8)
            output.append(contentsOf: [
                UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)],
            ])
        }
    }
}
