/// Counts distinct ``RequestKey``s per group exactly, in bounded memory once it has a
/// ``SpillStorage``.
///
/// Keys are kept in one set per group and key case. When their estimated size passes
/// `memoryLimit` and storage was given, every kept key is appended to one of ``partitionCount``
/// temporary files, chosen by a hash of the group and the key, and the sets are emptied. A later
/// spill may write a key again, but equal keys always land in the same file. So ``counts()``
/// counts each file on its own, with a counter of the next level whose hash has another seed: a
/// file whose distinct keys pass the limit again is split in turn. Memory then stays near the
/// limit, whatever the number of keys.
///
/// The estimate counts each kept key at its size in the set (8 bytes for ``RequestKey/packed``,
/// 40 for ``RequestKey/wide``, 16 for ``RequestKey/text`` plus the bytes of a string longer than
/// 15 bytes and its 32-byte heap header). A Swift set's table, filled to between 3/8 and 3/4,
/// takes up to 2.7 times that, and briefly 4 times while it grows. Each level that spills adds its
/// write buffers (``partitionCount`` × 16 KiB). Without storage the sets grow with the number of
/// distinct keys.
///
/// A copy of a counter that has spilled shares its files, so only one of the two may be used after that.
///
/// Keys are equal as ``RequestKey`` values are: text compares as Swift strings, by canonical
/// equivalence, and its file is chosen by the string's `Hasher` hash, which agrees with that.
public struct DistinctKeyCounter {
    /// The default memory limit: 2 MiB of kept keys, about 260,000 packed request ids.
    public static let defaultMemoryLimit = 2 << 20
    /// Temporary files per level.
    public static let partitionCount = 32
    /// Counters of this level keep every key in memory instead of spilling. Each level divides
    /// the keys by about ``partitionCount``, so this level keeps more keys than the limit only
    /// when level 0 had about 32^4 (a million) times as many.
    static let maximumLevel = 4

    private struct GroupKeys {
        var packed: Set<UInt64> = []
        var wide: Set<WideHexKey> = []
        var text: Set<String> = []

        var count: Int { packed.count + wide.count + text.count }
    }

    private let memoryLimit: Int
    private let storage: (any SpillStorage)?
    /// 0 for the counter a caller creates, one more for each split of a spill file.
    private let level: Int
    private var groups: [GroupKeys] = []
    /// The estimated bytes of the keys in `groups`.
    private var keptBytes = 0
    /// The temporary files, created at the first spill and kept until the counter is released.
    private var partitions: [SpillPartition] = []

    /// Creates an empty counter that spills to `storage` once its keys pass `memoryLimit`
    /// estimated bytes; with `nil` storage it never spills.
    public init(memoryLimit: Int = defaultMemoryLimit, storage: (any SpillStorage)?) {
        self.init(memoryLimit: memoryLimit, storage: storage, level: 0)
    }

