import CCrypto

/// SHA-256 (FIPS 180-4) through OpenSSL's libcrypto, which picks its code for the CPU at run time.
/// Debian 12's libcrypto 3.0 contains a version that uses the x86 SHA extensions.
///
/// Copying a hasher copies its state, so the copy can be fed and finalized on its own.
public struct SHA256: Sendable {
    private var context = SHA256_CTX()

    /// Creates a hasher with the standard initial state.
    public init() {
        SHA256_Init(&context)
    }

    /// Feeds `bytes` into the hash.
    ///
    /// Contiguous collections (arrays, buffers, slices, native strings' UTF-8 views) are hashed
    /// straight from their storage; other sequences are copied into an array first.
    public mutating func update<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            update(UnsafeRawBufferPointer(buffer))
        }
        guard handled == nil else { return }
        let copy = Array(bytes)
        copy.withUnsafeBytes { update($0) }
    }

    /// Feeds one byte into the hash, without the array that a one-element collection would be
    /// copied into.
    public mutating func update(byte: UInt8) {
        var value = byte
        SHA256_Update(&context, &value, 1)
    }

    /// Feeds the bytes of `buffer` into the hash.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        SHA256_Update(&context, base, buffer.count)
    }

    /// Finishes the hash and returns the 32-byte digest. The hasher must not be fed afterwards.
    public mutating func finalize() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { digest, initializedCount in
            SHA256_Final(digest.baseAddress, &context)
            initializedCount = 32
        }
    }

    /// Finishes the hash and returns its first 16 bytes as two big-endian integers, without
    /// allocating the digest. The hasher must not be fed afterwards.
    public mutating func finalizeFirst128Bits() -> (high: UInt64, low: UInt64) {
        withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { digest in
            SHA256_Final(digest.baseAddress!.assumingMemoryBound(to: UInt8.self), &context)
            return (
                UInt64(bigEndian: digest.load(fromByteOffset: 0, as: UInt64.self)),
                UInt64(bigEndian: digest.load(fromByteOffset: 8, as: UInt64.self))
            )
        }
    }

    /// The SHA-256 digest of `bytes`.
    public static func hash<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The SHA-256 digest of `bytes` as 64 lowercase hex digits.
    public static func hexDigest<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        HexEncoding.encode(hash(bytes))
    }
}

/// Lowercase hexadecimal encoding and decoding.
public enum HexEncoding {
    private static let digits: StaticString = "0123456789abcdef"

    /// Encodes `bytes` as lowercase hex digits.
    public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        let array = bytes as? [UInt8] ?? Array(bytes)
        return array.withUnsafeBufferPointer { input in
            String(unsafeUninitializedCapacity: input.count * 2) { output in
                let table = digits.utf8Start
                for (index, byte) in input.enumerated() {
                    output[2 * index] = table[Int(byte >> 4)]
                    output[2 * index + 1] = table[Int(byte & 0x0F)]
                }
                return input.count * 2
            }
        }
    }

    /// Decodes hex digits of either case; `nil` for an odd length or a non-hex character.
    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 2)
        var index = 0
        while index < characters.count {
            guard let high = nibble(characters[index]), let low = nibble(characters[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    /// Returns the value of one hex digit of either case; `nil` for any other byte.
    static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
