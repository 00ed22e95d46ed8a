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

        // The Pareto row, from the snapshot's six-decimal values: quality = mean(runtime,
        // benchmark 47/57), cost 1/(1+5.625), latency 1/(1+s).
        let benchmarkQuality = 47.0 / 57.0
        let snapshotQuality = (quality * 1_000_000).rounded() / 1_000_000
        let snapshotLatency = (median * 1_000_000).rounded() / 1_000_000
        let qualityComponent = (snapshotQuality + benchmarkQuality) / 2
        let latencyComponent = 1 / (1 + snapshotLatency / 1000)
        let score = 100 * (0.5 * qualityComponent + 0.3 * (1 / (1 + 5.625)) + 0.2 * latencyComponent)
        let row = try #require(pareto.split(separator: "\r\n").first { $0.hasPrefix("30,codex,gpt-5,") })
        let cells = row.split(separator: ",", omittingEmptySubsequences: false)
        let scoreCell = try #require(Double(String(cells[3])))
        #expect(abs(scoreCell - score) < 0.000_001)
        #expect(cells[9] == "\((quality * 1_000_000).rounded() / 1_000_000)")
    }

    @Test("SQL view agrees with the CSV on live metrics")
    func viewAgreesWithCSV() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(FixtureTruthTests.fixtureFiles)
        #expect(try harness.runOnce().status == 0)
        let ledger = harness.state.appendingPathComponent("ledger")
        var script = ""
        for name in [
            "unified_model_provider_ledger.schema.sql", "unified_model_provider_ledger.seed.sql",
            "unified_model_provider_pareto.view.sql",
        ] {
            script += try String(contentsOf: ledger.appendingPathComponent(name), encoding: .utf8) + "\n"
        }
        let snapshot = try String(
            contentsOf: ledger.appendingPathComponent("cliproxyapi_runtime_metrics_snapshot.csv"), encoding: .utf8)
        let rows = snapshot.split(separator: "\r\n").dropFirst()
        #expect(rows.count == 13)
        for row in rows {
            let cells = row.split(separator: ",", omittingEmptySubsequences: false)
            script +=
                "INSERT INTO cliproxyapi_runtime_metrics_snapshot VALUES "
                + "('\(cells[0])', '\(cells[1])', \(cells[2]), \(cells[3]), '\(cells[4])');\n"
        }
        script +=
            "SELECT ledger_row_id || ',' || printf('%.6f', pareto_score) FROM unified_model_provider_pareto_view "
            + "ORDER BY ledger_row_id;\n"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        let viewText = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var viewScores: [String: Double] = [:]
        for line in viewText.split(separator: "\n") {
            let parts = line.split(separator: ",")
            viewScores[String(parts[0])] = Double(parts[1])
        }
        let pareto = try String(
            contentsOf: ledger.appendingPathComponent("unified_model_provider_pareto.csv"), encoding: .utf8)
        var compared = 0
        for row in pareto.split(separator: "\r\n").dropFirst() {
            let cells = row.split(separator: ",", omittingEmptySubsequences: false)
            let csvScore = try #require(Double(String(cells[3])))
            let viewScore = try #require(viewScores[String(cells[0])], "row \(cells[0]) missing from the view")
            #expect(abs(csvScore - viewScore) < 0.000_000_5, "row \(cells[0]): CSV \(csvScore), view \(viewScore)")
            compared += 1
        }
        #expect(compared == 56)
    }
}
