import Foundation
import LedgerCore
import Testing

@Suite("Ledger files from the binary", .serialized)
struct LedgerFilesTests {
    static let identicalFiles = [
        "unified_model_provider_ledger.csv", "unified_model_provider_ledger.schema.sql",
        "unified_model_provider_ledger.seed.sql", "cliproxyapi_runtime_metrics_snapshot.csv",
        "unified_model_provider_pareto.csv",
    ]

    @Test("empty store reproduces tokenledger's files")
    func emptyStoreMatchesFixtures() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let run = try harness.runOnce()
        #expect(run.status == 0, "\(run.stderr)")
        let ledger = harness.state.appendingPathComponent("ledger")
        for name in Self.identicalFiles {
            let produced = try Data(contentsOf: ledger.appendingPathComponent(name))
            let expected = try Data(contentsOf: Harness.fixture("tokenledger/expected/\(name)"))
            #expect(produced == expected, "\(name) differs from tokenledger's")
        }
        let view = try String(
            contentsOf: ledger.appendingPathComponent("unified_model_provider_pareto.view.sql"), encoding: .utf8)
        #expect(view.contains("CREATE VIEW unified_model_provider_pareto_view"))
    }

    @Test("fixture events reach the Pareto table")
    func fixtureEventsReachPareto() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(FixtureTruthTests.fixtureFiles)
        #expect(try harness.runOnce().status == 0)
        let ledger = harness.state.appendingPathComponent("ledger")
        let snapshot = try String(
            contentsOf: ledger.appendingPathComponent("cliproxyapi_runtime_metrics_snapshot.csv"), encoding: .utf8)
        let pareto = try String(
            contentsOf: ledger.appendingPathComponent("unified_model_provider_pareto.csv"), encoding: .utf8)

        // codex/gpt-5 gathers the OTLP spans of provider "openai" and the usage-queue records of
        // provider "codex" with model gpt-5. Client cancellations (status 499 in the record) are
        // left out of the success rate.
        var latencies: [Int64] = []
        var attempts = 0
        var succeeded = 0
        let spanTruths =
            try fixtureLines("otlp/genai-traces.jsonl.expected.jsonl")
            + fixtureLines("otlp/genai-traces-base64-ids.jsonl.expected.jsonl")
        for line in spanTruths {
            let truth = try JSONParser.parse(line)
            guard truth["provider"]?.stringValue == "openai", truth["model"]?.stringValue == "gpt-5" else { continue }
            attempts += 1
            if truth["failed"]?.boolValue == false {
                succeeded += 1
                let start = try #require(truth["start_ns"]?.int64Value)
                let end = try #require(truth["end_ns"]?.int64Value)
                latencies.append((end - start + 500_000) / 1_000_000)
            }
        }
        let records = try fixtureLines("cliproxyapi/usage-queue.jsonl")
        let recordTruths = try fixtureLines("cliproxyapi/usage-queue.jsonl.expected.jsonl")
        for (line, truthLine) in zip(records, recordTruths) {
            let truth = try JSONParser.parse(truthLine)
            let record = try JSONParser.parse(line)
            guard truth["provider"]?.stringValue == "codex", truth["model"]?.stringValue == "gpt-5" else { continue }
            if record["fail"]?["status_code"]?.int64Value == 499 {
                continue
            }
            attempts += 1
            if truth["failed"]?.boolValue == false {
                succeeded += 1
                latencies.append(try #require(truth["latency_ms"]?.int64Value))
            }
        }
        #expect(attempts > 20)
        latencies.sort()
        let middle = latencies.count / 2
        let median =
            latencies.count % 2 == 1
            ? Double(latencies[middle]) : Double(latencies[middle - 1] + latencies[middle]) / 2
        let quality = Double(succeeded) / Double(attempts)
        let expectedRow =
            "codex,gpt-5,\(String(format: "%.6f", median)),\(String(format: "%.6f", quality)),tokenledgerd:events"
        #expect(snapshot.contains(expectedRow + "\r\n"), "snapshot lacks \(expectedRow)")

        // The Pareto row: quality = mean(runtime, benchmark 47/57), cost 1/(1+5.625), latency 1/(1+s).
        let benchmarkQuality = 47.0 / 57.0
        let qualityComponent = (quality + benchmarkQuality) / 2
        let latencyComponent = 1 / (1 + median / 1000)
        let score = 100 * (0.5 * qualityComponent + 0.3 * (1 / (1 + 5.625)) + 0.2 * latencyComponent)
        let row = try #require(pareto.split(separator: "\r\n").first { $0.hasPrefix("30,codex,gpt-5,") })
        let cells = row.split(separator: ",", omittingEmptySubsequences: false)
        let scoreCell = try #require(Double(String(cells[3])))
        #expect(abs(scoreCell - score) < 0.000_001)
        #expect(cells[9] == "\((quality * 1_000_000).rounded() / 1_000_000)")
    }
}
