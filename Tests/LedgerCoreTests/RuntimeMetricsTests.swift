import LedgerCore
import Testing

@Suite("Runtime metrics fold")
struct RuntimeMetricsTests {
    static func attempt(
        _ request: String?, status: EventStatus, code: Int?, latency: Int64 = 1000, seed: String
    ) -> CanonicalEvent {
        var event = CanonicalEvent(
            key: EventKey(namespace: "test", bytes: Array(seed.utf8)), shape: .usageQueue, provider: "codex",
            model: "gpt-5", startedAtNanoseconds: 1_796_076_066_000_000_000, status: status,
            buckets: TokenBuckets(inputUncached: 10, output: 5), usageState: .present, quality: .complete)
        event.requestID = request
        event.statusCode = code
        event.latencyMilliseconds = latency
        return event
    }

    @Test("requests and failure classes")
    func requestsAndFailureClasses() throws {
        var folder = RuntimeMetricsFolder(mapping: ProviderMapping(pricing: nil))
        // Request r1: a 503, a 429, then a success. Request r2: a client cancel. Two attempts
        // without a request id: a failure without a code and a success.
        try folder.add(Self.attempt("r1", status: .failed, code: 503, seed: "1"), cost: nil)
        try folder.add(Self.attempt("r1", status: .failed, code: 429, seed: "2"), cost: nil)
        try folder.add(Self.attempt("r1", status: .succeeded, code: 200, latency: 3000, seed: "3"), cost: nil)
        try folder.add(Self.attempt("r2", status: .interrupted, code: 499, seed: "4"), cost: nil)
        try folder.add(Self.attempt(nil, status: .failed, code: nil, seed: "5"), cost: nil)
        try folder.add(Self.attempt(nil, status: .succeeded, code: 200, latency: 1000, seed: "6"), cost: nil)
        let metrics = try #require(try folder.results().first)
        #expect(metrics.attempts == 6)
        #expect(metrics.requests == 4)
        #expect(metrics.failed == 3)
        #expect(metrics.failedClientErrors == 1)
        #expect(metrics.failedServerErrors == 1)
        #expect(metrics.failedOther == 1)
        #expect(metrics.interrupted == 1)
        #expect(metrics.successRate == 2.0 / 5.0)
        #expect(metrics.latencyP50 == 2000)
    }

    @Test("spilled request ids keep every metric")
    func spilledRequestIDs() throws {
        var events: [CanonicalEvent] = []
        // 600 requests of gpt-5, each tried twice (a 503, then a success), with latencies 1 to 600 ms,
        // and 300 of them reused by opus, whose requests are counted apart.
        for number in 1...600 {
            let id = String(number, radix: 16)
            events.append(Self.attempt(id, status: .failed, code: 503, seed: "f\(number)"))
            events.append(
                Self.attempt(id, status: .succeeded, code: 200, latency: Int64(number), seed: "s\(number)"))
            if number <= 300 {
                var event = Self.attempt(id, status: .succeeded, code: 200, latency: 7, seed: "o\(number)")
                event.model = "opus"
                events.append(event)
            }
        }

        var inMemory = RuntimeMetricsFolder(mapping: ProviderMapping(pricing: nil))
        let storage = MemorySpillStorage()
        var spilled = RuntimeMetricsFolder(mapping: ProviderMapping(pricing: nil), spill: storage, memoryLimit: 64)
        for event in events {
            try inMemory.add(event, cost: nil)
            try spilled.add(event, cost: nil)
        }

        let expected = try inMemory.results()
        #expect(try spilled.results() == expected)
        #expect(storage.fileCount > 1)
        #expect(expected.map(\.model) == ["gpt-5", "opus"])
        #expect(expected.map(\.requests) == [600, 300])
        #expect(expected.map(\.attempts) == [1200, 300])
        // Position 0.5 × 599 = 299.5 between 300 and 301 ms; 0.95 × 599 = 569.05 between 570 and 571.
        #expect(expected[0].latencyP50 == 300.5)
        #expect(expected[0].latencyP95 == 570.05)
        #expect(expected[1].latencyP50 == 7)
    }
}
