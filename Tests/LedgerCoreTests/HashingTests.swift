import LedgerCore
import Testing

@Suite("Hashing and encodings")
struct HashingTests {
    @Test(
        "SHA-256 known digests",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (String(repeating: "a", count: 1000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
        ])
    func sha256(input: String, digest: String) {
        #expect(SHA256.hexDigest(Array(input.utf8)) == digest)
    }

    @Test("SHA-256 of a million a's")
    func sha256MillionA() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 {
            hasher.update(chunk)
        }
        #expect(
            HexEncoding.encode(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("SHA-256 matches the Swift reference")
    func sha256MatchesReference() {
        // A fixed linear congruential sequence, so that every run hashes the same bytes.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func nextByte() -> UInt8 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        for length in 0...300 {
            let message = (0..<length).map { _ in nextByte() }
            let expected = ReferenceSHA256.hash(message)
            #expect(SHA256.hash(message) == expected, "length \(length)")

            // The same message in three pieces, one of them a non-contiguous sequence.
            let first = length / 3
            let second = (2 * length) / 3
            var pieces = SHA256()
            pieces.update(message[0..<first])
            pieces.update(message[first..<second].lazy.map { $0 })
            pieces.update(message[second...])
            #expect(pieces.finalize() == expected, "length \(length) in pieces")
        }
    }

    @Test("first 128 bits match the digest")
    func first128Bits() {
        for length in [0, 1, 55, 56, 64, 700] {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            var hasher = SHA256()
            hasher.update(message)
            let (high, low) = hasher.finalizeFirst128Bits()
            let digest = SHA256.hash(message)
            let expectedHigh = digest[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let expectedLow = digest[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            #expect(high == expectedHigh, "length \(length)")
            #expect(low == expectedLow, "length \(length)")
        }
        // The event key of the empty-namespace record "abc" is the digest of "\0abc".
        let key = EventKey(namespace: "", bytes: Array("abc".utf8))
        #expect(key.description == String(SHA256.hexDigest([0] + Array("abc".utf8)).prefix(32)))
    }

    @Test("event key matches its digest")
    func eventKeysMatchDigest() {
        for namespace in ["", "u", "usage_queue", "a namespace longer than fifteen bytes"] {
            for length in [0, 1, 54, 55, 56, 63, 64, 65, 700] {
                let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 17 &+ 3) }
                let key = EventKey(namespace: namespace, bytes: bytes)
                let digest = SHA256.hash(Array(namespace.utf8) + [0] + bytes)
                let expectedHigh = digest[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let expectedLow = digest[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                #expect(key == EventKey(high: expectedHigh, low: expectedLow), "\(namespace) \(length)")
            }
        }
    }

    @Test("SHA-256 hasher copies are independent")
    func sha256Copies() {
        var original = SHA256()
        original.update(Array("abc".utf8))
        var copy = original
        copy.update(Array("def".utf8))
        #expect(HexEncoding.encode(original.finalize()) == SHA256.hexDigest(Array("abc".utf8)))
        #expect(HexEncoding.encode(copy.finalize()) == SHA256.hexDigest(Array("abcdef".utf8)))
    }

    @Test("hex encoding is lowercase")
    func hexEncoding() {
        #expect(HexEncoding.encode([0x00, 0xFF, 0x7A, 0x09]) == "00ff7a09")
        #expect(HexEncoding.encode([]).isEmpty)
        #expect(HexEncoding.encode([0xAB].lazy.map { $0 }) == "ab")
    }

    @Test("secret ids match the accounting derivation")
    func secretIDs() {
        #expect(
            SecretHasher.clientKeyID("sk-client-FAKE67")
                == "3b7505b7a12466c8d73825d01b512ed7bf2000263f1abf524a879a42c166ee70")
        #expect(
            SecretHasher.accountID("acct-1@example.invalid")
                == "1c14c93b1da64dfd8e60ba5fc766c3c044dfd39cf8baa67558728aa4c5d16eab")
        #expect(
            SecretHasher.clientKeyID("sk-client-FAKE67")
                == SHA256.hexDigest(Array("client".utf8) + [0] + Array("sk-client-FAKE67".utf8)))
        let bytes = Array("acct-1@example.invalid".utf8)
        #expect(
            bytes.withUnsafeBufferPointer { SecretHasher.id(utf8: $0, kind: .account) }
                == "1c14c93b1da64dfd8e60ba5fc766c3c044dfd39cf8baa67558728aa4c5d16eab")
    }

    @Test("hex and base64 ids decode")
    func idDecoding() {
        #expect(HexEncoding.decode("00ff7A") == [0x00, 0xFF, 0x7A])
        #expect(HexEncoding.decode("0g") == nil)
        #expect(HexEncoding.decode("abc") == nil)
        #expect(Base64.decode("ffPkXf9afxA=") == HexEncoding.decode("7df3e45dff5a7f10"))
        #expect(Base64.decode("TWFu") == Array("Man".utf8))
        #expect(Base64.decode("TWE=") == Array("Ma".utf8))
        #expect(Base64.decode("TW=E") == nil)
        #expect(Base64.decode("T!==") == nil)
    }

    @Test("redacted sample hides secrets")
    func redaction() {
        let line = #"{"api_key":"sk-client-FAKE20","source":"acct-4@example.invalid","model":"gpt-5","note":"a@b.c"}"#
        let sample = Array(line.utf8).withUnsafeBufferPointer { Redactor.sample($0) }
        #expect(sample == #"{"api_key":"<redacted>","source":"<redacted>","model":"gpt-5","note":"<redacted>"}"#)
        let cut = #"{"model":"x","api_key":"sk-cli"#
        let cutSample = Array(cut.utf8).withUnsafeBufferPointer { Redactor.sample($0) }
        #expect(cutSample == #"{"model":"x","api_key":"<redacted>"#)
        let plainText = "2026-12-01 ERROR auth failed for alice.plain@corp.example with key sk-ant-api03-PLAINSECRET"
        let plainSample = Array(plainText.utf8).withUnsafeBufferPointer { Redactor.sample($0) }
        #expect(plainSample == "2026-12-01 ERROR auth failed for <redacted> with key <redacted>")
        let keyValues = "api_key=PLAINKV_SECRET_99 source=kv@corp.example client_ip=198.51.100.9 model=gpt-5"
        let keyValueSample = Array(keyValues.utf8).withUnsafeBufferPointer { Redactor.sample($0) }
        #expect(keyValueSample == "api_key=<redacted> source=<redacted> client_ip=<redacted> model=gpt-5")
        let python = "{'api_key': 'SECRETVALA11', 'source': 'x11@corp.example'}"
        let pythonSample = Array(python.utf8).withUnsafeBufferPointer { Redactor.sample($0) }
        #expect(pythonSample == "{'api_key': '<redacted>', 'source': '<redacted>'}")
        let unquoted = #"{"api_key": SECRET_UNQUOTED_77, "model": "x"}"#
        let unquotedSample = Array(unquoted.utf8).withUnsafeBufferPointer { Redactor.sample($0) }
        #expect(unquotedSample == #"{"api_key": <redacted>, "model": "x"}"#)
        let otlp = #"{"key":"gen_ai.request.model","value":{"stringValue":"gpt-5"}}"#
        #expect(Array(otlp.utf8).withUnsafeBufferPointer { Redactor.sample($0) } == otlp)
        let long = String(repeating: "a ", count: 400)
        #expect(Array(long.utf8).withUnsafeBufferPointer { Redactor.sample($0) }.count == 240)
        let binary: [UInt8] = [0x00, 0x41, 0xFF]
        #expect(binary.withUnsafeBufferPointer { Redactor.sample($0) } == #"\x00A\xff"#)
    }
}
