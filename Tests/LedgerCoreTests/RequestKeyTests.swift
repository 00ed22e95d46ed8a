import LedgerCore
import Testing

@Suite("Request keys of a fold")
struct RequestKeyTests {
    @Test("short hex ids pack with their length")
    func shortHexPacks() {
        #expect(RequestKey("a") == .packed(1 << 60 | 0xa))
        #expect(RequestKey("0a") == .packed(2 << 60 | 0xa))
        #expect(RequestKey("0000000001") == .packed(10 << 60 | 1))
        #expect(RequestKey("fffffffffffffff") == .packed(15 << 60 | 0xfff_ffff_ffff_ffff))
    }

    @Test("other ids stay distinct")
    func distinctIDsStayDistinct() {
        let ids = [
            "a", "0a", "00a", "A", "a:", ":a", "a:0", "a0:", "0000000000000000", "00000000000000000",
            "7e617ac5ef6120f83f5dabf8af123f50:00e287e9d9000001", "7e617ac5ef6120f83f5dabf8af123f5:000e287e9d9000001",
            "7e617ac5ef6120f83f5dabf8af123f50:00e287e9d9000002", "a::b", "req-1", String(repeating: "f", count: 64),
            String(repeating: "f", count: 65),
        ]
        #expect(Set(ids.map(RequestKey.init)).count == ids.count)
    }

    @Test("the form follows the id")
    func formFollowsID() {
        #expect(RequestKey(nil) == .none)
        #expect(RequestKey("") == .none)
        #expect(RequestKey("A1") == .text("A1"))
        #expect(RequestKey("a::b") == .text("a::b"))
        #expect(RequestKey(String(repeating: "f", count: 65)) == .text(String(repeating: "f", count: 65)))
        guard case .wide = RequestKey("0000000000000000") else {
            Issue.record("a 16-digit id must use the wide form")
            return
        }
        guard case .wide = RequestKey("ab:cd") else {
            Issue.record("an id with a colon must use the wide form")
            return
        }
        let bytes = Array("00ff".utf8)
        #expect(bytes.withUnsafeBufferPointer { RequestKey(bytes: $0) } == RequestKey("00ff"))
        #expect(RequestKey(bytes: nil) == .none)
    }
}
