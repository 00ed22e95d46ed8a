/// Counts distinct ``RequestKey``s per group exactly, in bounded memory once it has a
/// ``SpillStorage``.
///
/// Keys are kept in one set per group and key case. When their estimated size passes
/// `memoryLimit` and storage was given, the kept keys are written, sorted, to a spill file of
/// their case and the sets are emptied. ``counts()`` then settles the files: it merges them with
/// the keys still kept and keeps each key once, in files that no other file repeats (see
/// ``SortedKeyRuns``). A key is looked up in those files through an index of their blocks, so a
/// later ``counts()`` reads the blocks of its new keys, not every key, and its cost grows with the
/// keys inserted since.
///
/// The estimate counts each kept key at its size in the set (8 bytes for ``RequestKey/packed``,
/// 40 for ``RequestKey/wide``, 16 for ``RequestKey/text`` plus the bytes of a string longer than
/// 15 bytes and its 32-byte heap header). A set's table, filled to between 3/8 and 3/4, takes
/// up to 2.7 times that, and briefly 4 times while it grows. A spill sorts a copy of the
/// kept keys. Settling keeps the first key of each 8 KiB block of the files in memory, which is
/// about 0.25 % of the files' bytes for packed keys. It also buffers 16 KiB for each file it
/// merges, at most 32.
/// Without storage the sets grow with the number of distinct keys.
///
/// Keys are equal as ``RequestKey`` values are: text compares as Swift strings, by canonical
/// equivalence, which also orders the files' text keys.
///
/// The files belong to the counter and its copies alike, so after a spill only one of them may
/// be used.
public struct DistinctKeyCounter {
    /// The default memory limit: 2 MiB of kept keys, about 260,000 packed request ids.
    public static let defaultMemoryLimit = 2 << 20

    private struct GroupKeys {
        var packed = IntegerKeySet()
        var wide: Set<WideHexKey> = []
        var text: Set<String> = []

        var count: Int { packed.count + wide.count + text.count }
    }

    private let memoryLimit: Int
    private let storage: (any SpillStorage)?
    private var groups: [GroupKeys] = []
    /// The estimated bytes of the keys in `groups`.
    private var keptBytes = 0
    private var packedRuns = SortedKeyRuns<PackedRecord>()
    private var wideRuns = SortedKeyRuns<WideRecord>()
    private var textRuns = SortedKeyRuns<TextRecord>()

    /// Creates an empty counter that spills to `storage` once its keys pass `memoryLimit`
    /// estimated bytes; with `nil` storage it never spills.
    public init(memoryLimit: Int = defaultMemoryLimit, storage: (any SpillStorage)?) {
        self.memoryLimit = memoryLimit
        self.storage = storage
    }

    /// Adds `key` to the keys of `group`, a number from 0 below 2^32; ``RequestKey/none`` is
    /// not counted.
    /// - Throws: the storage's error when a spill cannot be written.
    @inline(__always)
    public mutating func insert(_ key: RequestKey, group: Int) throws {
        if group >= groups.count {
            precondition(group >= 0 && group <= Int(UInt32.max), "group \(group) outside 0...UInt32.max")
            groups.append(contentsOf: repeatElement(GroupKeys(), count: group + 1 - groups.count))
        }
        switch key {
        case .none:
            return
        case .packed(let value):
            guard groups[group].packed.insert(value) else { return }
            keptBytes += MemoryLayout<UInt64>.stride
        case .wide(let value):
            guard groups[group].wide.insert(value).inserted else { return }
            keptBytes += MemoryLayout<WideHexKey>.stride
        case .text(let text):
            guard groups[group].text.insert(text).inserted else { return }
            keptBytes += Self.estimatedSize(of: text)
        }
        if keptBytes > memoryLimit, let storage {
            try packedRuns.spill(takePacked(), storage: storage)
            try wideRuns.spill(takeWide(), storage: storage)
            try textRuns.spill(takeText(), storage: storage)
            keptBytes = 0
        }
    }

    /// Returns the number of distinct keys of each group, indexed by group up to the highest
    /// group given to ``insert(_:group:)``.
    ///
    /// Counting changes no key, so it may be repeated and keys may be inserted after it: the next
    /// call counts every key inserted so far. Once the counter has spilled, a call settles the
    /// spill files and the kept keys, which empties the sets.
    /// - Throws: the storage's error, or ``SpillFileError``, when a spill file cannot be read back.
    public mutating func counts() throws -> [Int] {
        guard let storage, !(packedRuns.isEmpty && wideRuns.isEmpty && textRuns.isEmpty) else {
            return groups.map(\.count)
        }
        try packedRuns.settle(takePacked(), storage: storage)
        try wideRuns.settle(takeWide(), storage: storage)
        try textRuns.settle(takeText(), storage: storage)
        keptBytes = 0
        var result = Array(repeating: 0, count: groups.count)
        for counts in [packedRuns.counts, wideRuns.counts, textRuns.counts] {
            for (group, count) in counts.enumerated() {
                result[group] += count
            }
        }
        return result
    }

    /// Empties the sets of packed keys and returns their keys as sorted records.
    private mutating func takePacked() -> [PackedRecord] {
        var records: [PackedRecord] = []
        records.reserveCapacity(groups.reduce(0) { $0 + $1.packed.count })
        for group in groups.indices {
            records += groups[group].packed.keys.lazy.map { PackedRecord(group: UInt32(group), value: $0) }
            groups[group].packed = IntegerKeySet()
        }
        records.sort()
        return records
    }

    private mutating func takeWide() -> [WideRecord] {
        var records: [WideRecord] = []
        records.reserveCapacity(groups.reduce(0) { $0 + $1.wide.count })
        for group in groups.indices {
            records += groups[group].wide.lazy.map { WideRecord(group: UInt32(group), key: $0) }
            groups[group].wide = []
        }
        records.sort()
        return records
    }

    private mutating func takeText() -> [TextRecord] {
        var records: [TextRecord] = []
        records.reserveCapacity(groups.reduce(0) { $0 + $1.text.count })
        for group in groups.indices {
            records += groups[group].text.lazy.map { TextRecord(group: UInt32(group), text: $0) }
            groups[group].text = []
        }
        records.sort()
        return records
    }

    private static func estimatedSize(of text: String) -> Int {
        let count = text.utf8.count
        return MemoryLayout<String>.stride + (count > 15 ? count + 32 : 0)
    }
}
