import Foundation
import Testing

@testable import LedgerCore

@Suite("Scanned usage-queue decoding")
struct ScannedDecodeTests {
    static let now: Int64 = 1_796_400_000_000_000_000

    /// The line's outcome through the parsed tree only.
    static func treeOutcome(_ line: [UInt8]) -> LineOutcome {
        line.withUnsafeBufferPointer { buffer in
            let trimmed = LineDecoder.trimmed(buffer)
            do throws(JSONParseError) {
                let value = try JSONParser.parse(buffer: trimmed)
                return LineDecoder.decode(value, keyBytes: trimmed, now: now)
            } catch {
                return LineOutcome(rejects: [DecodeError(.invalidJSON, error.description)])
            }
        }
    }

    /// The event of the scanned path alone, `nil` when it leaves the line to the tree.
    static func scannedEvent(_ line: [UInt8], cache: DecodeCache = DecodeCache()) -> CanonicalEvent? {
        line.withUnsafeBufferPointer { buffer in
            UsageQueueDecoder.decodeScanned(LineDecoder.trimmed(buffer), now: now, cache: cache)
        }
    }

    static func record(_ members: String) -> [UInt8] {
        Array(
            """
            {"timestamp":"2026-11-30T17:01:06.5-05:00","latency_ms":1200,"provider":"codex","model":"gpt-5",\
            "failed":false,"api_key":"sk-client-FAKE01","source":"acct@example.invalid",\
            "tokens":{"input_tokens":1000,"output_tokens":300,"reasoning_tokens":120,"cached_tokens":600,\
            "total_tokens":1300}\(members)}
            """.utf8)
    }

    static let fixtureFiles = [
        "cliproxyapi/usage-queue.jsonl", "cliproxyapi/accounting-v1.jsonl", "otlp/genai-traces.jsonl",
        "otlp/genai-traces-base64-ids.jsonl",
        "tokenledger/events.jsonl",
    ]

    @Test("every usage-queue fixture line takes the scanned path")
    func usageQueueFixture() throws {
        let lines = try FixturePaths.lines("cliproxyapi/usage-queue.jsonl")
        #expect(lines.count == 400)
        let cache = DecodeCache()
        var scanned = 0
        for (number, line) in lines.enumerated() {
            let tree = Self.treeOutcome(line)
            guard let event = Self.scannedEvent(line, cache: cache) else { continue }
            scanned += 1
            #expect(tree.events == [event], "line \(number + 1)")
            #expect(tree.rejects.isEmpty, "line \(number + 1)")
        }
        #expect(scanned == 400)
    }

    @Test("fixture lines decode as through the tree", arguments: fixtureFiles)
    func fixtureLines(file: String) throws {
        let lines = try FixturePaths.lines(file)
        #expect(!lines.isEmpty)
        let cache = DecodeCache()
        let decoder = LineDecoder()
        for (number, line) in lines.enumerated() {
            let tree = Self.treeOutcome(line)
            let full = line.withUnsafeBufferPointer { decoder.decode($0, now: Self.now, cache: cache) }
            #expect(full.events == tree.events, "\(file) line \(number + 1)")
            #expect(full.rejects == tree.rejects, "\(file) line \(number + 1)")
        }
    }

    @Test("usage lines decode without an outcome", arguments: fixtureFiles)
    func decodedLines(file: String) throws {
        let cache = DecodeCache()
        let decoder = LineDecoder()
        for (number, line) in try FixturePaths.lines(file).enumerated() {
            let tree = Self.treeOutcome(line)
            switch line.withUnsafeBufferPointer({ decoder.decodeLine($0, now: Self.now, cache: cache) }) {
            case .event(let event):
                #expect(file == "cliproxyapi/usage-queue.jsonl", "\(file) line \(number + 1)")
                #expect(tree.events == [event], "\(file) line \(number + 1)")
                #expect(tree.rejects.isEmpty, "\(file) line \(number + 1)")
            case .outcome(let outcome):
                #expect(file != "cliproxyapi/usage-queue.jsonl", "\(file) line \(number + 1)")
                #expect(outcome.events == tree.events, "\(file) line \(number + 1)")
                #expect(outcome.rejects == tree.rejects, "\(file) line \(number + 1)")
            }
        }
    }

