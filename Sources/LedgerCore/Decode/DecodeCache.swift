/// State that ``LineDecoder`` reuses from one line to the next: the scanner's member buffer, the
/// `String`s of repeated field values and the ids of repeated secrets.
///
/// It changes no result: a line decodes to the same events with a fresh cache or an old one.
/// One cache serves one decoding thread at a time.
public final class DecodeCache {
    var scanner = JSONMemberScanner()
    // Classes, so that their lookups run without the run-time exclusivity checks that a
    // mutating method on a stored property of this class would need.
    let strings = StringInterner()
    let secretIDs = SecretIDCache()

    /// Creates an empty cache.
    public init() {}
}

/// A fixed-size table from the UTF-8 bytes of short field values (provider, model, executor
/// type) to their `String`, so that repeated values are neither validated nor allocated again.
final class StringInterner {
    /// Values longer than this many bytes are not kept.
    static let maximumLength = 64
    /// Values of at most ``ShortKey/maximumLength`` bytes, such as most provider and model names.
    private let shortTable = ShortKeyedStrings(slotCount: 1024)
    private let table = ByteKeyedStrings(slotCount: 1024)

    /// The `String` of `bytes`, which must be valid UTF-8.
    func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if bytes.count <= ShortKey.maximumLength {
            let key = ShortKey(bytes)
            if let text = shortTable.value(for: key, tag: 0) {
                return text
            }
            let text = String(decoding: bytes, as: UTF8.self)
            shortTable.insert(text, for: key, tag: 0)
            return text
        }
        guard bytes.count <= Self.maximumLength else {
            return String(decoding: bytes, as: UTF8.self)
        }
        let fingerprint = ByteKeyedStrings.fingerprint(bytes)
        if let text = table.value(for: bytes, tag: 0, fingerprint: fingerprint) {
            return text
        }
        let text = String(decoding: bytes, as: UTF8.self)
        table.insert(text, for: bytes, tag: 0, fingerprint: fingerprint)
        return text
    }
}

/// A small fixed-size table from secrets to their ids, because the same few client keys and
/// accounts recur on most lines.
///
/// It keeps the clear secret bytes of at most ``slotCount`` entries in each of its two tables in
/// memory, as the line buffer does, to compare them in full: a shorter fingerprint could map two
/// secrets onto one id. It never writes, logs or prints them.
final class SecretIDCache: CustomStringConvertible {
    /// The number of entries kept.
    static let slotCount = 1024
    /// Secrets longer than this many bytes are hashed every time and not kept.
    static let maximumLength = 512
    /// Secrets of at most ``ShortKey/maximumLength`` bytes.
    private let shortTable = ShortKeyedStrings(slotCount: slotCount)
    private let table = ByteKeyedStrings(slotCount: slotCount)

    /// Returns the id of the secret whose UTF-8 bytes are `value`.
    func id(utf8 value: UnsafeBufferPointer<UInt8>, kind: SecretHasher.Kind) -> String {
        let tag: UInt8 = kind == .account ? 1 : 0
        if value.count <= ShortKey.maximumLength {
            let key = ShortKey(value)
            if let id = shortTable.value(for: key, tag: tag) {
                return id
            }
            let id = SecretHasher.id(utf8: value, kind: kind)
            shortTable.insert(id, for: key, tag: tag)
            return id
        }
        guard value.count <= Self.maximumLength else {
            return SecretHasher.id(utf8: value, kind: kind)
        }
        // Kinds take different buckets, so that an account and a client key with the same value
        // do not displace each other.
        var fingerprint = ByteKeyedStrings.fingerprint(value)
        if kind == .account {
            fingerprint = ~fingerprint
        }
        if let id = table.value(for: value, tag: tag, fingerprint: fingerprint) {
            return id
        }
        let id = SecretHasher.id(utf8: value, kind: kind)
        table.insert(id, for: value, tag: tag, fingerprint: fingerprint)
        return id
    }

    /// The number of entries, never their contents.
    var description: String {
        "SecretIDCache(\(shortTable.count + table.count) entries)"
    }
}