    private init(memoryLimit: Int, storage: (any SpillStorage)?, level: Int) {
        self.memoryLimit = memoryLimit
        self.storage = storage
        self.level = level
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
            guard groups[group].packed.insert(value).inserted else { return }
            keptBytes += MemoryLayout<UInt64>.stride
        case .wide(let value):
            guard groups[group].wide.insert(value).inserted else { return }
            keptBytes += MemoryLayout<WideHexKey>.stride
        case .text(let text):
            guard groups[group].text.insert(text).inserted else { return }
            keptBytes += Self.estimatedSize(of: text)
        }
        if keptBytes > memoryLimit, storage != nil, level < Self.maximumLevel {
            try spill()
        }
    }

    /// Returns the number of distinct keys of each group, indexed by group up to the highest
    /// group given to ``insert(_:group:)``.
    ///
    /// Counting changes no key, so it may be repeated and keys may be inserted after it: the next
    /// call counts every key inserted so far. Once the counter has spilled, a call moves the kept
    /// keys to the files and counts again each file that grew since the previous call. The other
    /// files keep their counts.
    /// - Throws: the storage's error, or ``SpillFileError``, when a spill file cannot be read back.
    public mutating func counts() throws -> [Int] {
        guard !partitions.isEmpty else { return groups.map(\.count) }
        try spill()
        var result = Array(repeating: 0, count: groups.count)
        for index in partitions.indices {
            try partitions[index].flush()
            if partitions[index].countedSize != partitions[index].size {
                // Equal keys share this file, so its distinct keys add to the other files' without overlap.
                var nested = DistinctKeyCounter(memoryLimit: memoryLimit, storage: storage, level: level + 1)
                var reader = SpillReader(file: partitions[index].file, size: partitions[index].size)
                while let (group, key) = try reader.next() {
                    try nested.insert(key, group: group)
                }
                partitions[index].counts = try nested.counts()
                partitions[index].countedSize = partitions[index].size
            }
            for (group, count) in partitions[index].counts.enumerated() {
                result[group] += count
            }
        }
        return result
    }

    /// Moves every kept key into the partition files and empties the sets.
    private mutating func spill() throws {
        guard let storage else { return }
        if partitions.isEmpty {
            for _ in 0..<Self.partitionCount {
                partitions.append(SpillPartition(file: try storage.makeFile()))
            }
        }
        for group in groups.indices {
            let keys = groups[group]
            groups[group] = GroupKeys()
            for value in keys.packed {
                try write(.packed(value), group: group)
            }
            for value in keys.wide {
                try write(.wide(value), group: group)
            }
            for text in keys.text {
                try write(.text(text), group: group)
            }
        }
        keptBytes = 0
    }

    private mutating func write(_ key: RequestKey, group: Int) throws {
        let index = Int(partitionHash(key, group: group) % UInt64(Self.partitionCount))
        try partitions[index].append(key, group: UInt32(group))
    }

    /// Returns a hash of the group and the key, seeded by the level, so that the keys of one file
    /// spread over all files of the next level. Hex keys are mixed directly, which is cheaper than
    /// `Hasher`. Text goes through `Hasher`, whose string hash agrees with canonical equivalence.
    private func partitionHash(_ key: RequestKey, group: Int) -> UInt64 {
        let seed = Self.mixed(UInt64(level) << 32 ^ UInt64(group))
        switch key {
        case .none:
            return seed
        case .packed(let value):
            return Self.mixed(seed ^ value)
        case .wide(let value):
            var hash = Self.mixed(seed ^ value.first)
            hash = Self.mixed(hash ^ value.second)
            hash = Self.mixed(hash ^ value.third)
            return Self.mixed(hash ^ value.fourth ^ UInt64(value.shape) << 48)
        case .text(let text):
            var hasher = Hasher()
            hasher.combine(seed)
            hasher.combine(text)
            return UInt64(UInt(bitPattern: hasher.finalize()))
        }
    }

    /// Returns `value` through the finalizer of SplitMix64, a bijection on 64 bits whose every
    /// output bit depends on every input bit.
    private static func mixed(_ value: UInt64) -> UInt64 {
        var bits = value
        bits = (bits ^ bits >> 30) &* 0xBF58_476D_1CE4_E5B9
        bits = (bits ^ bits >> 27) &* 0x94D0_49BB_1331_11EB
        return bits ^ bits >> 31
    }

    private static func estimatedSize(of text: String) -> Int {
        let count = text.utf8.count
        return MemoryLayout<String>.stride + (count > 15 ? count + 32 : 0)
    }
}

/// The record kinds of a spill file. A record is the kind byte, the group as a little-endian
/// `UInt32`, then the key: a `UInt64` for packed, four `UInt64` and a `UInt16` for wide, a
/// `UInt32` length and the UTF-8 bytes for text, all little-endian.
private enum SpillRecordKind: UInt8 {
    case packed = 1
    case wide = 2
    case text = 3
}

/// One partition file and the records not yet written to it.
private struct SpillPartition {
    /// Buffered bytes are written once they reach this size.
    static let flushSize = 16 << 10

    let file: any SpillFile
    var buffer: [UInt8] = []
    /// Bytes written to the file so far.
    var size = 0
    /// The size of the file when its distinct keys were last counted, -1 before that.
    var countedSize = -1
    /// The distinct keys of the file per group, as counted at `countedSize` bytes.
    var counts: [Int] = []

