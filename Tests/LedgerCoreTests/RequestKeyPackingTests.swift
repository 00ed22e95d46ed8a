import LedgerCore
import Testing

/// Request keys read from bytes, whose short hex ids take their own loop, checked against keys
/// made from strings, which take the general packing.
@Suite("Request key packing")
struct RequestKeyPackingTests {
    private static let characters = Array("0123456789abcdefABCDEFg:-/ \u{0}".utf8)

    @Test("bytes match string keys")
    func bytesMatchStrings() {
        var generator = SplitMixGenerator(seed: 0x4E5)
        var mismatches = 0
        var packed = 0
        for _ in 0..<50_000 {
            let count = Int.random(in: 0...20, using: &generator)
            // Most ids are hex only, so that the short loop and its bounds are covered.
            let alphabet = Int.random(in: 0..<4, using: &generator) == 0 ? Self.characters.count : 16
            let bytes = (0..<count).map { _ in Self.characters[Int.random(in: 0..<alphabet, using: &generator)] }
            let fromBytes = bytes.withUnsafeBufferPointer { RequestKey(bytes: $0) }
            let fromString = RequestKey(String(decoding: bytes, as: UTF8.self))
            if fromBytes != fromString {
                mismatches += 1
            }
            if case .packed = fromBytes {
                packed += 1
            }
        }
        #expect(mismatches == 0)
        #expect(packed > 10_000)
    }

    @Test("short hex ids pack by length", arguments: ["0", "f", "00", "0000000001", "fffffffffffffff"])
    func shortHexIDs(id: String) {
        var value: UInt64 = 0
        for character in id.utf8 {
            value = value << 4 | UInt64(character <= UInt8(ascii: "9") ? character - 0x30 : character - 0x61 + 10)
        }
        let key = Array(id.utf8).withUnsafeBufferPointer { RequestKey(bytes: $0) }
        #expect(key == .packed(UInt64(id.utf8.count) << 60 | value))
    }
}
