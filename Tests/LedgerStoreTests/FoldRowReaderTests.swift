import Foundation
import LedgerCore
import LedgerStore
import Testing

@Suite("Fold row reader")
struct FoldRowReaderTests {
    static func event(
        _ seed: String, provider: String, model: String, session: String?, request: String?, at instant: Int64
    ) -> CanonicalEvent {
        var event = CanonicalEvent(
            key: EventKey(namespace: "test", bytes: Array(seed.utf8)), shape: .otlpSpan, provider: provider,
            model: model, startedAtNanoseconds: instant, status: .failed,
            buckets: TokenBuckets(inputUncached: 7, cacheRead: 3, output: 11, reasoning: 2), usageState: .present,
            quality: .inconsistent)
        event.sessionID = session
        event.requestID = request
        event.statusCode = 503
        event.latencyMilliseconds = 250
        event.timeToFirstTokenMilliseconds = nil
        return event
    }

    @Test("rows carry numbers, keys and costs")
    func rowsMatchEvents() throws {
        let (store, directory) = try StoreCommitTests.temporaryStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let events = [
            Self.event("1", provider: "openai", model: "gpt-5", session: "s1", request: "00ff", at: 10),
            Self.event("2", provider: "claude", model: "opus", session: nil, request: "Req-1", at: 20),
            Self.event("3", provider: "openai", model: "gpt-5", session: "s2", request: "ab:cd", at: 30),
            Self.event("4", provider: "openai", model: "gpt-5-mini", session: "s1", request: "", at: 40),
            Self.event("5", provider: "claude", model: "opus", session: "", request: nil, at: 50),
        ]
        _ = try store.commit(
            IngestBatch(
                file: StoreCommitTests.file(offset: 10),
                events: events.enumerated().map { PositionedEvent(event: $1, lineOffset: Int64($0)) }, quarantine: [],
                now: 1))
        try store.recordCost(
            RecordedCost(nanos: 1_500, isEstimated: true, priceReference: "p", pricedAtNanoseconds: 9), eventID: 1)
        try store.recordCost(
            RecordedCost(nanos: nil, isEstimated: false, priceReference: "p", pricedAtNanoseconds: 9), eventID: 2)

        var rows: [FoldRow] = []
        try store.forEachFoldRow { rows.append($0) }
        try #require(rows.count == 5)
        #expect(rows.map(\.pairNumber) == [0, 1, 0, 2, 1])
        #expect(rows.map(\.provider) == ["openai", "claude", "openai", "openai", "claude"])
        #expect(rows.map(\.model) == ["gpt-5", "opus", "gpt-5", "gpt-5-mini", "opus"])
        #expect(rows.map(\.sessionID) == ["s1", nil, "s2", "s1", nil])
        #expect(rows[0].requestKey == .packed(4 << 60 | 0xff))
        #expect(rows[1].requestKey == .text("Req-1"))
        #expect(rows[3].requestKey == .none)
        #expect(rows[4].requestKey == .none)
        #expect(rows.map(\.pricing) == [.priced, .usageMissing, .unpriced, .unpriced, .unpriced])
        #expect(rows.map(\.costNanos) == [1_500, nil, nil, nil, nil])
        #expect(rows[0].costIsEstimated)
        #expect(rows.map(\.startedAtNanoseconds) == [10, 20, 30, 40, 50])
        #expect(rows[0].shape == .otlpSpan)
        #expect(rows[0].status == .failed)
        #expect(rows[0].statusCode == 503)
        #expect(rows[0].latencyMilliseconds == 250)
        #expect(rows[0].timeToFirstTokenMilliseconds == nil)
        #expect(rows[0].buckets == TokenBuckets(inputUncached: 7, cacheRead: 3, output: 11, reasoning: 2))
        #expect(rows[0].usageState == .present)
        #expect(rows[0].quality == .inconsistent)
    }
}
