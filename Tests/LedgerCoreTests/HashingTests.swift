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

    @Test("secret ids match the accounting derivation")
    func secretIDs() {
        #expect(
            SecretHasher.clientKeyID("sk-client-FAKE67")
                == "3b7505b7a12466c8d73825d01b512ed7bf2000263f1abf524a879a42c166ee70")
        #expect(
            SecretHasher.accountID("acct-1@example.invalid")
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
