/// One-way identifiers for secret or personal values.
///
/// The derivations match the ids in CLIProxyAPI's accounting events, so events from both shapes
/// group together without either side storing the secret.
public enum SecretHasher {
    /// The kinds of secret, each with its own hash prefix.
    public enum Kind: Sendable {
        /// A client API key: `sha256("client\0" + key)`.
        case client
        /// An upstream account, e-mail or key: `sha256("account\0" + source)`.
        case account

        var prefix: StaticString {
            switch self {
            case .client: return "client\0"
            case .account: return "account\0"
            }
        }
    }

    /// `sha256("client\0" + key)` in hex: the id of a client API key.
    public static func clientKeyID(_ key: String) -> String {
        id(of: key, kind: .client)
    }

    /// `sha256("account\0" + source)` in hex: the id of an upstream account, e-mail or key.
    public static func accountID(_ source: String) -> String {
        id(of: source, kind: .account)
    }

    /// Returns the id of the secret `value`, hashed with the prefix of `kind`.
    public static func id(of value: String, kind: Kind) -> String {
        var hasher = SHA256()
        hasher.update(UnsafeRawBufferPointer(start: kind.prefix.utf8Start, count: kind.prefix.utf8CodeUnitCount))
        hasher.update(value.utf8)
        return HexEncoding.encode(hasher.finalize())
    }

    /// Returns the id of the secret whose UTF-8 bytes are `value`, hashed with the prefix of `kind`.
    public static func id(utf8 value: UnsafeBufferPointer<UInt8>, kind: Kind) -> String {
        var hasher = SHA256()
        hasher.update(UnsafeRawBufferPointer(start: kind.prefix.utf8Start, count: kind.prefix.utf8CodeUnitCount))
        hasher.update(UnsafeRawBufferPointer(value))
        return HexEncoding.encode(hasher.finalize())
    }
}

/// Standard base64 decoding (RFC 4648 §4, padding optional), as some OTLP producers write ids.
public enum Base64 {
    /// Decodes `text`; `nil` when it contains a character outside the alphabet or a bad length.
    public static func decode(_ text: String) -> [UInt8]? {
        var bits: UInt32 = 0
        var bitCount = 0
        var bytes: [UInt8] = []
        var padding = 0
        for character in text.utf8 {
            let value: UInt32
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(character - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(character - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(character - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"), UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            default:
                return nil
            }
            guard padding == 0 else { return nil }
            bits = bits << 6 | value
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(bitCount)))
            }
        }
        guard bitCount < 6, padding <= 2 else { return nil }
        return bytes
    }
}
