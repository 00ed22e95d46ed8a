/// A key of one group as a record of a spill file: the group as a little-endian `UInt32`, then
/// the key. Records order by group, then key.
protocol SpillRecord: Comparable {
    /// The group the key was counted in.
    var group: UInt32 { get }
    /// The size of the record in memory and in a file, for the memory estimate.
    var estimatedSize: Int { get }

    /// Appends the record's bytes to `buffer`.
    func write(to buffer: inout [UInt8])

    /// Reads the record that starts at `offset`; returns `nil` when `bytes` end inside it.
    static func read(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> (record: Self, size: Int)?
}

/// A packed hex key: 12 bytes.
struct PackedRecord: SpillRecord {
    var group: UInt32
    var value: UInt64

    var estimatedSize: Int { 12 }

    static func < (left: Self, right: Self) -> Bool {
        (left.group, left.value) < (right.group, right.value)
    }

    func write(to buffer: inout [UInt8]) {
        buffer.appendLittleEndian(group)
        buffer.appendLittleEndian(value)
    }

    static func read(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> (record: Self, size: Int)? {
        guard bytes.count - offset >= 12 else { return nil }
        return (Self(group: bytes.littleEndian(at: offset), value: bytes.littleEndian(at: offset + 4)), 12)
    }
}

/// A wide hex key: 38 bytes.
struct WideRecord: SpillRecord {
    var group: UInt32
    var key: WideHexKey

    var estimatedSize: Int { 38 }

    static func < (left: Self, right: Self) -> Bool {
        if left.group != right.group { return left.group < right.group }
        let (a, b) = (left.key, right.key)
        return (a.first, a.second, a.third, a.fourth, a.shape) < (b.first, b.second, b.third, b.fourth, b.shape)
    }

    func write(to buffer: inout [UInt8]) {
        buffer.appendLittleEndian(group)
        buffer.appendLittleEndian(key.first)
        buffer.appendLittleEndian(key.second)
        buffer.appendLittleEndian(key.third)
        buffer.appendLittleEndian(key.fourth)
        buffer.appendLittleEndian(key.shape)
    }

    static func read(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> (record: Self, size: Int)? {
        guard bytes.count - offset >= 38 else { return nil }
        let key = WideHexKey(
            first: bytes.littleEndian(at: offset + 4), second: bytes.littleEndian(at: offset + 12),
            third: bytes.littleEndian(at: offset + 20), fourth: bytes.littleEndian(at: offset + 28),
            shape: bytes.littleEndian(at: offset + 36))
        return (Self(group: bytes.littleEndian(at: offset), key: key), 38)
    }
}

/// A text key: the group, the UTF-8 length as a little-endian `UInt32`, then the bytes.
///
/// Swift orders strings by their canonical form, so two canonically equivalent texts are equal
/// here as in a set, and sorted runs keep them next to each other.
struct TextRecord: SpillRecord {
    var group: UInt32
    var text: String

    var estimatedSize: Int { 8 + text.utf8.count }

    static func < (left: Self, right: Self) -> Bool {
        left.group != right.group ? left.group < right.group : left.text < right.text
    }

    func write(to buffer: inout [UInt8]) {
        buffer.appendLittleEndian(group)
        buffer.appendLittleEndian(UInt32(text.utf8.count))
        buffer.append(contentsOf: text.utf8)
    }

    static func read(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> (record: Self, size: Int)? {
        guard bytes.count - offset >= 8 else { return nil }
        let length = Int(bytes.littleEndian(at: offset + 4) as UInt32)
        guard bytes.count - offset - 8 >= length else { return nil }
        let text = String(
            decoding: UnsafeRawBufferPointer(rebasing: bytes[offset + 8..<offset + 8 + length]), as: UTF8.self)
        return (Self(group: bytes.littleEndian(at: offset), text: text), 8 + length)
    }
}

/// One spill file of records in ascending order, each record at most once, with the first record
/// and the offset of each block of about ``blockSize`` bytes kept in memory. ``SortedRunWriter``
/// checks the order in debug builds, and its callers write each record once.
final class SortedRun<Record: SpillRecord> {
    /// The bytes after which a writer starts a new block.
    static var blockSize: Int { 8 << 10 }

    let file: any SpillFile
    /// The file's size in bytes.
    let size: Int
    /// The number of records.
    let count: Int
    /// The first record of each block, in order.
    let blockFirsts: [Record]
    /// The file offset of each block.
    let blockOffsets: [Int]

    init(file: any SpillFile, size: Int, count: Int, blockFirsts: [Record], blockOffsets: [Int]) {
        self.file = file
        self.size = size
        self.count = count
        self.blockFirsts = blockFirsts
        self.blockOffsets = blockOffsets
    }

