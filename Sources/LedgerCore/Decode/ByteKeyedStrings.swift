import Glibc

/// A fixed-size table from byte strings, each with a one-byte tag, to `String` values, with two
/// slots per bucket. ``StringInterner`` and ``SecretIDCache`` keep their entries in one.
///
/// Each key is copied into memory of its own and compared in full, so a lookup reads no
/// reference-counted storage but the value that it returns. A new key goes to the first slot of
/// its bucket, and the key it displaces moves to the second, from which the next new key of the
/// bucket removes it. One thread at a time uses a table.
final class ByteKeyedStrings {
    private struct Slot {
        var fingerprint: UInt64 = 0
        var tag: UInt8 = 0
        /// The key's bytes, nil for an empty slot.
        var key: UnsafeMutableBufferPointer<UInt8>?
        var value = ""
    }

    /// The number of slots, a power of two.
    let slotCount: Int
    /// Nil until the first insertion, so that a table that is never filled allocates nothing.
    private var slots: UnsafeMutablePointer<Slot>?

    /// Creates an empty table of `slotCount` slots, a power of two of at least 2.
    init(slotCount: Int) {
        precondition(slotCount >= 2 && slotCount & (slotCount - 1) == 0)
        self.slotCount = slotCount
    }

    deinit {
        guard let slots else { return }
        for index in 0..<slotCount {
            slots[index].key?.deallocate()
        }
        slots.deinitialize(count: slotCount)
        slots.deallocate()
    }

    /// The number of slots that contain a key.
    var count: Int {
        guard let slots else { return 0 }
        return (0..<slotCount).count { slots[$0].key != nil }
    }

    /// Returns the value of `key` with `tag`, or nil when the table does not contain them.
    /// - Parameter fingerprint: ``fingerprint(_:)`` of `key`, or a value derived from it alone.
    func value(for key: UnsafeBufferPointer<UInt8>, tag: UInt8, fingerprint: UInt64) -> String? {
        guard let slots else { return nil }
        let first = Int(truncatingIfNeeded: fingerprint) & (slotCount - 2)
        if Self.matches(slots + first, key, tag: tag, fingerprint: fingerprint) {
            return slots[first].value
        }
        if Self.matches(slots + first + 1, key, tag: tag, fingerprint: fingerprint) {
            return slots[first + 1].value
        }
        return nil
    }

    /// Adds `value` for `key` with `tag`, which the table must not contain yet.
    func insert(_ value: String, for key: UnsafeBufferPointer<UInt8>, tag: UInt8, fingerprint: UInt64) {
        let slots = self.slots ?? makeSlots()
        let first = Int(truncatingIfNeeded: fingerprint) & (slotCount - 2)
        slots[first + 1].key?.deallocate()
        (slots + first + 1).update(from: slots + first, count: 1)
        let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: key.count)
        if let base = key.baseAddress, let copyBase = copy.baseAddress, !key.isEmpty {
            copyBase.initialize(from: base, count: key.count)
        }
        slots[first] = Slot(fingerprint: fingerprint, tag: tag, key: copy, value: value)
    }

    private func makeSlots() -> UnsafeMutablePointer<Slot> {
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: slotCount)
        slots.initialize(repeating: Slot(), count: slotCount)
        self.slots = slots
        return slots
    }

    private static func matches(
        _ slot: UnsafeMutablePointer<Slot>, _ key: UnsafeBufferPointer<UInt8>, tag: UInt8, fingerprint: UInt64
    ) -> Bool {
        guard slot.pointee.fingerprint == fingerprint, slot.pointee.tag == tag, let stored = slot.pointee.key,
            stored.count == key.count
        else { return false }
        guard let storedBase = stored.baseAddress, let base = key.baseAddress, !key.isEmpty else { return true }
        return memcmp(storedBase, base, key.count) == 0
    }

    /// Returns a 64-bit hash of the bytes and their count, read 8 bytes at a time.
    static func fingerprint(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bytes.count)
        var index = 0
        if let base = bytes.baseAddress {
            while index + 8 <= bytes.count {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                hash = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
                hash ^= hash >> 32
                index += 8
            }
        }
        while index < bytes.count {
            hash = (hash ^ UInt64(bytes[index])) &* 0x0000_0100_0000_01b3
            index += 1
        }
        // The final mix of MurmurHash3, because a multiplication moves a difference only into
        // higher bits and the table takes its bucket from the lowest ones.
        hash = (hash ^ (hash >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        hash = (hash ^ (hash >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return hash ^ (hash >> 33)
    }
}

/// A byte string of at most ``maximumLength`` bytes held as its length and four 8-byte words, so
/// that two keys compare as five integers, without a call to `memcmp`.
///
/// Keys of up to 16 bytes keep their first and last 8 bytes, as ``KeyFingerprint`` does, and zero
/// in the other two words. Longer keys keep their first and last 16 bytes, which overlap for keys
/// shorter than 32 bytes. Either way the words and the length determine every byte, so equal
/// keys are equal byte strings.
struct ShortKey: Equatable {
    static let maximumLength = 32

    var length: Int
    var first: UInt64
    var second: UInt64
    var third: UInt64
    var fourth: UInt64

    /// Creates the key of `bytes`, which must be at most ``maximumLength`` bytes long.
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        let count = bytes.count
        precondition(count <= Self.maximumLength)
        length = count
        if count <= KeyFingerprint.coveredLength {
            let fingerprint = KeyFingerprint(bytes, from: 0, to: count)
            first = fingerprint.head
            second = fingerprint.tail
            third = 0
            fourth = 0
        } else {
            // At least 17 bytes, so every load below reads inside `bytes`.
            let base = UnsafeRawPointer(bytes.baseAddress.unsafelyUnwrapped)
            first = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
            second = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            third = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: count - 16, as: UInt64.self))
            fourth = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
        }
    }

    /// Returns a hash of the key and `tag`, mixed into its bits from 40 up, which select a bucket.
    func hash(tag: UInt8) -> UInt64 {
        var mixed = first ^ (second &* 0xFF51_AFD7_ED55_8CCD) ^ (third &* 0xC4CE_B9FE_1A85_EC53) ^ fourth.byteSwapped
        mixed ^= UInt64(truncatingIfNeeded: length) ^ (UInt64(tag) &<< 32)
        // A multiplication moves a difference only into higher bits, so the high half is folded
        // into the low one before the last multiplication.
        mixed = (mixed ^ (mixed >> 32)) &* 0x9E37_79B9_7F4A_7C15
        return mixed
    }
}

