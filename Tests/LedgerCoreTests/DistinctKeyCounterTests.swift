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
        #expect(storage.fileCount > 0)
    }

    @Test("small stores stay in memory")
    func smallStoresStayInMemory() throws {
        let storage = MemorySpillStorage()
        var counter = DistinctKeyCounter(storage: storage)
        try Self.fill(&counter)
        #expect(try counter.counts() == [1001, 2001, 3001, 4001, 5001])
        #expect(storage.fileCount == 0)
    }

    @Test("many spill files merge in passes")
    func mergePasses() throws {
        let storage = MemorySpillStorage()
        // The ninth packed key passes 64 bytes, so 3,000 keys make 333 spill files, which are
        // merged 32 at a time into more files before the last merge.
        var counter = DistinctKeyCounter(memoryLimit: 64, storage: storage)
        for index in 0..<3000 {
            try counter.insert(RequestKey(String(index, radix: 16)), group: 1)
        }
        #expect(try counter.counts() == [0, 3000])
        #expect(storage.fileCount > 333)
    }

    @Test("interleaved inserts and counts match a set")
    func matchesSets() throws {
        // A linear congruential generator with a fixed start, so every run inserts the same ids.
        var state: UInt64 = 42
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let storage = MemorySpillStorage()
        var counter = DistinctKeyCounter(memoryLimit: 256, storage: storage)
        var reference: [Set<String>] = Array(repeating: [], count: 4)
        for round in 0..<40 {
            for _ in 0..<next(300) {
                let group = next(4)
                let index = next(5000)
                // Text ids in two canonically equivalent spellings count once.
                let id: String
                switch index % 4 {
                case 0: id = String(index, radix: 16)
                case 1: id = String(repeating: "f", count: 18) + String(index, radix: 16)
                case 2: id = "sess-\(index)-caf\u{E9}"
                default: id = "sess-\(index - 1)-cafe\u{301}"
                }
                try counter.insert(RequestKey(id), group: group)
                reference[group].insert(id)
            }
            let expected = reference.map(\.count)
            let counts = try counter.counts()
            #expect(
                Array(counts + repeatElement(0, count: max(0, 4 - counts.count))).prefix(4) == expected[...],
                "round \(round)")
        }
        #expect(storage.fileCount > 0)
    }

    @Test("a count after a few new keys reads a few blocks")
    func incrementalReads() throws {
        let storage = MemorySpillStorage()
        var counter = DistinctKeyCounter(memoryLimit: 4096, storage: storage)
        for index in 0..<100_000 {
            try counter.insert(.packed(UInt64(index) &* 0x9E37_79B9_7F4A_7C15 >> 4), group: 0)
        }
        #expect(try counter.counts() == [100_000])
        let readBefore = storage.bytesRead
        // Five new keys and five known ones.
        for index in 99_995..<100_005 {
            try counter.insert(.packed(UInt64(index) &* 0x9E37_79B9_7F4A_7C15 >> 4), group: 0)
        }
        #expect(try counter.counts() == [100_005])
        // 1.2 MB of settled keys; the lookups read at most ten 8 KiB blocks.
        #expect(storage.bytesRead - readBefore <= 10 * 8300)
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