    /// Returns the block that would hold `record`; `nil` when the record sorts before the first.
    func block(of record: Record) -> Int? {
        var low = 0
        var high = blockFirsts.count
        // The number of blocks whose first record is at most `record`.
        while low < high {
            let middle = (low + high) / 2
            if record < blockFirsts[middle] {
                high = middle
            } else {
                low = middle + 1
            }
        }
        return low == 0 ? nil : low - 1
    }

    /// Reads and decodes every record of block `index`.
    /// - Throws: the storage's error, or ``SpillFileError`` when the block ends inside a record.
    func records(ofBlock index: Int) throws -> [Record] {
        let start = blockOffsets[index]
        let end = index + 1 < blockOffsets.count ? blockOffsets[index + 1] : size
        var bytes = [UInt8](repeating: 0, count: end - start)
        var filled = 0
        while filled < bytes.count {
            let read = try bytes.withUnsafeMutableBytes { buffer in
                try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), at: start + filled)
            }
            guard read > 0 else { throw SpillFileError(size: start + filled) }
            filled += read
        }
        return try bytes.withUnsafeBytes { buffer in
            var records: [Record] = []
            var offset = 0
            while offset < buffer.count {
                guard let (record, length) = Record.read(buffer, at: offset) else {
                    throw SpillFileError(size: self.size)
                }
                records.append(record)
                offset += length
            }
            return records
        }
    }
}

/// Writes records in ascending order into a new spill file and builds its ``SortedRun``.
struct SortedRunWriter<Record: SpillRecord> {
    private static var flushSize: Int { 16 << 10 }

    private let file: any SpillFile
    private var buffer: [UInt8] = []
    private var written = 0
    private var count = 0
    private var blockFirsts: [Record] = []
    private var blockOffsets: [Int] = []
    /// The file offset of the current block's first record.
    private var blockStart = 0
    /// The last record appended, for the order check of debug builds.
    private var previous: Record?

    init(storage: any SpillStorage) throws {
        file = try storage.makeFile()
        buffer.reserveCapacity(Self.flushSize + 64)
    }

    /// Appends `record`, which must sort after every record appended before.
    mutating func append(_ record: Record) throws {
        assert(previous.map { $0 < record } ?? true, "spill records out of order")
        previous = record
        let offset = written + buffer.count
        if count == 0 || offset - blockStart >= SortedRun<Record>.blockSize {
            blockFirsts.append(record)
            blockOffsets.append(offset)
            blockStart = offset
        }
        record.write(to: &buffer)
        count += 1
        if buffer.count >= Self.flushSize {
            try flush()
        }
    }

    /// Writes what is buffered and returns the run; `nil` when no record was appended.
    mutating func finish() throws -> SortedRun<Record>? {
        try flush()
        guard count > 0 else { return nil }
        return SortedRun(
            file: file, size: written, count: count, blockFirsts: blockFirsts, blockOffsets: blockOffsets)
    }

    private mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try file.append($0) }
        written += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Reads the records of a ``SortedRun`` in order, through a buffer of at least 16 KiB.
struct SortedRunReader<Record: SpillRecord> {
    private static var chunkSize: Int { 16 << 10 }

    private let run: SortedRun<Record>
    private var offset = 0
    private var buffer: [UInt8] = []
    private var position = 0

    init(_ run: SortedRun<Record>) {
        self.run = run
    }

    /// Returns the next record; `nil` at the end of the run.
    /// - Throws: the storage's error, or ``SpillFileError`` when the file ends inside a record.
    mutating func next() throws -> Record? {
        while true {
            let decoded = buffer.withUnsafeBytes { Record.read($0, at: position) }
            if let (record, size) = decoded {
                position += size
                return record
            }
            if offset >= run.size {
                guard position == buffer.count else { throw SpillFileError(size: run.size) }
                return nil
            }
            try refill()
        }
    }

    private mutating func refill() throws {
        buffer.removeFirst(position)
        position = 0
        let start = buffer.count
        let requested = min(Self.chunkSize, run.size - offset)
        buffer.append(contentsOf: repeatElement(0, count: requested))
        let read = try buffer.withUnsafeMutableBytes { bytes in
            try run.file.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[start...]), at: offset)
        }
        buffer.removeLast(requested - read)
        guard read > 0 else { throw SpillFileError(size: offset) }
        offset += read
    }
}

/// The distinct keys of one kind that a ``DistinctKeyCounter`` moved to spill files.
///
/// A spill writes the keys kept in memory, sorted, as an unsettled run, which may repeat keys of
/// any other run. Settling merges the unsettled runs and the keys still in memory, and keeps the
/// keys that no settled run holds, as one more settled run. Settled runs never share a key, so
/// the distinct keys of a group are the settled runs' records of that group, which ``counts``
/// keeps. A key is looked up in a settled run through its block index: one block read, so settling
/// a few new keys reads a few blocks, not the runs. Runs of similar size are merged, so a
/// counter keeps about log₂ of its keys in settled runs.
struct SortedKeyRuns<Record: SpillRecord> {
    /// The runs merged at once. Each open reader buffers 16 KiB.
    static var mergeWidth: Int { 32 }

