/// A set of 64-bit integers in one open-addressing table with linear probing, for the keys a
/// fold counts on every row.
///
/// Slots are hashed with a seeded SplitMix64 finalizer, a few multiplies where `Set<UInt64>` runs
/// SipHash, and the seed is drawn per table, so the slots of given keys change from run to run.
/// Like `Set`, the table is kept between 3/8 and 3/4 full once it has keys, so at 8 bytes per
/// slot it takes up to 2.7 times the keys' 8 bytes. Iteration order depends on the seed, so
/// callers sort what they read.
///
/// NOTE: the seeded finalizer is not a keyed hash like SipHash, so keys crafted against it may
/// still collide more often than in `Set`.
struct IntegerKeySet {
    /// The keys by slot. 0 marks an empty slot, so the key 0 is kept in `containsZero`.
    private var slots: [UInt64] = []
    private var containsZero = false
    private let seed = UInt64.random(in: .min ... .max)
    /// The number of keys.
    private(set) var count = 0

    /// Adds `key` and returns whether it was new.
    @inline(__always)
    mutating func insert(_ key: UInt64) -> Bool {
        guard key != 0 else {
            defer { containsZero = true }
            if !containsZero {
                count += 1
            }
            return !containsZero
        }
        if (count + 1) * 4 > slots.count * 3 {
            grow()
        }
        let mask = slots.count - 1
        var slot = IntegerKeyHash.slot(of: key, seed: seed, mask: mask)
        while true {
            let stored = slots[slot]
            if stored == key {
                return false
            }
            if stored == 0 {
                slots[slot] = key
                count += 1
                return true
            }
            slot = (slot + 1) & mask
        }
    }

    /// Every key, in no particular order.
    var keys: [UInt64] {
        var keys = slots.filter { $0 != 0 }
        if containsZero {
            keys.append(0)
        }
        return keys
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: max(16, old.count * 2))
        let mask = slots.count - 1
        for key in old where key != 0 {
            var slot = IntegerKeyHash.slot(of: key, seed: seed, mask: mask)
            while slots[slot] != 0 {
                slot = (slot + 1) & mask
            }
            slots[slot] = key
        }
    }
}

/// Counts of 64-bit integers in one open-addressing table with linear probing, hashed as in
/// ``IntegerKeySet``. A slot takes 16 bytes and the table is kept between 3/8 and 3/4 full, so
/// each distinct key takes 21 to 43 bytes.
struct IntegerCountTable {
    private var keys: [Int64] = []
    /// The count of each slot's key, 0 for an empty slot.
    private var counts: [Int] = []
    private let seed = UInt64.random(in: .min ... .max)
    /// The number of distinct keys.
    private(set) var distinctCount = 0

    /// Counts one more occurrence of `key`.
    @inline(__always)
    mutating func add(_ key: Int64) {
        if (distinctCount + 1) * 4 > counts.count * 3 {
            grow()
        }
        let mask = counts.count - 1
        var slot = IntegerKeyHash.slot(of: UInt64(bitPattern: key), seed: seed, mask: mask)
        while counts[slot] != 0 {
            if keys[slot] == key {
                counts[slot] += 1
                return
            }
            slot = (slot + 1) & mask
        }
        keys[slot] = key
        counts[slot] = 1
        distinctCount += 1
    }

    /// Every key with its count, in no particular order.
    var entries: [(key: Int64, count: Int)] {
        var entries: [(key: Int64, count: Int)] = []
        entries.reserveCapacity(distinctCount)
        for slot in counts.indices where counts[slot] != 0 {
            entries.append((keys[slot], counts[slot]))
        }
        return entries
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldCounts = counts
        let size = max(16, counts.count * 2)
        keys = [Int64](repeating: 0, count: size)
        counts = [Int](repeating: 0, count: size)
        let mask = size - 1
        for slot in oldCounts.indices where oldCounts[slot] != 0 {
            var target = IntegerKeyHash.slot(of: UInt64(bitPattern: oldKeys[slot]), seed: seed, mask: mask)
            while counts[target] != 0 {
                target = (target + 1) & mask
            }
            keys[target] = oldKeys[slot]
            counts[target] = oldCounts[slot]
        }
    }
}

private enum IntegerKeyHash {
    /// Returns the slot of `key`, the SplitMix64 finalizer of `key ^ seed` masked to the table.
    @inline(__always)
    static func slot(of key: UInt64, seed: UInt64, mask: Int) -> Int {
        var value = key ^ seed
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        value ^= value >> 31
        return Int(truncatingIfNeeded: value) & mask
    }
}
