import Foundation
import Glibc
import Testing

@Suite("replication to PostgreSQL", .serialized)
struct ReplicationTests {
    /// The files of an export that must match byte for byte; `status.json` describes one store.
    static let comparedFiles = [
        "events.jsonl", "unified_model_provider_ledger.csv", "unified_model_provider_pareto.csv",
        "cliproxyapi_runtime_metrics_snapshot.csv", "cliproxyapi_runtime_metrics_extended.csv", "rollups_daily.csv",
        "rollups_monthly.csv", "ui_snapshot.json", "manifest.json",
    ]

    /// Starts a server, or returns `nil` after printing why the test is skipped.
    static func startServer() throws -> ReplicationServer? {
        guard ReplicationServer.isAvailable else {
            print(
                "skipping: PostgreSQL server binaries are missing in \(ReplicationServer.binaries); install postgresql")
            return nil
        }
        return try ReplicationServer()
    }

    /// Writes the connection string into a file readable only by its owner.
    static func writeTarget(_ server: ReplicationServer, in harness: Harness) throws -> String {
        let path = harness.root.appendingPathComponent("target").path
        try Data(server.connectionString.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        return path
    }

    @Test("two hosts replicate into one ledger")
    func twoHosts() throws {
        guard let server = try Self.startServer() else { return }
        defer { server.tearDown() }
        let first = try Harness()
        let second = try Harness()
        let union = try Harness()
        defer {
            first.cleanUp()
            second.cleanUp()
            union.cleanUp()
        }
        try first.addFixtures(["cliproxyapi/usage-queue.jsonl"])
        try second.addFixtures(["otlp/genai-traces.jsonl"])
        try union.addFixtures(["cliproxyapi/usage-queue.jsonl", "otlp/genai-traces.jsonl"])
        for harness in [first, second, union] {
            #expect(try harness.runOnce().status == 0)
        }
        let target = try Self.writeTarget(server, in: first)
        var logs = ""
        for (harness, host) in [(first, "host-a"), (second, "host-b")] {
            let run = try harness.run(
                ["replicate", "--to", "@" + target, "--state-dir", harness.state.path, "--log-level", "debug"],
                environment: ["TOKENLEDGERD_HOST_ID": host])
            #expect(run.status == 0, "\(run.stderr)")
            logs += run.stderr
        }
        let firstCount = Int(try first.query("SELECT count(*) FROM events")) ?? -1
        let secondCount = Int(try second.query("SELECT count(*) FROM events")) ?? -1
        #expect(try server.query("SELECT count(*) FROM events") == String(firstCount + secondCount))
        #expect(try server.query("SELECT string_agg(DISTINCT source_host, ',') FROM events") == "host-a,host-b")

        let again = try first.run(["replicate", "--to", "@" + target, "--state-dir", first.state.path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("replication.events=0"))
        #expect(try server.query("SELECT count(*) FROM events") == String(firstCount + secondCount))

        let local = try union.run(["export", "--state-dir", union.state.path, "--out", union.out.path])
        #expect(local.status == 0, "\(local.stderr)")
        let central = first.root.appendingPathComponent("central")
        let remote = try first.run([
            "export", "--state-dir", first.state.path, "--from", "@" + target, "--out", central.path,
        ])
        #expect(remote.status == 0, "\(remote.stderr)")
        for name in Self.comparedFiles {
            let expected = try Data(contentsOf: union.out.appendingPathComponent(name))
            let actual = try Data(contentsOf: central.appendingPathComponent(name))
            #expect(actual == expected, "\(name) differs between the central and the local export")
            #expect(!String(decoding: actual, as: UTF8.self).contains(server.password))
        }
        logs += local.stderr + remote.stderr
        #expect(!logs.contains(server.password))
    }

    @Test("password on the command line is rejected")
    func passwordArgument() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        #expect(try harness.runOnce().status == 0)
        let run = try harness.run([
            "replicate", "--to", "host=127.0.0.1 user=ledger password=hunter2", "--state-dir", harness.state.path,
        ])
        #expect(run.status == 2)
        #expect(run.stderr.contains("--to contains a password"))
        #expect(!run.stderr.contains("hunter2"))
    }

    /// The size of the kill test: events, kills and the outage. The environment variables
    /// `TOKENLEDGERD_REPLICATION_EVENTS`, `..._KILLS` and `..._OUTAGE_SECONDS` change it, for a
    /// quicker local run or a longer soak.
    struct KillTestSize {
        var events = 100_000
        var kills = 20
        var outageSeconds = 10

        init(environment: [String: String] = ProcessInfo.processInfo.environment) {
            func value(_ name: String) -> Int? {
                environment["TOKENLEDGERD_REPLICATION_" + name].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
            }
            events = value("EVENTS") ?? events
            kills = value("KILLS") ?? kills
            outageSeconds = value("OUTAGE_SECONDS") ?? outageSeconds
        }
    }

    @Test("kills and an outage lose nothing")
    func killsAndOutage() throws {
        guard let server = try Self.startServer() else { return }
        defer { server.tearDown() }
        let harness = try Harness()
        defer { harness.cleanUp() }
        let size = KillTestSize()
        print("replication kill test: \(size.events) events, \(size.kills) kills, \(size.outageSeconds) s outage")
        try Self.writeGeneratedSpool(events: size.events, to: harness.spool.appendingPathComponent("generated.jsonl"))
        #expect(try harness.runOnce().status == 0)
        let localCount = try harness.query("SELECT count(*) FROM events")
        #expect(localCount == String(size.events))
        let lastEventID = Int(try harness.query("SELECT max(event_id) FROM events")) ?? -1
        let target = try Self.writeTarget(server, in: harness)
        let config = harness.root.appendingPathComponent("replication.conf")
        try Data("[replication]\nbatch_events = 200\nhost_id = torture\n".utf8).write(to: config)
        let arguments = [
            "replicate", "--to", "@" + target, "--state-dir", harness.state.path, "--config", config.path,
        ]
        func watermark() -> Int {
            Int((try? harness.query("SELECT last_event_id FROM replication_watermarks")) ?? "") ?? 0
        }
        // Each kill waits until the watermark passes a random point of its share of the catch-up,
        // so that every kill lands during the catch-up, spread over it, after a committed batch.
        var generator = SystemRandomNumberGenerator()
        let share = lastEventID / (size.kills + 1)
        var killedAt: [Int] = []
        for round in 0..<size.kills {
            let process = Process()
            process.executableURL = Harness.binary
            process.arguments = arguments
            process.currentDirectoryURL = Harness.packageRoot
            process.standardError = FileHandle.nullDevice
            try process.run()
            let commandLine =
                (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(process.processIdentifier)/cmdline")))
                ?? Data()
            #expect(!String(decoding: commandLine, as: UTF8.self).contains(server.password))
            if round == size.kills / 2 {
                // An outage in the middle: the replicator backs off and resumes when the server returns.
                try server.stop()
                usleep(UInt32(size.outageSeconds) * 1_000_000)
                try server.start()
            }
            let point = round * share + Int.random(in: 1...max(1, share), using: &generator)
            let deadline = Date().addingTimeInterval(120)
            while watermark() < point && process.isRunning && Date() < deadline {
                usleep(2_000)
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            killedAt.append(watermark())
        }
        print("replication kill test: watermark after each kill \(killedAt)")
        // Every kill landed before the catch-up ended, so each one interrupted it.
        #expect(killedAt.count == size.kills)
        #expect(killedAt.allSatisfy { $0 < lastEventID }, "\(killedAt)")
        let final = try harness.run(arguments)
        #expect(final.status == 0, "\(final.stderr)")
        #expect(!final.stderr.contains(server.password))

        let localKeys = try harness.query("SELECT lower(hex(event_key)) FROM events ORDER BY 1")
        let remoteKeys = try server.query("SELECT encode(event_key, 'hex') FROM events ORDER BY 1")
        #expect(try server.query("SELECT count(*) FROM events") == localCount)
        #expect(remoteKeys == localKeys)
        #expect(watermark() == lastEventID)
    }

    /// Writes `events` usage queue records, nine seconds apart from 2026-10-31, spread over two months so
    /// that two partitions are created.
    static func writeGeneratedSpool(events: Int, to url: URL) throws {
        var text = ""
        let start = 1_793_404_800  // 2026-10-31T00:00:00Z
        for index in 0..<events {
            let seconds = start + index * 9
            let stamp = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(seconds)))
            text +=
                "{\"timestamp\":\"\(stamp)\",\"latency_ms\":\(100 + index % 900),\"source\":\"acct@example.invalid\","
                + "\"auth_index\":\"a\(index % 7)\",\"tokens\":{\"input_tokens\":\(1000 + index),\"output_tokens\":"
                + "\(index % 500),\"reasoning_tokens\":0,\"cached_tokens\":0,\"total_tokens\":\(1000 + index + index % 500)},"
                + "\"failed\":false,\"provider\":\"openrouter\",\"model\":\"deepseek-chat\",\"endpoint\":"
                + "\"POST /v1/chat/completions\",\"auth_type\":\"oauth\",\"api_key\":\"sk-client-FAKE\",\"request_id\":"
                + "\"gen-\(index)\"}\n"
        }
        try Data(text.utf8).write(to: url)
    }
}
