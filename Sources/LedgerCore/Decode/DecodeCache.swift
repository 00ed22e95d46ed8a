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
    private struct Entry {
        var bytes: [UInt8]
        var text: String
    }

    /// Values longer than this many bytes are not kept.
    static let maximumLength = 64
    private static let slotCount = 1024
    /// Empty until the first lookup, so that a cache that decodes no usage-queue line allocates no table.
    private var slots: [Entry?] = []

    /// The `String` of `bytes`, which must be valid UTF-8.
    func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.count <= Self.maximumLength else {
            return String(decoding: bytes, as: UTF8.self)
        }
        if slots.isEmpty {
            slots = Array(repeating: nil, count: Self.slotCount)
        }
        let slot = Int(truncatingIfNeeded: Self.fingerprint(bytes)) & (Self.slotCount - 1)
        if let entry = slots[slot], entry.bytes.hasSameBytes(as: bytes) {
            return entry.text
        }
        let text = String(decoding: bytes, as: UTF8.self)
        slots[slot] = Entry(bytes: Array(bytes), text: text)
        return text
    }

    /// FNV-1a over the bytes and their count.
    static func fingerprint(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bytes.count)
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash ^ (hash >> 29)
    }
}

/// A small fixed-size table from secrets to their ids, because the same few client keys and
/// accounts recur on most lines.
///
/// It keeps the clear secret bytes of at most ``slotCount`` entries in memory, as the line
/// buffer does, to compare them in full: a shorter fingerprint could map two secrets onto one
/// id. It never writes, logs or prints them.
final class SecretIDCache: CustomStringConvertible {
    private struct Entry {
        var kind: SecretHasher.Kind
        var secret: [UInt8]
        var id: String
    }

    /// The number of entries kept.
    static let slotCount = 256
    /// Secrets longer than this many bytes are hashed every time and not kept.
    static let maximumLength = 512
    /// Empty until the first lookup, so that a cache that decodes no usage-queue line allocates no table.
    private var slots: [Entry?] = []

    /// Returns the id of the secret whose UTF-8 bytes are `value`.
    func id(utf8 value: UnsafeBufferPointer<UInt8>, kind: SecretHasher.Kind) -> String {
        guard value.count <= Self.maximumLength else {
            return SecretHasher.id(utf8: value, kind: kind)
        }
        var fingerprint = StringInterner.fingerprint(value)
        if kind == .account {
            fingerprint = ~fingerprint
        }
        if slots.isEmpty {
            slots = Array(repeating: nil, count: Self.slotCount)
        }
        let slot = Int(truncatingIfNeeded: fingerprint) & (Self.slotCount - 1)
        if let entry = slots[slot], entry.kind == kind, entry.secret.hasSameBytes(as: value) {
            return entry.id
        }
        let id = SecretHasher.id(utf8: value, kind: kind)
        slots[slot] = Entry(kind: kind, secret: Array(value), id: id)
        return id
    }

    /// The number of entries, never their contents.
    var description: String {
        "SecretIDCache(\(slots.count { $0 != nil }) entries)"
    }
}
