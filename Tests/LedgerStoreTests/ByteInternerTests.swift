import Testing

@testable import LedgerStore

/// The fold reader's numbering of (provider, model) bytes checked against a dictionary.
@Suite("Byte interner")
struct ByteInternerTests {
    /// Values that differ only in where the split falls, in a trailing zero byte or in a missing
    /// second column, and long values that span several hashed words.
    private static let values: [[UInt8]] = [
        [], [0], [0, 0], Array("a".utf8), Array("ab".utf8), Array("openai".utf8), Array("openai\u{0}".utf8),
        Array("gpt-5".utf8), Array("gpt-5-mini".utf8), Array("claude-opus-4-6-thinking-max".utf8),
        Array("claude-opus-4-6-thinking-maX".utf8), Array("é".utf8), Array("12345678".utf8),
        Array("123456781".utf8),
    ]

    private struct PairKey: Hashable {
        var first: [UInt8]
        var second: [UInt8]?
    }

    @Test("numbers match first-seen order")
    func numbersMatchReference() {
        var state: UInt64 = 0x1A7E_2024
        var interner = ByteInterner()
        var reference: [PairKey: Int] = [:]
        var mismatches = 0
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let first = Self.values[Int(state >> 33) % Self.values.count]
            let secondIndex = Int(state >> 45) % (Self.values.count + 1)
            let second = secondIndex == Self.values.count ? nil : Self.values[secondIndex]
            let key = PairKey(first: first, second: second)
            let expected = reference[key] ?? reference.count
            reference[key] = expected

            let (number, firstText, secondText) = first.withUnsafeBufferPointer { firstBuffer in
                if let second {
                    return second.withUnsafeBufferPointer { interner.intern(firstBuffer, $0) }
                }
                return interner.intern(firstBuffer, nil)
            }
            if number != expected || Array(firstText.utf8) != first || Array(secondText.utf8) != (second ?? []) {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
        #expect(reference.count == Self.values.count * (Self.values.count + 1))
    }

    @Test("nil and empty bytes are one value")
    func nilEqualsEmpty() {
        var interner = ByteInterner()
        let empty: [UInt8] = []
        let fromNil = interner.intern(nil, nil).0
        let fromEmpty = empty.withUnsafeBufferPointer { interner.intern($0, nil).0 }
        let withSecond = empty.withUnsafeBufferPointer { interner.intern(nil, $0).0 }
        #expect(fromNil == 0)
        #expect(fromEmpty == 0)
        #expect(withSecond == 1)
    }
}
