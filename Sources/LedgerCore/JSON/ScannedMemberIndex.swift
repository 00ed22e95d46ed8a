import Glibc

/// An open-addressing hash table from a member's object and key to the member's index in the
/// member list of ``JSONMemberScanner``, so that a field lookup probes a slot or two instead of
/// comparing the name with every recorded key.
///
/// For a key that occurs more than once in one object, the table contains its last occurrence, the
/// one that ``JSONObject`` lookup returns. Keys are compared byte for byte. So a lookup by a
/// `String` name matches as `String` equality would only for keys without escapes and bytes
/// above 0x7F (``ScannedMember/isPlainKey``).
struct ScannedMemberIndex {
    /// Member indexes, -1 for an empty slot. Their count is a power of two.
    private(set) var slots: [Int32] = []

    /// Returns the member capacity of a table for `count` members: the smallest power of two
    /// that is at least 32 and at least `count`.
    static func capacity(forMembers count: Int) -> Int {
        var capacity = 32
        while capacity < count {
            capacity *= 2
        }
        return capacity
    }

    /// Empties the table, sizes it for at least `capacity` members, a value that
    /// ``capacity(forMembers:)`` returns, and calls `body` with its slots, into which
    /// ``insert(_:members:slots:bytes:)`` then adds at most half as many members as there are
    /// slots.
    mutating func withClearedSlots<Result>(
        capacity: Int, _ body: (UnsafeMutableBufferPointer<Int32>) -> Result
    ) -> Result {
        // At most half the slots are used, which keeps probe sequences short. A table up to 16
        // times larger than needed is kept, so that texts of alternating sizes allocate none.
        let count = 2 * capacity
        if slots.count < count || slots.count > 16 * count {
            slots = Array(repeating: -1, count: count)
        } else {
            // -1 is all bits set in every byte, so one memset empties the table.
            slots.withUnsafeMutableBytes { table in
                guard let base = table.baseAddress else { return }
                memset(base, 0xFF, table.count)
            }
        }
        return slots.withUnsafeMutableBufferPointer { slots in body(slots) }
    }

    /// Adds member `index` of `members`, whose keys are in `bytes`, to `slots`, where it replaces
    /// an earlier member of the same object with the same key.
    @inline(__always)
    static func insert(
        _ index: Int, members: UnsafeBufferPointer<ScannedMember>, slots: UnsafeMutableBufferPointer<Int32>,
        bytes: UnsafeBufferPointer<UInt8>
    ) {
        let mask = slots.count - 1
        let member = members[index]
        var slot = Self.slot(member.parent, keyHash: Self.keyHash(member.keyFingerprint), mask: mask)
        while true {
            let occupant = Int(slots[slot])
            if occupant < 0 || Self.isSameKey(members[occupant], member, bytes: bytes) {
                slots[slot] = Int32(truncatingIfNeeded: index)
                return
            }
            slot = (slot + 1) & mask
        }
    }

    /// Returns the index of the last member of the object `parent` (-1 for the top level) whose
    /// key bytes are `name`, or nil when there is none.
    static func lookup(
        _ name: UnsafeBufferPointer<UInt8>, parent: Int, slots: UnsafeBufferPointer<Int32>,
        members: UnsafeBufferPointer<ScannedMember>, bytes: UnsafeBufferPointer<UInt8>
    ) -> Int? {
        lookup(
            KeyFingerprint(name, from: 0, to: name.count), name: name, parent: parent, slots: slots, members: members,
            bytes: bytes)
    }

    /// Returns the index of the last member of the object `parent` whose key bytes are `name`, as
    /// ``lookup(_:parent:slots:members:bytes:)`` does, for a name whose fingerprint is computed.
    /// `name` is read only when the name is longer than ``KeyFingerprint/coveredLength``.
    @inline(__always)
    static func lookup(
        _ fingerprint: KeyFingerprint, name: UnsafeBufferPointer<UInt8>, parent: Int,
        slots: UnsafeBufferPointer<Int32>, members: UnsafeBufferPointer<ScannedMember>,
        bytes: UnsafeBufferPointer<UInt8>
    ) -> Int? {
        lookup(
            fingerprint, keyHash: keyHash(fingerprint), name: name, parent: parent, slots: slots, members: members,
            bytes: bytes)
    }

    /// Returns the index of the last member of the object `parent` whose key bytes are `name`, as
    /// ``lookup(_:name:parent:slots:members:bytes:)`` does, for a name whose ``keyHash(_:)`` is
    /// computed too, as ``FieldName`` stores it.
    @inline(__always)
    static func lookup(
        _ fingerprint: KeyFingerprint, keyHash: UInt64, name: UnsafeBufferPointer<UInt8>, parent: Int,
        slots: UnsafeBufferPointer<Int32>, members: UnsafeBufferPointer<ScannedMember>,
        bytes: UnsafeBufferPointer<UInt8>
    ) -> Int? {
        let mask = slots.count - 1
        var slot = Self.slot(parent, keyHash: keyHash, mask: mask)
        while true {
            let occupant = Int(slots[slot])
            if occupant < 0 {
                return nil
            }
            let member = members[occupant]
            if member.parent == parent, member.keyFingerprint == fingerprint,
                fingerprint.length <= KeyFingerprint.coveredLength
                    || Self.equalMiddle(bytes, from: member.keyStart, name, from: 0, count: fingerprint.length)
            {
                return occupant
            }
            slot = (slot + 1) & mask
        }
    }

