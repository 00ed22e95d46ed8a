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
        folder.add(Self.attempt("r1", status: .failed, code: 503, seed: "1"), cost: nil)
        folder.add(Self.attempt("r1", status: .failed, code: 429, seed: "2"), cost: nil)
        folder.add(Self.attempt("r1", status: .succeeded, code: 200, latency: 3000, seed: "3"), cost: nil)
        folder.add(Self.attempt("r2", status: .interrupted, code: 499, seed: "4"), cost: nil)
        folder.add(Self.attempt(nil, status: .failed, code: nil, seed: "5"), cost: nil)
        folder.add(Self.attempt(nil, status: .succeeded, code: 200, latency: 1000, seed: "6"), cost: nil)
        let metrics = try #require(folder.results().first)
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
}