/// A fixed-size table of at most 2^24 slots, two per bucket, from keys of at most
/// ``ShortKey/maximumLength`` bytes, each with a one-byte tag, to `String` values. For short keys
/// it saves the hash over all bytes and the `memcmp` of ``ByteKeyedStrings``.
///
/// A new key goes to the first slot of its bucket, and the key it displaces moves to the second,
/// from which the next new key of the bucket removes it. One thread at a time uses a table.
final class ShortKeyedStrings {
    private struct Slot {
        /// The key, with a length of -1 in an empty slot.
        var key = ShortKey(length: -1)
        var tag: UInt8 = 0
        var value = ""
    }

    /// The number of slots, a power of two.
    let slotCount: Int
    /// Nil until the first insertion, so that a table that is never filled allocates nothing.
    private var slots: UnsafeMutablePointer<Slot>?

    /// Creates an empty table of `slotCount` slots, a power of two from 2 to 2^24.
    init(slotCount: Int) {
        precondition(slotCount >= 2 && slotCount <= 1 << 24 && slotCount & (slotCount - 1) == 0)
        self.slotCount = slotCount
    }

    deinit {
        guard let slots else { return }
        slots.deinitialize(count: slotCount)
        slots.deallocate()
    }

    /// The number of slots that contain a key.
    var count: Int {
        guard let slots else { return 0 }
        return (0..<slotCount).count { slots[$0].key.length >= 0 }
    }

    /// Returns the value of `key` with `tag`, or nil when the table does not contain them.
    @inline(__always)
    func value(for key: ShortKey, tag: UInt8) -> String? {
        guard let slots else { return nil }
        let first = bucket(key, tag: tag)
        if slots[first].key == key, slots[first].tag == tag {
            return slots[first].value
        }
        if slots[first + 1].key == key, slots[first + 1].tag == tag {
            return slots[first + 1].value
        }
        return nil
    }

    /// Adds `value` for `key` with `tag`, which the table must not contain yet.
    func insert(_ value: String, for key: ShortKey, tag: UInt8) {
        let slots = self.slots ?? makeSlots()
        let first = bucket(key, tag: tag)
        slots[first + 1] = slots[first]
        slots[first] = Slot(key: key, tag: tag, value: value)
    }

    /// Returns the index of the first slot of the bucket of `key` with `tag`.
    @inline(__always)
    private func bucket(_ key: ShortKey, tag: UInt8) -> Int {
        Int(truncatingIfNeeded: key.hash(tag: tag) >> 40) & (slotCount - 2)
    }

    private func makeSlots() -> UnsafeMutablePointer<Slot> {
        let slots = UnsafeMutablePointer<Slot>.allocate(capacity: slotCount)
        slots.initialize(repeating: Slot(), count: slotCount)
        self.slots = slots
        return slots
    }
}

extension ShortKey {
    /// Creates the key that marks an empty slot, whose length no byte string has.
    fileprivate init(length: Int) {
        self.length = length
        first = 0
        second = 0
        third = 0
        fourth = 0
    }
}
