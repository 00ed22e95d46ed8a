import LedgerCore
import Testing

@Suite("Distinct key counter")
struct DistinctKeyCounterTests {
    /// Returns the key of id number `index`: packed hex, wide hex or text, in turn.
    static func key(_ index: Int) -> RequestKey {
        switch index % 3 {
        case 0: RequestKey(String(index, radix: 16))
        case 1: RequestKey(String(repeating: "0", count: 20) + String(index, radix: 16))
        default: RequestKey("req-\(index)")
        }
    }

    /// Inserts ids 0..<1000 × (group + 1) into each of five groups, every id twice in two passes,
    /// then "café" precomposed and decomposed, which are one string to Swift.
    static func fill(_ counter: inout DistinctKeyCounter) throws {
        for pass in 0..<2 {
            for group in 0..<5 {
                let count = 1000 * (group + 1)
                for index in 0..<count {
                    try counter.insert(key(pass == 0 ? index : count - 1 - index), group: group)
                }
                try counter.insert(RequestKey(pass == 0 ? "caf\u{E9}" : "cafe\u{301}"), group: group)
            }
        }
    }

    @Test("keys count once per group")
    func keysCountOncePerGroup() throws {
        var counter = DistinctKeyCounter(storage: nil)
        let wide = RequestKey(String(repeating: "ab", count: 12))
        for key in [
            RequestKey("1"), RequestKey("1"), RequestKey("2"), wide, wide, RequestKey("Req-1"),
            RequestKey("\u{E9}"), RequestKey("e\u{301}"), RequestKey(nil),
        ] {
            try counter.insert(key, group: 0)
        }
        try counter.insert(RequestKey("1"), group: 2)
        try counter.insert(RequestKey("Req-1"), group: 2)
        // Group 0: packed 1 and 2, the wide id, "Req-1" and "é" in either form. Group 1 got nothing.
        #expect(try counter.counts() == [5, 0, 2])
    }

    @Test("spilled counts equal in-memory counts")
    func spillMatchesMemory() throws {
        var inMemory = DistinctKeyCounter(storage: nil)
        try Self.fill(&inMemory)
        let storage = MemorySpillStorage()
        var spilled = DistinctKeyCounter(memoryLimit: 4096, storage: storage)
        try Self.fill(&spilled)

        #expect(try inMemory.counts() == [1001, 2001, 3001, 4001, 5001])
        #expect(try spilled.counts() == [1001, 2001, 3001, 4001, 5001])
        #expect(storage.fileCount >= DistinctKeyCounter.partitionCount)
    }

    @Test("small stores stay in memory")
    func smallStoresStayInMemory() throws {
        let storage = MemorySpillStorage()
        var counter = DistinctKeyCounter(storage: storage)
        try Self.fill(&counter)
        #expect(try counter.counts() == [1001, 2001, 3001, 4001, 5001])
        #expect(storage.fileCount == 0)
    }

    @Test("oversized spill files split again")
    func nestedSplit() throws {
        let storage = MemorySpillStorage()
        // 64 bytes hold 8 packed keys, so each file of about 94 keys spills into a next level.
        var counter = DistinctKeyCounter(memoryLimit: 64, storage: storage)
        for index in 0..<3000 {
            try counter.insert(RequestKey(String(index, radix: 16)), group: 1)
        }
        #expect(try counter.counts() == [0, 3000])
        #expect(storage.fileCount > DistinctKeyCounter.partitionCount)
    }

    @Test("counts repeat, and keys inserted after a count add to it", arguments: [false, true])
    func countsGoOn(spilling: Bool) throws {
        let storage = MemorySpillStorage()
        var counter = DistinctKeyCounter(memoryLimit: spilling ? 16 : 1 << 20, storage: storage)
        for index in 0..<100 {
            try counter.insert(Self.key(index), group: 0)
        }
        #expect(try counter.counts() == [100])
        #expect(try counter.counts() == [100])
        // 50 keys already counted and 50 new ones; group 1 is new.
        for index in 50..<150 {
            try counter.insert(Self.key(index), group: 0)
        }
        try counter.insert(Self.key(7), group: 1)
        #expect(try counter.counts() == [150, 1])
        // Keys that are all known leave every count as it was.
        for index in 0..<150 {
            try counter.insert(Self.key(index), group: 0)
        }
        #expect(try counter.counts() == [150, 1])
        #expect((storage.fileCount > 0) == spilling)
    }

    @Test("write failure surfaces")
    func writeFailure() throws {
        let storage = MemorySpillStorage()
        storage.capacity = 100
        var counter = DistinctKeyCounter(memoryLimit: 16, storage: storage)
        #expect(throws: MemorySpillStorage.FullError()) {
            for index in 0..<10_000 {
                try counter.insert(RequestKey(String(index, radix: 16)), group: 0)
            }
            _ = try counter.counts()
        }
    }

    @Test("truncated spill file fails")
    func truncatedFile() throws {
        let storage = MemorySpillStorage()
        storage.dropsLastByte = true
        var counter = DistinctKeyCounter(memoryLimit: 16, storage: storage)
        for index in 0..<100 {
            try counter.insert(Self.key(index), group: 0)
        }
        #expect(throws: SpillFileError.self) { try counter.counts() }
    }
}