    private var settled: [SortedRun<Record>] = []
    private var unsettled: [SortedRun<Record>] = []
    /// The settled keys per group.
    private(set) var counts: [Int] = []

    /// Whether no run was written.
    var isEmpty: Bool { settled.isEmpty && unsettled.isEmpty }

    /// Writes `records`, sorted and distinct, as an unsettled run.
    mutating func spill(_ records: [Record], storage: any SpillStorage) throws {
        guard !records.isEmpty else { return }
        var writer = try SortedRunWriter<Record>(storage: storage)
        for record in records {
            try writer.append(record)
        }
        if let run = try writer.finish() {
            unsettled.append(run)
        }
    }

    /// Settles the unsettled runs and `pending`, sorted and distinct records still in memory.
    mutating func settle(_ pending: [Record], storage: any SpillStorage) throws {
        guard !(unsettled.isEmpty && pending.isEmpty) else { return }
        while unsettled.count + 1 > Self.mergeWidth {
            let width = min(Self.mergeWidth, unsettled.count)
            let merged = try Self.merge(Array(unsettled.prefix(width)), storage: storage) { _ in true }
            unsettled.removeFirst(width)
            if let merged { unsettled.append(merged) }
        }
        var probes = settled.map { RunProbe(run: $0) }
        var added: [Int] = []
        let run = try Self.merge(unsettled, pending: pending, storage: storage) { record in
            for index in probes.indices {
                if try probes[index].contains(record) { return false }
            }
            let group = Int(record.group)
            if group >= added.count { added += repeatElement(0, count: group + 1 - added.count) }
            added[group] += 1
            return true
        }
        unsettled = []
        if counts.count < added.count { counts += repeatElement(0, count: added.count - counts.count) }
        for (group, count) in added.enumerated() { counts[group] += count }
        if let run { settled.append(run) }
        // Merge the newest runs while the one before is at most twice as large: sizes then at
        // least double from the newest to the oldest run.
        while settled.count >= 2, settled[settled.count - 2].count <= 2 * settled[settled.count - 1].count {
            let pair = Array(settled.suffix(2))
            settled.removeLast(2)
            if let merged = try Self.merge(pair, storage: storage, keep: { _ in true }) { settled.append(merged) }
        }
    }

    /// Merges `runs` and `pending` in order, each record once, into a new run of the records that
    /// `keep` accepts; `nil` when it accepts none.
    private static func merge(
        _ runs: [SortedRun<Record>], pending: [Record] = [], storage: any SpillStorage,
        keep: (Record) throws -> Bool
    ) throws -> SortedRun<Record>? {
        var readers = runs.map { SortedRunReader($0) }
        var heads: [Record?] = try readers.indices.map { try readers[$0].next() }
        var pendingIndex = 0
        var writer = try SortedRunWriter<Record>(storage: storage)
        var last: Record?
        while true {
            // The smallest head; a linear scan, since at most `mergeWidth` runs are merged.
            var smallest: Int?
            for index in heads.indices {
                guard let head = heads[index] else { continue }
                if let current = smallest, let currentHead = heads[current], !(head < currentHead) { continue }
                smallest = index
            }
            let record: Record
            if pendingIndex < pending.count,
                smallest.map({ !(heads[$0]! < pending[pendingIndex]) }) ?? true
            {
                record = pending[pendingIndex]
                pendingIndex += 1
            } else if let smallest {
                record = heads[smallest]!
                heads[smallest] = try readers[smallest].next()
            } else {
                break
            }
            if let last, last == record { continue }
            last = record
            if try keep(record) {
                try writer.append(record)
            }
        }
        return try writer.finish()
    }
}

/// Looks records up in one settled run, in ascending order, keeping the last block read.
private struct RunProbe<Record: SpillRecord> {
    let run: SortedRun<Record>
    private var blockIndex = -1
    private var records: [Record] = []

    init(run: SortedRun<Record>) {
        self.run = run
    }

    mutating func contains(_ record: Record) throws -> Bool {
        guard let block = run.block(of: record) else { return false }
        if block != blockIndex {
            records = try run.records(ofBlock: block)
            blockIndex = block
        }
        var low = 0
        var high = records.count
        while low < high {
            let middle = (low + high) / 2
            if records[middle] < record {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low < records.count && records[low] == record
    }
}

extension [UInt8] {
    fileprivate mutating func appendLittleEndian<Value: FixedWidthInteger>(_ value: Value) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension UnsafeRawBufferPointer {
    fileprivate func littleEndian<Value: FixedWidthInteger>(at offset: Int) -> Value {
        Value(littleEndian: loadUnaligned(fromByteOffset: offset, as: Value.self))
    }
}
