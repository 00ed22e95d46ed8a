import Foundation
import LedgerCore
import Testing

/// Invariants of every decoded event, checked over every fixture line and over systematic
/// mutations of them.
@Suite("Decoder properties")
struct DecoderPropertyTests {
    static let now: Int64 = 1_796_400_000_000_000_000
    static let fixtures = [
        "cliproxyapi/usage-queue.jsonl", "cliproxyapi/accounting-v1.jsonl", "otlp/genai-traces.jsonl",
        "otlp/genai-traces-base64-ids.jsonl", "tokenledger/events.jsonl",
    ]

    static func checkInvariants(_ outcome: LineOutcome, _ context: String) {
        for event in outcome.events {
            let buckets = event.buckets
            #expect(!buckets.hasNegative, "\(context)")
            #expect(buckets.reasoning <= buckets.output, "\(context)")
            #expect(buckets.inputTotal == buckets.inputUncached + buckets.cacheRead + buckets.cacheWrite, "\(context)")
            #expect(buckets.total == buckets.inputTotal + buckets.output + buckets.unclassified, "\(context)")
            #expect(event.usageState != .missing || buckets.isZero, "\(context)")
            #expect(event.toolInputTokens <= buckets.inputUncached, "\(context)")
            #expect(event.toolOutputTokens <= buckets.output, "\(context)")
        }
    }

    @Test("fixture lines keep the bucket invariants", arguments: fixtures)
    func fixtureInvariants(file: String) throws {
        let lines = try FixturePaths.lines(file)
        #expect(!lines.isEmpty)
        var events = 0
        for (index, line) in lines.enumerated() {
            let outcome = LineDecoder().decode(line, now: Self.now)
            #expect(outcome.rejects.isEmpty, "\(file) line \(index + 1): \(outcome.rejects)")
            events += outcome.events.count
            Self.checkInvariants(outcome, "\(file) line \(index + 1)")
        }
        #expect(events >= lines.count)
    }

    /// Replaces every integer in `line` by `replacement`, one integer at a time.
    static func integerMutations(_ line: [UInt8], replacement: String) -> [[UInt8]] {
        var mutations: [[UInt8]] = []
        var index = 0
        var inString = false
        while index < line.count {
            let byte = line[index]
            if byte == UInt8(ascii: "\"") {
                inString.toggle()
            } else if byte == UInt8(ascii: "\\") && inString {
                index += 2
                continue
            }
            let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            if !inString && isDigit && index > 0 && line[index - 1] == UInt8(ascii: ":") {
                var end = index
                while end < line.count, line[end] >= UInt8(ascii: "0"), line[end] <= UInt8(ascii: "9") { end += 1 }
                mutations.append(Array(line[..<index]) + Array(replacement.utf8) + Array(line[end...]))
                index = end
                continue
            }
            index += 1
        }
        return mutations
    }

    @Test("mutated counts keep the invariants", arguments: ["0", "1", "999999999999", "1000000000001", "-1"])
    func mutatedCounts(replacement: String) throws {
        var checked = 0
        for file in ["cliproxyapi/usage-queue.jsonl", "cliproxyapi/accounting-v1.jsonl", "tokenledger/events.jsonl"] {
            for line in try FixturePaths.lines(file).prefix(25) {
                for mutation in Self.integerMutations(line, replacement: replacement) {
                    Self.checkInvariants(LineDecoder().decode(mutation, now: Self.now), file)
                    checked += 1
                }
            }
        }
        #expect(checked > 500)
    }

    @Test("legacy export keeps the invariants")
    func legacyInvariants() throws {
        let bytes = Array(try Data(contentsOf: FixturePaths.fixture("cliproxyapi/legacy-export.json")))
        guard case .decoded(let outcome) = DocumentDecoder.decode(bytes, now: Self.now) else {
            Issue.record("legacy export did not decode as a document")
            return
        }
        #expect(outcome.events.count == 5)
        Self.checkInvariants(outcome, "legacy export")
    }
}
