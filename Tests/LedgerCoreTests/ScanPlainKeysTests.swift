import Testing

@testable import LedgerCore

/// ``JSONMemberScanner/scanPlainKeys(_:_:)`` against ``JSONMemberScanner/scan(_:)`` and the
/// scanner's own members and index, over lines scanned one after another by one scanner.
@Suite("Scan with plain keys")
struct ScanPlainKeysTests {
    static let lines = [
        #"{"model":"m","tokens":{"input_tokens":1,"cache_read_tokens":2}}"#,
        #"{"a":1,"a":2}"#,
        #"{"model":"m""#,
        #"{"mod\u0065l":"m"}"#,
        #"{"modèle":"m"}"#,
        #"[1,2]"#,
        #"{}"#,
        #"{"cache_creation_tokens":3,"fail":{"status_code":500,"body":""},"tokens":{}}"#,
    ]

    @Test("body sees scanned members and slots")
    func bodySeesScan() {
        var scanner = JSONMemberScanner()
        var reference = JSONMemberScanner()
        for line in Self.lines.map({ Array($0.utf8) }) {
            line.withUnsafeBufferPointer { bytes in
                let isValid = reference.scan(bytes)
                let isPlain = isValid && !reference.hasNonPlainKey
                let seen = scanner.scanPlainKeys(bytes) { members, slots in
                    (Array(members), Array(slots))
                }
                #expect((seen != nil) == isPlain, "\(line)")
                guard let (members, slots) = seen else { return }
                #expect(members.count == reference.members.count, "\(line)")
                for (member, expected) in zip(members, reference.members) {
                    #expect(member.parent == expected.parent, "\(line)")
                    #expect(member.keyStart == expected.keyStart, "\(line)")
                    #expect(member.keyEnd == expected.keyEnd, "\(line)")
                    #expect(member.kind == expected.kind, "\(line)")
                    #expect(member.valueStart == expected.valueStart, "\(line)")
                    #expect(member.valueEnd == expected.valueEnd, "\(line)")
                }
                #expect(slots == scanner.index.slots, "\(line)")
            }
        }
    }

    @Test("invalid and escaped keys return nil")
    func rejectedLines() {
        var scanner = JSONMemberScanner()
        for text in [#"{"model":"m""#, #"{"mod\u0065l":"m"}"#, #"{"modèle":"m"}"#, #"[1,2]"#, ""] {
            let line = Array(text.utf8)
            let seen = line.withUnsafeBufferPointer { bytes in
                scanner.scanPlainKeys(bytes) { members, _ in members.count }
            }
            #expect(seen == nil, "\(text)")
        }
    }
}
