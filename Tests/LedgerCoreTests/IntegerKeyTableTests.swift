import Testing

@testable import LedgerCore

/// The fold's integer tables checked against `Set` and `Dictionary` on generated keys.
@Suite("Integer key tables")
struct IntegerKeyTableTests {
    /// Keys drawn from small ranges repeat often, and 0, the extremes and multiples of large
    /// powers of two probe the empty-slot marker and the hash.
    private static func randomKey(using generator: inout SplitMixGenerator) -> UInt64 {
        switch Int.random(in: 0..<6, using: &generator) {
        case 0: [0, 1, .max, .max - 1, 1 << 63].randomElement(using: &generator)!
        case 1: UInt64.random(in: 0..<64, using: &generator)
        case 2: UInt64.random(in: 0..<64, using: &generator) << 40
        case 3: UInt64.random(in: 0..<5_000, using: &generator)
        default: UInt64.random(in: .min ... .max, using: &generator)
        }
    }

    @Test("key set matches Set", arguments: [1, 10, 1_000, 50_000])
    func keySetMatchesSet(insertions: Int) {
        var generator = SplitMixGenerator(seed: UInt64(insertions))
        var table = IntegerKeySet()
        var reference = Set<UInt64>()
        var mismatches = 0
        for _ in 0..<insertions {
            let key = Self.randomKey(using: &generator)
            if table.insert(key) != reference.insert(key).inserted {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
        #expect(table.count == reference.count)
        #expect(table.keys.count == reference.count)
        #expect(Set(table.keys) == reference)
    }

    @Test("count table matches Dictionary", arguments: [1, 10, 1_000, 50_000])
    func countTableMatchesDictionary(additions: Int) {
        var generator = SplitMixGenerator(seed: UInt64(additions) ^ 0xC0)
        var table = IntegerCountTable()
        var reference: [Int64: Int] = [:]
        for _ in 0..<additions {
            let key = Int64(bitPattern: Self.randomKey(using: &generator))
            table.add(key)
            reference[key, default: 0] += 1
        }
        #expect(table.distinctCount == reference.count)
        let entries = table.entries
        #expect(entries.count == reference.count)
        #expect(Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.count) }) == reference)
    }

    @Test("tables start empty")
    func emptyTables() {
        #expect(IntegerKeySet().keys.isEmpty)
        #expect(IntegerKeySet().count == 0)
        #expect(IntegerCountTable().entries.isEmpty)
    }
}