    init(file: any SpillFile) {
        self.file = file
        buffer.reserveCapacity(Self.flushSize + 64)
    }

    mutating func append(_ key: RequestKey, group: UInt32) throws {
        switch key {
        case .none:
            return
        case .packed(let value):
            buffer.append(SpillRecordKind.packed.rawValue)
            buffer.appendLittleEndian(group)
            buffer.appendLittleEndian(value)
        case .wide(let value):
            buffer.append(SpillRecordKind.wide.rawValue)
            buffer.appendLittleEndian(group)
            buffer.appendLittleEndian(value.first)
            buffer.appendLittleEndian(value.second)
            buffer.appendLittleEndian(value.third)
            buffer.appendLittleEndian(value.fourth)
            buffer.appendLittleEndian(value.shape)
        case .text(let text):
            buffer.append(SpillRecordKind.text.rawValue)
            buffer.appendLittleEndian(group)
            buffer.appendLittleEndian(UInt32(text.utf8.count))
            buffer.append(contentsOf: text.utf8)
        }
        if buffer.count >= Self.flushSize {
            try flush()
        }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try file.append($0) }
        size += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Reads the records of one partition file in order, through a buffer of at least 64 KiB.
private struct SpillReader {
    static let chunkSize = 64 << 10

    let file: any SpillFile
    /// The file's size in bytes.
    let size: Int
    /// The file offset after the last byte read into `buffer`.
    private var offset = 0
    private var buffer: [UInt8] = []
    /// The first unread byte of `buffer`.
    private var position = 0

    init(file: any SpillFile, size: Int) {
        self.file = file
        self.size = size
    }

    /// Returns the next record; `nil` at the end of the file.
    /// - Throws: ``SpillFileError`` when the file ends inside a record, and read errors.
    mutating func next() throws -> (group: Int, key: RequestKey)? {
        guard try fill(5) else {
            if position == buffer.count { return nil }
            throw SpillFileError(size: size)
        }
        let kind = SpillRecordKind(rawValue: buffer[position])
        let group = Int(load(UInt32.self, at: position + 1))
        position += 5
        let key: RequestKey
        switch kind {
        case .packed:
            guard try fill(8) else { throw SpillFileError(size: size) }
            key = .packed(load(UInt64.self, at: position))
            position += 8
        case .wide:
            guard try fill(34) else { throw SpillFileError(size: size) }
            key = .wide(
                WideHexKey(
                    first: load(UInt64.self, at: position), second: load(UInt64.self, at: position + 8),
                    third: load(UInt64.self, at: position + 16), fourth: load(UInt64.self, at: position + 24),
                    shape: load(UInt16.self, at: position + 32)))
            position += 34
        case .text:
            guard try fill(4) else { throw SpillFileError(size: size) }
            let length = Int(load(UInt32.self, at: position))
            position += 4
            guard try fill(length) else { throw SpillFileError(size: size) }
            key = .text(String(decoding: buffer[position..<position + length], as: UTF8.self))
            position += length
        case nil:
            throw SpillFileError(size: size)
        }
        return (group, key)
    }

    /// Makes at least `count` unread bytes available; returns `false` when the file ends first.
    private mutating func fill(_ count: Int) throws -> Bool {
        if buffer.count - position >= count { return true }
        buffer.removeFirst(position)
        position = 0
        while buffer.count < count, offset < size {
            let start = buffer.count
            let requested = max(count - start, Self.chunkSize)
            buffer.append(contentsOf: repeatElement(0, count: requested))
            let read = try buffer.withUnsafeMutableBytes { bytes in
                try file.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[start...]), at: offset)
            }
            buffer.removeLast(requested - read)
            if read == 0 { break }
            offset += read
        }
        return buffer.count >= count
    }

    private func load<Value: FixedWidthInteger>(_: Value.Type, at index: Int) -> Value {
        Value(littleEndian: buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: index, as: Value.self) })
    }
}

extension [UInt8] {
    fileprivate mutating func appendLittleEndian<Value: FixedWidthInteger>(_ value: Value) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