    /// Returns the part of a slot's hash that depends on the key alone, which ``FieldName``
    /// computes once instead of on every lookup.
    @inline(__always)
    static func keyHash(_ fingerprint: KeyFingerprint) -> UInt64 {
        fingerprint.head ^ (fingerprint.tail &* 0xFF51_AFD7_ED55_8CCD) ^ UInt64(truncatingIfNeeded: fingerprint.length)
    }

    /// Returns the first slot to probe for a key of the object `parent`.
    @inline(__always)
    private static func slot(_ parent: Int, keyHash: UInt64, mask: Int) -> Int {
        let mixed = (keyHash ^ (UInt64(truncatingIfNeeded: parent &+ 1) &<< 40)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed >> 40) & mask
    }

    private static func isSameKey(
        _ stored: ScannedMember, _ new: ScannedMember, bytes: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        guard stored.parent == new.parent, stored.keyFingerprint == new.keyFingerprint else { return false }
        let length = new.keyFingerprint.length
        return length <= KeyFingerprint.coveredLength
            || equalMiddle(bytes, from: stored.keyStart, bytes, from: new.keyStart, count: length)
    }

    /// Compares the bytes of two keys of `count` bytes that the fingerprints do not cover.
    private static func equalMiddle(
        _ first: UnsafeBufferPointer<UInt8>, from firstStart: Int, _ second: UnsafeBufferPointer<UInt8>,
        from secondStart: Int, count: Int
    ) -> Bool {
        var offset = 8
        let end = count - 8
        while offset < end {
            guard first[firstStart + offset] == second[secondStart + offset] else { return false }
            offset += 1
        }
        return true
    }
}

/// A field name with the fingerprint of its bytes, computed once, so that a lookup of a fixed name
/// through ``ScannedFieldReader`` reads none of its bytes when it is at most
/// ``KeyFingerprint/coveredLength`` bytes long. The name is a `StaticString`, so that copying a
/// `FieldName` retains nothing.
struct FieldName: Sendable {
    let name: StaticString
    let fingerprint: KeyFingerprint
    /// The ``ScannedMemberIndex/keyHash(_:)`` of `fingerprint`.
    let keyHash: UInt64

    /// Creates the fingerprint of `name`, which must be a literal in UTF-8.
    init(_ name: StaticString) {
        self.name = name
        fingerprint = KeyFingerprint(name.utf8Bytes, from: 0, to: name.utf8CodeUnitCount)
        keyHash = ScannedMemberIndex.keyHash(fingerprint)
    }

    /// The name as a `String`, for a message or a lookup in a parsed tree.
    var string: String { name.description }
}

extension StaticString {
    /// The bytes of a literal in UTF-8.
    fileprivate var utf8Bytes: UnsafeBufferPointer<UInt8> {
        precondition(hasPointerRepresentation, "a field name must be a literal in UTF-8")
        return UnsafeBufferPointer(start: utf8Start, count: utf8CodeUnitCount)
    }
}

/// The length, the first 8 bytes and the last 8 bytes of a key: all of a key of at most
/// ``coveredLength`` bytes, so that such keys compare as three integers.
struct KeyFingerprint: Equatable, Sendable {
    /// The maximum length of a key whose bytes the fingerprint contains in full.
    static let coveredLength = 16

    var length: Int
    /// The first `min(length, 8)` bytes, little-endian, zero above them.
    var head: UInt64
    /// The last 8 bytes, little-endian, when `length` is above 8, else 0.
    var tail: UInt64

    init(length: Int, head: UInt64, tail: UInt64) {
        self.length = length
        self.head = head
        self.tail = tail
    }

    @inline(__always)
    init(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) {
        // The one check that makes every load below read inside `bytes`.
        precondition(start >= 0 && start <= end && end <= bytes.count)
        length = end - start
        if length > 8 {
            head = Self.load(bytes, at: start)
            tail = Self.load(bytes, at: end - 8)
        } else {
            tail = 0
            if start + 8 <= bytes.count {
                // Only the key's own bytes are kept. An empty key is handled apart, because it would
                // need a shift by 64.
                let shift = UInt64(8 - length) * 8
                head = length == 0 ? 0 : (Self.load(bytes, at: start) &<< shift) &>> shift
            } else {
                head = 0
                var index = end
                while index > start {
                    index -= 1
                    head = head << 8 | UInt64(bytes[index])
                }
            }
        }
    }

    /// Loads 8 bytes from `index`, which the caller has checked to be at most `bytes.count - 8`.
    private static func load(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt64 {
        UInt64(
            littleEndian: UnsafeRawPointer(bytes.baseAddress.unsafelyUnwrapped + index).loadUnaligned(as: UInt64.self))
    }
}