    @Test("other shapes are left to the tree", arguments: fixtureFiles.dropFirst())
    func otherShapes(file: String) throws {
        for line in try FixturePaths.lines(file) {
            #expect(Self.scannedEvent(line) == nil)
        }
    }

    @Test("scanned event has the exact fields")
    func exactFields() throws {
        let line = Self.record(#","alias":"gpt-5-alias","request_id":"r-1","ttft_ms":250,"auth_index":"ab12""#)
        let event = try #require(Self.scannedEvent(line))
        #expect(event.key == EventKey(namespace: "cliproxyapi.usage_queue", bytes: line))
        #expect(event.provider == "codex")
        #expect(event.model == "gpt-5")
        #expect(event.requestedModel == "gpt-5-alias")
        #expect(event.requestID == "r-1")
        #expect(event.startedAtNanoseconds == 1_796_076_066_500_000_000)
        #expect(event.latencyMilliseconds == 1200)
        #expect(event.timeToFirstTokenMilliseconds == 250)
        #expect(event.authIndex == "ab12")
        #expect(event.status == .succeeded)
        #expect(event.statusCode == 200)
        #expect(event.buckets == TokenBuckets(inputUncached: 400, cacheRead: 600, output: 300, reasoning: 120))
        #expect(event.clientKeyID == SecretHasher.clientKeyID("sk-client-FAKE01"))
        #expect(event.accountID == SecretHasher.accountID("acct@example.invalid"))
        #expect(event.shape == .usageQueue)
        #expect(event.usageState == .present)
        #expect(event.quality == .complete)
        #expect(event.sessionID == nil)
        #expect(event.serviceName == nil)
        #expect(event.hostName == nil)
        #expect(event.toolInputTokens == 0)
        #expect(event.toolOutputTokens == 0)
    }

    /// Hand-made lines: whether the scanned path reads each one, and the tree's outcome, which the
    /// full decoder must give in both cases.
    static let edgeCases: [(name: String, line: [UInt8], isScanned: Bool)] = [
        ("escape in a value", record(#","alias":"gpt\u002d5""#), false),
        ("escape in an unread value", record(#","user_agent":"a\"b\\c\/d\n""#), true),
        ("escape in a key", record(#","\u0061lias":"x""#), false),
        ("non-ASCII key", record(#","modèl":"x""#), false),
        ("non-ASCII value", record(#","alias":"modèle-€-😀""#), true),
        ("duplicate top-level key", record(#","model":"gpt-5-mini","model":"gpt-5-nano""#), true),
        (
            "duplicate nested key", record(#","token_breakdown":{"input":{"uncached_tokens":1,"uncached_tokens":7}}"#),
            true
        ),
        ("exponent in a token field", record(#","token_breakdown":{"input":{"uncached_tokens":1e3}}"#), false),
        ("fraction in a token field", record(#","token_breakdown":{"unclassified_tokens":1.0}"#), false),
        ("negative zero in a token field", record(#","token_breakdown":{"unclassified_tokens":-0}"#), true),
        ("negative token count", record(#","token_breakdown":{"unclassified_tokens":-5}"#), false),
        ("Int64 overflow", record(#","ttft_ms":9223372036854775808"#), false),
        ("nulls", record(#","alias":null,"fail":null,"ttft_ms":null,"request_id":null,"auth_index":null"#), true),
        ("null model", Array(#"{"timestamp":"2026-11-30T17:01:06Z","model":null,"tokens":{}}"#.utf8), true),
        ("string where a number is read", record(#","ttft_ms":"12""#), false),
        ("number where a string is read", record(#","alias":5"#), false),
        ("Boolean as a string", record(#","failed":"false""#), false),
        ("failed with status code", record(#","failed":true,"fail":{"status_code":499}"#), true),
        ("empty secrets", record(#","api_key":"","source":"""#), true),
        ("escaped secret", record(#","api_key":"sk-\u0041""#), false),
        ("epoch timestamp", Array(#"{"timestamp":1764540066,"provider":"codex","tokens":{}}"#.utf8), true),
        (
            "escaped timestamp", Array(#"{"timestamp":"2026-11-30T17:01:06\u005a","provider":"x","tokens":{}}"#.utf8),
            false
        ),
        ("bad timestamp", Array(#"{"timestamp":"2026-13-30T17:01:06Z","provider":"x","tokens":{}}"#.utf8), false),
        ("future timestamp", Array(#"{"timestamp":"2999-01-01T00:00:00Z","provider":"x","tokens":{}}"#.utf8), false),
        ("missing timestamp", Array(#"{"provider":"x","tokens":{}}"#.utf8), false),
        ("null timestamp", Array(#"{"timestamp":null,"provider":"x","tokens":{}}"#.utf8), false),
        (
            "deep unread nesting",
            record(#","extra":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100)), true
        ),
        (
            "nesting past the limit",
            record(#","extra":"# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600)), false
        ),
        ("object four levels deep", record(#","token_breakdown":{"input":{"x":{"y":{}}}}"#), true),
        (
            "invalid UTF-8 in a value", Array(record(#","alias":"a"#).dropLast(2)) + [0xC3, 0x28] + Array("\"}".utf8),
            false
        ),
        ("control character in a string", record(",\"alias\":\"a\tb\""), false),
        ("trailing comma", Array(record("").dropLast()) + Array(",}".utf8), false),
        ("whitespace and BOM", [0xEF, 0xBB, 0xBF, 0x20] + record("") + [0x0D], true),
        ("OTLP member present", record(#","resourceSpans":[]"#), false),
        ("legacy usage member present", record(#","usage":{}"#), false),
        ("execution id present", record(#","execution_id":"e""#), false),
        ("gap marker member present", record(#","tokenledgerd_gap":{}"#), false),
        ("top level is an array", Array("[1]".utf8), false),
    ]

    @Test("edge cases decode as through the tree", arguments: edgeCases.indices)
    func edgeCase(index: Int) {
        let (name, line, isScanned) = Self.edgeCases[index]
        let tree = Self.treeOutcome(line)
        let scanned = Self.scannedEvent(line)
        #expect((scanned != nil) == isScanned, "\(name)")
        if let scanned {
            #expect(tree.events == [scanned], "\(name)")
        }
        let full = line.withUnsafeBufferPointer { LineDecoder().decode($0, now: Self.now, cache: DecodeCache()) }
        #expect(full.events == tree.events, "\(name)")
        #expect(full.rejects == tree.rejects, "\(name)")
    }

    @Test("unread lines leave the event empty", arguments: edgeCases.indices)
    func edgeCaseEventInPlace(index: Int) {
        let (name, line, isScanned) = Self.edgeCases[index]
        var event = UsageQueueDecoder.emptyEvent
        let isDecoded = line.withUnsafeBufferPointer { buffer in
            UsageQueueDecoder.decodeScanned(
                LineDecoder.trimmed(buffer), now: Self.now, cache: DecodeCache(), into: &event)
        }
        #expect(isDecoded == isScanned, "\(name)")
        if isDecoded {
            #expect(Self.treeOutcome(line).events == [event], "\(name)")
        } else {
            #expect(event == UsageQueueDecoder.emptyEvent, "\(name)")
        }
    }

    @Test("edge cases have the expected tree outcome")
    func edgeCaseOutcomes() throws {
        func outcome(_ name: String) throws -> LineOutcome {
            let line = try #require(Self.edgeCases.first { $0.name == name }?.line)
            return LineDecoder().decode(line, now: Self.now)
        }
        #expect(try outcome("escape in a value").events.first?.requestedModel == "gpt-5")
        #expect(try outcome("escape in a key").events.first?.requestedModel == "x")
        #expect(try outcome("non-ASCII value").events.first?.requestedModel == "modèle-€-😀")
        #expect(try outcome("duplicate top-level key").events.first?.model == "gpt-5-nano")
        #expect(try outcome("duplicate nested key").events.first?.buckets.inputUncached == 7)
        #expect(try outcome("negative zero in a token field").events.first?.buckets.unclassified == 0)
        #expect(
            try outcome("exponent in a token field").rejects
                == [DecodeError(.invalidField, "token_breakdown.input.uncached_tokens is not a 64-bit integer")])
        #expect(
            try outcome("fraction in a token field").rejects
                == [DecodeError(.invalidField, "token_breakdown.unclassified_tokens is not a 64-bit integer")])
        #expect(
            try outcome("negative token count").rejects
                == [DecodeError(.invalidField, "token_breakdown.unclassified_tokens is -5, outside 0 to 1000000000000")]
        )
        #expect(try outcome("null model").events.first?.model == "unknown")
        #expect(try outcome("failed with status code").events.first?.status == .interrupted)
        #expect(try outcome("empty secrets").events.first?.clientKeyID == nil)
        #expect(try outcome("empty secrets").events.first?.accountID == nil)
        #expect(try outcome("escaped secret").events.first?.clientKeyID == SecretHasher.clientKeyID("sk-A"))
        #expect(try outcome("epoch timestamp").events.first?.startedAtNanoseconds == 1_764_540_066_000_000_000)
        #expect(try outcome("escaped timestamp").events.first?.startedAtNanoseconds == 1_796_058_066_000_000_000)
        #expect(try outcome("nesting past the limit").rejects.first?.code == .invalidJSON)
        #expect(try outcome("invalid UTF-8 in a value").rejects.first?.code == .invalidJSON)
        #expect(try outcome("null timestamp").rejects == [DecodeError(.missingField, "timestamp is missing")])
        #expect(try outcome("top level is an array").rejects.first?.code == .unknownShape)
    }

    @Test("a reused cache changes no event")
    func reusedCache() throws {
        let cache = DecodeCache()
        let lines = (0..<200).map { index in
            Self.record(#","request_id":"r-\#(index)","alias":"alias-\#(index % 7)","api_key":"key-\#(index % 50)""#)
        }
        for round in 0..<2 {
            for line in lines {
                let event = try #require(Self.scannedEvent(line, cache: cache))
                #expect(event == Self.scannedEvent(line), "round \(round)")
            }
        }
    }

    @Test("scanner accepts what the parser accepts", arguments: ["y_", "n_", "i_"])
    func scannerMatchesParser(prefix: String) throws {
        let names = JSONTestSuiteTests.caseNames(prefix: prefix)
        #expect(!names.isEmpty)
        var scanner = JSONMemberScanner()
        for name in names {
            let bytes = try Data(contentsOf: JSONTestSuiteTests.suiteDirectory.appendingPathComponent(name))
            let parsed = try? JSONParser.parse(bytes)
            let scanned = Array(bytes).withUnsafeBufferPointer { scanner.scan($0) }
            #expect(scanned == (parsed?.objectValue != nil), "\(name)")
        }
    }

    @Test("scanner records member ranges")
    func scannerRanges() throws {
        let text = Array(#" {"a" : "x\ty", "b":{"c":[1,{"d":2}],"e":{"f":{"g":true}}}, "é":null} "#.utf8)
        var scanner = JSONMemberScanner()
        // The tab inside "x\ty" is escaped in the source, so the text is valid.
        #expect(text.withUnsafeBufferPointer { scanner.scan($0) })
        let described = scanner.members.map { member in
            let key = String(decoding: text[member.keyStart..<member.keyEnd], as: UTF8.self)
            let value = String(decoding: text[member.valueStart..<member.valueEnd], as: UTF8.self)
            return "\(member.parent) \(key) \(member.kind) \(value)"
        }
        #expect(
            described == [
                #"-1 a escapedString x\ty"#, #"-1 b object {"c":[1,{"d":2}],"e":{"f":{"g":true}}}"#,
                #"1 c array [1,{"d":2}]"#, #"1 e object {"f":{"g":true}}"#, #"3 f object {"g":true}"#,
                "-1 é null null",
            ])
        #expect(scanner.hasNonPlainKey)
    }

    @Test("reused scanner matches a fresh one")
    func reusedScanner() {
        // Texts with more members than the first scan has room for, some of them invalid after
        // those members, between small ones, so that the member storage grows mid-scan.
        let wide = (0..<(3 * JSONMemberScanner.initialCapacity)).map { #""k\#($0)":\#($0)"# }.joined(separator: ",")
        let texts = [
            #"{"a":1,"b":{"c":"x"}}"#, "{\(wide)}", #"{"a":[1,2],"d":{"e":{"f":{"g":1}}}}"#, "{\(wide),}",
            #"{"q":{\#(wide)},"r":"s"}"#, #"{"a":"#, "{" + wide + #","a":{"b":1},"a":2}"#, "{}",
        ]
        var reused = JSONMemberScanner()
        for round in 0..<2 {
            for text in texts {
                let bytes = Array(text.utf8)
                var fresh = JSONMemberScanner()
                let expected = bytes.withUnsafeBufferPointer { fresh.scan($0) }
                let found = bytes.withUnsafeBufferPointer { reused.scan($0) }
                #expect(found == expected, "round \(round): \(text.prefix(40))")
                guard expected else { continue }
                #expect(reused.hasNonPlainKey == fresh.hasNonPlainKey)
                #expect(Self.describe(reused.members) == Self.describe(fresh.members), "round \(round)")
                for (member, freshMember) in zip(reused.members, fresh.members) {
                    #expect(member.keyFingerprint == freshMember.keyFingerprint)
                    let key = Array(bytes[member.keyStart..<member.keyEnd])
                    #expect(
                        Self.lookup(key, parent: member.parent, in: reused, bytes: bytes)
                            == Self.lookup(key, parent: member.parent, in: fresh, bytes: bytes))
                }
            }
        }
    }

    @Test("small text after a large one clears a small table")
    func indexShrinks() {
        var scanner = JSONMemberScanner()
        let wide = Array(("{" + (0..<5000).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + "}").utf8)
        #expect(wide.withUnsafeBufferPointer { scanner.scan($0) })
        #expect(scanner.members.count == 5000)
        #expect(scanner.index.slots.count >= 2 * 5000)
        let small = Array(#"{"a":1,"b":{"c":2}}"#.utf8)
        for _ in 0..<2 {
            #expect(small.withUnsafeBufferPointer { scanner.scan($0) })
        }
        #expect(scanner.members.count == 3)
        #expect(scanner.index.slots.count <= 16 * 2 * 32)
    }

    private static func lookup(_ name: [UInt8], parent: Int, in scanner: JSONMemberScanner, bytes: [UInt8]) -> Int? {
        name.withUnsafeBufferPointer { name in
            scanner.members.withUnsafeBufferPointer { members in
                scanner.index.slots.withUnsafeBufferPointer { slots in
                    bytes.withUnsafeBufferPointer { bytes in
                        ScannedMemberIndex.lookup(name, parent: parent, slots: slots, members: members, bytes: bytes)
                    }
                }
            }
        }
    }

    private static func describe(_ members: ArraySlice<ScannedMember>) -> [String] {
        members.map { member in
            "\(member.parent) \(member.keyStart)-\(member.keyEnd) \(member.isPlainKey) \(member.kind) "
                + "\(member.valueStart)-\(member.valueEnd)"
        }
    }

    @Test(
        "member index finds the last members",
        arguments: [
            #"{"a":1,"b":{"a":2,"a":3},"a":4,"":5,"b2":{"":6}}"#,
            #"{"abcdefgh_1_ijklmnop":1,"abcdefgh_2_ijklmnop":2,"abcdefgh_1_ijklmnop":3,"abcdefghijklmnop":4}"#,
            #"{"x":{"abcdefghi":1,"abcdefghj":2},"y":{"abcdefghi":3},"abcdefghi":{"x":{"y":5}}}"#,
            // 150 members and a repeated one, more than the smallest table holds.
            #"{"q":0,"z":{"# + (0..<150).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + #","k7":8}}"#,
        ])
    func memberIndex(text: String) throws {
        let bytes = Array(text.utf8)
        var scanner = JSONMemberScanner()
        let isValid = bytes.withUnsafeBufferPointer { scanner.scan($0) }
        try #require(isValid)
        try bytes.withUnsafeBufferPointer { buffer in
            let members = scanner.members
            var names: Set<[UInt8]> = [Array("missing".utf8), []]
            for member in members {
                names.insert(Array(bytes[member.keyStart..<member.keyEnd]))
            }
            try members.withUnsafeBufferPointer { members in
                try scanner.index.slots.withUnsafeBufferPointer { slots in
                    for parent in Set([-1] + members.indices.filter { members[$0].kind == .object }) {
                        for name in names {
                            let expected = members.indices.last { index in
                                members[index].parent == parent
                                    && Array(bytes[members[index].keyStart..<members[index].keyEnd]) == name
                            }
                            let found = name.withUnsafeBufferPointer { name in
                                ScannedMemberIndex.lookup(
                                    name, parent: parent, slots: slots, members: members, bytes: buffer)
                            }
                            #expect(found == expected, "\(String(decoding: name, as: UTF8.self)) in \(parent)")
                        }
                    }
                    try #require(slots.count >= 2 * members.count)
                }
            }
        }
    }

    @Test("special byte search matches a byte loop")
    func specialByteSearch() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x00, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x41, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xC3, 0xFF]
        for _ in 0..<2000 {
            let count = Int.random(in: 0...40, using: &generator)
            var bytes = (0..<count).map { _ in UInt8(ascii: "a") }
            for _ in 0..<Int.random(in: 0...3, using: &generator) where count > 0 {
                bytes[Int.random(in: 0..<count, using: &generator)] = alphabet.randomElement(using: &generator)!
            }
            bytes.withUnsafeBufferPointer { buffer in
                for start in 0...count {
                    let expected =
                        buffer[start...].firstIndex { byte in
                            byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80
                        } ?? count
                    #expect(
                        JSONMemberScanner.firstSpecialByte(in: buffer, from: start) == expected, "\(bytes) \(start)")
                }
            }
        }
    }

    @Test(
        "exact Int64 reads like Int64(String)",
        arguments: [
            "0", "-0", "7", "-7", "1000000000000", "9223372036854775807", "-9223372036854775808",
            "9223372036854775808", "-9223372036854775809", "99999999999999999999", "1.0", "1e3", "-", "",
        ])
    func exactInt64(text: String) {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBufferPointer { ScannedFieldReader.exactInt64($0) } == Int64(text))
    }

    @Test("exact integers match Int64 parsing")
    func exactInt64Random() {
        var generator = SystemRandomNumberGenerator()
        // No "+": Int64("+1") is 1, but a JSON number never starts with one.
        let alphabet = Array("0123456789-.eE".utf8)
        for _ in 0..<20_000 {
            // Mostly digits, 0 to 21 of them, around the 18-digit limit of the unchecked loop.
            var bytes = (0..<Int.random(in: 0...21, using: &generator)).map { _ in
                UInt8(ascii: "0") + UInt8.random(in: 0...9, using: &generator)
            }
            if Bool.random(using: &generator) {
                bytes.insert(UInt8(ascii: "-"), at: 0)
            }
            if Int.random(in: 0..<8, using: &generator) == 0, !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = alphabet.randomElement(using: &generator)!
            }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(bytes.withUnsafeBufferPointer { ScannedFieldReader.exactInt64($0) } == Int64(text), "\(text)")
        }
        for text in ["9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809"] {
            let bytes = Array(text.utf8)
            #expect(bytes.withUnsafeBufferPointer { ScannedFieldReader.exactInt64($0) } == Int64(text), "\(text)")
        }
    }

    @Test("interned strings keep their values")
    func interner() {
        let interner = StringInterner()
        let values = (0..<500).map { "value-\($0 % 170)-\(String(repeating: "x", count: $0 % 80))" } + ["", "é"]
        for round in 0..<2 {
            for value in values {
                let bytes = Array(value.utf8)
                #expect(bytes.withUnsafeBufferPointer { interner.string($0) } == value, "round \(round)")
            }
        }
    }

    @Test("byte-keyed table matches a dictionary")
    func byteKeyedStrings() {
        var generator = SystemRandomNumberGenerator()
        let table = ByteKeyedStrings(slotCount: 16)
        var expected: [[UInt8]: String] = [:]
        var hits = 0
        for step in 0..<5000 {
            // Few distinct keys, many sharing a bucket of this small table, some differing only in
            // their tag byte, which the lookup also compares.
            let length = Int.random(in: 0...20, using: &generator)
            let key = (0..<length).map { _ in UInt8.random(in: 0...2, using: &generator) }
            let tag = UInt8.random(in: 0...1, using: &generator)
            let fingerprint = key.withUnsafeBufferPointer { ByteKeyedStrings.fingerprint($0) }
            let found = key.withUnsafeBufferPointer { table.value(for: $0, tag: tag, fingerprint: fingerprint) }
            if let found {
                hits += 1
                #expect(found == expected[key + [tag]], "step \(step)")
                continue
            }
            let value = "value-\(step)"
            expected[key + [tag]] = value
            key.withUnsafeBufferPointer { table.insert(value, for: $0, tag: tag, fingerprint: fingerprint) }
            let stored = key.withUnsafeBufferPointer { table.value(for: $0, tag: tag, fingerprint: fingerprint) }
            #expect(stored == value)
        }
        #expect(hits > 0)
        #expect(table.count <= table.slotCount)
    }

    @Test("short key equality matches bytes")
    func shortKeyEquality() {
        var generator = SystemRandomNumberGenerator()
        // Keys are cut from the middle of a buffer whose other bytes vary, so a key that read a
        // byte outside its slice would differ from the same bytes cut elsewhere.
        func key(_ bytes: [UInt8], using generator: inout SystemRandomNumberGenerator) -> ShortKey {
            let before = (0..<Int.random(in: 0...9, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            let after = (0..<Int.random(in: 0...9, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            let buffer = before + bytes + after
            return buffer.withUnsafeBufferPointer {
                ShortKey(UnsafeBufferPointer(rebasing: $0[before.count..<before.count + bytes.count]))
            }
        }
        for step in 0..<20000 {
            let length = Int.random(in: 0...ShortKey.maximumLength, using: &generator)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...1, using: &generator) }
            let otherLength =
                Bool.random(using: &generator) ? length : Int.random(in: 0...ShortKey.maximumLength, using: &generator)
            let other = (0..<otherLength).map { _ in UInt8.random(in: 0...1, using: &generator) }
            #expect(key(bytes, using: &generator) == key(bytes, using: &generator), "step \(step)")
            #expect(
                (key(bytes, using: &generator) == key(other, using: &generator)) == (bytes == other), "step \(step)")
        }
    }

    @Test("short keys differ in each byte")
    func shortKeyEveryByte() {
        for length in 1...ShortKey.maximumLength {
            let bytes = [UInt8](repeating: 0x61, count: length)
            let base = bytes.withUnsafeBufferPointer { ShortKey($0) }
            for position in 0..<length {
                var changed = bytes
                changed[position] = 0x62
                let key = changed.withUnsafeBufferPointer { ShortKey($0) }
                #expect(key != base, "length \(length), position \(position)")
            }
            if length < ShortKey.maximumLength {
                let longer = (bytes + [0]).withUnsafeBufferPointer { ShortKey($0) }
                #expect(longer != base, "length \(length)")
            }
        }
    }

    @Test("short-keyed table matches a dictionary")
    func shortKeyedStrings() {
        var generator = SystemRandomNumberGenerator()
        let table = ShortKeyedStrings(slotCount: 16)
        var expected: [[UInt8]: String] = [:]
        var hits = 0
        for step in 0..<5000 {
            // Few distinct keys, many sharing a bucket of this small table, some differing only in
            // their tag byte, which the lookup also compares.
            let length = Int.random(in: 0...ShortKey.maximumLength, using: &generator)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...1, using: &generator) }
            let tag = UInt8.random(in: 0...1, using: &generator)
            let key = bytes.withUnsafeBufferPointer { ShortKey($0) }
            if let found = table.value(for: key, tag: tag) {
                hits += 1
                #expect(found == expected[bytes + [tag]], "step \(step)")
                continue
            }
            let value = "value-\(step)"
            expected[bytes + [tag]] = value
            table.insert(value, for: key, tag: tag)
            #expect(table.value(for: key, tag: tag) == value)
        }
        #expect(hits > 0)
        #expect(table.count <= table.slotCount)
    }

    @Test("interned strings of every short length")
    func internerShortLengths() {
        let interner = StringInterner()
        var values: [String] = []
        for length in 0...40 {
            let plain = String(repeating: "m", count: length)
            values.append(plain)
            for position in 0..<length {
                var characters = Array(plain)
                characters[position] = "n"
                values.append(String(characters))
            }
            if length >= 2 {
                values.append("é" + String(repeating: "m", count: length - 2))
            }
        }
        for round in 0..<2 {
            for value in values {
                let bytes = Array(value.utf8)
                #expect(bytes.withUnsafeBufferPointer { interner.string($0) } == value, "round \(round)")
            }
        }
    }

    @Test("secret id cache returns the derived ids")
    func secretIDCache() {
        let cache = SecretIDCache()
        #expect(cache.description == "SecretIDCache(0 entries)")
        for index in 0..<600 {
            let secret = "secret-\(index % 90)-\(String(repeating: "s", count: index % 90 * 7))"
            let bytes = Array(secret.utf8)
            let client = bytes.withUnsafeBufferPointer { cache.id(utf8: $0, kind: .client) }
            let account = bytes.withUnsafeBufferPointer { cache.id(utf8: $0, kind: .account) }
            #expect(client == SecretHasher.clientKeyID(secret))
            #expect(account == SecretHasher.accountID(secret))
        }
        #expect(!cache.description.contains("secret-"))
    }
}
