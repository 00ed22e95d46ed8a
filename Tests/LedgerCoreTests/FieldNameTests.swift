import Testing

@testable import LedgerCore

/// Lookups through a ``FieldName``'s precomputed fingerprint against lookups by `String`.
@Suite("Field names")
struct FieldNameTests {
    /// Keys of 0 to 29 bytes, with long keys that share their first and last 8 bytes and differ
    /// only in the middle, and a key repeated, whose last occurrence a lookup returns.
    static let line = Array(
        (#"{"":1,"a":2,"tokens":{"input_tokens":3,"cache_read_tokens":4},"exactly_16_bytes":5,"#
            + #""cache_creation_tokens":6,"cache_XXXXXXXX_tokens":7,"cache_creation_tokens":8,"#
            + #""cache_creation_input_tokens":9}"#).utf8)

    static let names: [FieldName] = [
        FieldName(""), FieldName("a"), FieldName("tokens"), FieldName("input_tokens"), FieldName("cache_read_tokens"),
        FieldName("exactly_16_bytes"), FieldName("cache_creation_tokens"), FieldName("cache_XXXXXXXX_tokens"),
        FieldName("cache_YYYYYYYY_tokens"), FieldName("cache_creation_input_tokens"), FieldName("missing"),
    ]

    @Test("lookups match String lookups")
    func lookupsMatch() throws {
        var scanner = JSONMemberScanner()
        try Self.line.withUnsafeBufferPointer { bytes in
            let isScanned = scanner.scan(bytes)
            #expect(isScanned)
            let slots = scanner.index.slots
            try scanner.members.withUnsafeBufferPointer { members in
                try slots.withUnsafeBufferPointer { slots in
                    let top = ScannedFieldReader(
                        bytes: bytes, members: members, slots: slots, parent: -1, depth: 1, cache: DecodeCache())
                    let tokens = try #require(try top.object(FieldName("tokens")))
                    for field in Self.names {
                        #expect(top.memberIndex(field) == top.memberIndex(field.string), "\(field.string)")
                        #expect(tokens.memberIndex(field) == tokens.memberIndex(field.string), "\(field.string)")
                    }
                    #expect(top.memberIndex(FieldName("cache_creation_tokens")) == 8)
                    #expect(top.memberIndex(FieldName("cache_YYYYYYYY_tokens")) == nil)
                    #expect(tokens.memberIndex(FieldName("input_tokens")) == 3)
                    #expect(top.memberIndex(FieldName("input_tokens")) == nil)
                }
            }
        }
    }

    @Test("shared names spell their members")
    func sharedNames() {
        #expect(UsageQueueFieldNames.shared.gapMarker.string == GapMarker.memberName)
        let breakdown = TokenBreakdownFieldNames.shared
        let spelled = [
            breakdown.input, breakdown.output, breakdown.uncachedTokens, breakdown.cacheReadTokens,
            breakdown.cacheWriteTokens, breakdown.nonReasoningTokens, breakdown.reasoningTokens,
            breakdown.unclassifiedTokens, breakdown.totalTokens, breakdown.quality,
        ].map(\.string)
        #expect(
            spelled == [
                "input", "output", "uncached_tokens", "cache_read_tokens", "cache_write_tokens",
                "non_reasoning_tokens", "reasoning_tokens", "unclassified_tokens", "total_tokens", "quality",
            ])
    }
}
