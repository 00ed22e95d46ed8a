import Foundation
import LedgerCore
import Testing

@Suite("Gap markers", .serialized)
struct GapMarkerTests {
    @Test("gap line is counted but not folded")
    func gapCountedNotFolded() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let gap =
            #"{"tokenledgerd_gap":{"at":"2026-11-30T22:05:00Z","reason":"proxy_restart","since":"2026-11-30T22:04:00Z"}}"#
        try harness.write(Records.usageLines(1...2) + gap + "\n", to: "pulled.jsonl")
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.query("SELECT count(*) FROM events WHERE shape = 'tokenledgerd.gap'") == "1")
        #expect(
            try harness.query("SELECT request_id || ' ' || latency_ms FROM events WHERE shape = 'tokenledgerd.gap'")
                == "proxy_restart 60000")
        let status = try harness.run(["status", "--state-dir", harness.state.path, "--json"])
        let report = try JSONParser.parse(status.stdout)
        let gapCounts = (report["events"]?.arrayValue ?? []).filter { $0["source"]?.stringValue == "tokenledgerd.gap" }
        #expect(gapCounts.map { $0["count"]?.int64Value } == [1])
        let snapshot = try String(
            contentsOf: harness.state.appendingPathComponent("ledger/cliproxyapi_runtime_metrics_snapshot.csv"),
            encoding: .utf8)
        #expect(!snapshot.contains("\r\ntokenledgerd,gap,"))
        #expect(snapshot.split(separator: "\r\n").count == 2)
    }
}
