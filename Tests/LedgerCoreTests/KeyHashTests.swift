import Testing

@testable import LedgerCore

/// Lookups through the key hash that ``FieldName`` stores against lookups that hash the name's bytes.
@Suite("Stored key hashes")
struct KeyHashTests {
    static let names: [FieldName] = [
        FieldName(""), FieldName("a"), FieldName("model"), FieldName("tokens"), FieldName("input_tokens"),
        FieldName("exactly_16_bytes"), FieldName("cache_read_tokens"), FieldName("cache_creation_tokens"),
        FieldName("cache_creation_input_tokens"), FieldName("missing"),
    ]

    static func bytes(of field: FieldName) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: field.name.utf8Start, count: field.name.utf8CodeUnitCount)
    }

    @Test("stored hash equals hash of name bytes")
    func storedHashMatches() {
        for field in Self.names {
            let bytes = Self.bytes(of: field)
            let fingerprint = KeyFingerprint(bytes, from: 0, to: bytes.count)
            #expect(field.fingerprint == fingerprint, "\(field.string)")
            #expect(field.keyHash == ScannedMemberIndex.keyHash(fingerprint), "\(field.string)")
        }
    }

    /// Lines with different member sets, scanned one after another by one scanner, so that every
    /// lookup runs against a table that an earlier line filled.
    @Test("hashed lookups match byte lookups across lines")
    func lookupsAcrossLines() throws {
        let lines = [
            #"{"model":"m","tokens":{"input_tokens":1,"cache_read_tokens":2}}"#,
            #"{"a":1}"#,
            #"{"cache_creation_tokens":3,"exactly_16_bytes":4,"tokens":{"cache_creation_input_tokens":5}}"#,
            #"{}"#,
            #"{"":0,"model":null,"model":"last","tokens":{},"input_tokens":6}"#,
        ]
        var scanner = JSONMemberScanner()
        for line in lines.map({ Array($0.utf8) }) {
            try line.withUnsafeBufferPointer { bytes in
                let isScanned = scanner.scan(bytes)
                try #require(isScanned)
                let slots = scanner.index.slots
                scanner.members.withUnsafeBufferPointer { members in
                    slots.withUnsafeBufferPointer { slots in
                        let parents = [-1] + members.indices.filter { members[$0].kind == .object }
                        for parent in parents {
                            for field in Self.names {
                                let hashed = ScannedMemberIndex.lookup(
                                    field.fingerprint, keyHash: field.keyHash, name: Self.bytes(of: field),
                                    parent: parent, slots: slots, members: members, bytes: bytes)
                                let byBytes = ScannedMemberIndex.lookup(
                                    Self.bytes(of: field), parent: parent, slots: slots, members: members,
                                    bytes: bytes)
                                let expected = members.indices.last { index in
                                    members[index].parent == parent
                                        && bytes[members[index].keyStart..<members[index].keyEnd].elementsEqual(
                                            Self.bytes(of: field))
                                }
                                #expect(hashed == expected, "\(field.string) in \(parent) of \(line)")
                                #expect(byBytes == expected, "\(field.string) in \(parent) of \(line)")
                            }
                        }
                    }
                }
            }
        }
    }
}
