import Foundation
import Glibc
import LedgerCore
import Testing

/// Tool-token columns and repriced costs in the central PostgreSQL ledger.
@Suite("replication of costs and tool tokens", .serialized)
struct ReplicationCostTests {
    /// The central ledger's schema version 1 as the first release created it, with one event
    /// replicated then.
    static let versionOneSchema = """
        CREATE TABLE tokenledgerd_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE events (
            event_key bytea NOT NULL, started_at timestamptz NOT NULL, started_at_ns bigint NOT NULL,
            source_host text NOT NULL, source_event_id bigint NOT NULL, shape text NOT NULL, provider text NOT NULL,
            model text NOT NULL, requested_model text, session_id text, request_id text, latency_ms bigint,
            ttft_ms bigint, status text NOT NULL, status_code integer, input_uncached bigint NOT NULL,
            cache_read bigint NOT NULL, cache_write bigint NOT NULL, output bigint NOT NULL,
            reasoning bigint NOT NULL, unclassified bigint NOT NULL, usage_state text NOT NULL, quality text NOT NULL,
            client_key_id text, account_id text, auth_index text, service_name text, host_name text,
            file_path text, line_offset bigint, cost_nanos bigint, cost_estimated boolean, price_ref text,
            priced_at_ns bigint, replicated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (event_key, started_at)
        ) PARTITION BY RANGE (started_at);
        CREATE INDEX events_fold_order ON events (started_at_ns, event_key);
        CREATE INDEX events_source ON events (source_host, source_event_id);
        INSERT INTO tokenledgerd_schema (version) VALUES (1);
        CREATE TABLE events_2026_05 PARTITION OF events
            FOR VALUES FROM ('2026-05-01 00:00:00+00') TO ('2026-06-01 00:00:00+00');
        INSERT INTO events (event_key, started_at, started_at_ns, source_host, source_event_id, shape, provider,
                            model, status, input_uncached, cache_read, cache_write, output, reasoning, unclassified,
                            usage_state, quality, cost_nanos, cost_estimated, price_ref, priced_at_ns)
        VALUES ('\\x00000000000000000000000000000001', '2026-05-01 12:00:00+00', 1777636800000000000, 'old-host', 1,
                'tokenledger.event', 'codex', 'gpt-5', 'succeeded', 10, 0, 0, 5, 0, 0, 'present', 'complete', 60, false,
                'tokenledger:codex/gpt-5@sha256:00', 1777636900000000000);
        """

    /// Writes a pricing file whose gpt-5 tool rates are `toolInput` and `toolOutput` USD per
    /// million tokens, and whose openrouter/deepseek-chat input rate is `deepseekInput`.
    static func writePricing(to url: URL, toolInput: String, toolOutput: String, deepseekInput: String = "0.27")
        throws
    {
        let text = """
            {
              "meta": {"source": "replication cost test"},
              "provider_aliases": {},
              "providers": {
                "codex": {
                  "subscription_usd_month": 0.0,
                  "model_aliases": {},
                  "models": {
                    "gpt-5": {
                      "input_usd_per_mtok": 2.0, "output_usd_per_mtok": 8.0, "cache_write_usd_per_mtok": 2.5,
                      "cache_read_usd_per_mtok": 0.2, "tool_input_usd_per_mtok": \(toolInput),
                      "tool_output_usd_per_mtok": \(toolOutput)
                    }
                  }
                },
                "openrouter": {
                  "subscription_usd_month": 0.0,
                  "model_aliases": {},
                  "models": {
                    "deepseek-chat": {"input_usd_per_mtok": \(deepseekInput), "output_usd_per_mtok": 1.1}
                  }
                }
              }
            }
            """
        try Data(text.utf8).write(to: url)
    }

    /// Runs `replicate` and returns its standard error, which contains the summary line.
    static func replicate(_ harness: Harness, target: String) throws -> String {
        let run = try harness.run(
            ["replicate", "--to", "@" + target, "--state-dir", harness.state.path, "--log-level", "info"],
            environment: ["TOKENLEDGERD_HOST_ID": "host-new"])
        #expect(run.status == 0, "\(run.stderr)")
        return run.stderr
    }

    @Test("reprice reaches the central ledger")
    func repriceReplicates() throws {
        guard let server = try ReplicationTests.startServer() else { return }
        defer { server.tearDown() }
        let harness = try Harness()
        defer { harness.cleanUp() }
        let pricing = harness.root.appendingPathComponent("pricing.json")
        try Self.writePricing(to: pricing, toolInput: "0.5", toolOutput: "1.5")
        try harness.append(ToolTokenPricingTests.line, to: "tools.jsonl")
        try harness.addFixtures(["tokenledger/events.jsonl"])
        let options = ["--spool", harness.spool.path, "--state-dir", harness.state.path, "--pricing", pricing.path]
        #expect(try harness.run(["run", "--once"] + options).status == 0)
        let target = try ReplicationTests.writeTarget(server, in: harness)

        let first = try Self.replicate(harness, target: target)
        #expect(first.contains("replication.events=5"))
        // The file prices codex/gpt-5 only: the new line and the fixture's second event.
        #expect(first.contains("replication.cost_changes=2"))
        let toolQuery =
            "SELECT tool_input_tokens, tool_output_tokens, cost_nanos FROM events WHERE session_id = 's-tools'"
        #expect(try server.query(toolQuery) == "300000|50000|4155000000")
        #expect(
            try server.query("SELECT sum(tool_input_tokens), sum(tool_output_tokens) FROM events")
                == "800000|350000")

        // Tool rates 0.75 and 3 USD per million. The new line: 2 + 1.6 + 0.25 + 0.08 + 0.225 + 0.15 =
        // 4.305 USD, was 4.155. The fixture's gpt-5 event: 1.8 + 2.4 + 0.25 + 0.16 + 0.1875 + 0.45 =
        // 5.2475 USD, was 4.96 with 0.125 and 0.225 for its tool parts.
        try Self.writePricing(to: pricing, toolInput: "0.75", toolOutput: "3.0")
        let reprice = try harness.run(["reprice", "--state-dir", harness.state.path, "--pricing", pricing.path])
        #expect(reprice.status == 0, "\(reprice.stderr)")
        #expect(reprice.stdout == "repriced 5 events: total 9.115 USD -> 9.5525 USD, priced 2 -> 2\n")

        // The fold priced the two events with values 1 and 2, and reprice gave them 3 and 4.
        let waiting = try harness.run(["status", "--json", "--state-dir", harness.state.path])
        #expect(waiting.status == 0, "\(waiting.stderr)")
        #expect(waiting.stdout.contains(#""events_behind":0,"last_cost_change":2,"cost_changes_behind":2,"#))

        let second = try Self.replicate(harness, target: target)
        #expect(second.contains("replication.events=0"))
        // The three events without a price stay unpriced, which is no change.
        #expect(second.contains("replication.cost_changes=2"))
        #expect(try server.query(toolQuery) == "300000|50000|4305000000")
        let localReference = try harness.query("SELECT price_ref FROM events WHERE session_id = 's-tools'")
        #expect(try server.query("SELECT price_ref FROM events WHERE session_id = 's-tools'") == localReference)

        let caughtUp = try harness.run(["status", "--json", "--state-dir", harness.state.path])
        #expect(caughtUp.stdout.contains(#""last_cost_change":4,"cost_changes_behind":0,"milliseconds_behind":0}"#))

        let third = try Self.replicate(harness, target: target)
        #expect(third.contains("replication.events=0"))
        #expect(third.contains("replication.cost_changes=0"))

        let local = try harness.run([
            "export", "--state-dir", harness.state.path, "--out", harness.out.path, "--pricing", pricing.path,
        ])
        #expect(local.status == 0, "\(local.stderr)")
        // With the old pricing file, a cost in the export can only come from the central ledger,
        // because events with a recorded cost are not priced again in memory.
        let oldPricing = harness.root.appendingPathComponent("old-pricing.json")
        try Self.writePricing(to: oldPricing, toolInput: "0.5", toolOutput: "1.5")
        let central = harness.root.appendingPathComponent("central")
        let remote = try harness.run([
            "export", "--state-dir", harness.state.path, "--from", "@" + target, "--out", central.path, "--pricing",
            oldPricing.path, "--what", "events",
        ])
        #expect(remote.status == 0, "\(remote.stderr)")
        let expected = try Data(contentsOf: harness.out.appendingPathComponent("events.jsonl"))
        let actual = try Data(contentsOf: central.appendingPathComponent("events.jsonl"))
        #expect(actual == expected, "events.jsonl differs between the central and the local export")
        #expect(String(decoding: actual, as: UTF8.self).contains(#""cost_usd":"4.305""#))
        #expect(String(decoding: actual, as: UTF8.self).contains(#""tool_input_tokens":300000"#))

        let centralAll = harness.root.appendingPathComponent("central-all")
        let remoteAll = try harness.run([
            "export", "--state-dir", harness.state.path, "--from", "@" + target, "--out", centralAll.path,
            "--pricing", pricing.path,
        ])
        #expect(remoteAll.status == 0, "\(remoteAll.stderr)")
        for name in ReplicationTests.comparedFiles {
            let expected = try Data(contentsOf: harness.out.appendingPathComponent(name))
            let actual = try Data(contentsOf: centralAll.appendingPathComponent(name))
            #expect(actual == expected, "\(name) differs between the central and the local export")
        }

        let centralLedger = harness.root.appendingPathComponent("central-ledger")
        let fold = try harness.run([
            "fold", "--state-dir", harness.state.path, "--from", "@" + target, "--ledger-dir", centralLedger.path,
            "--pricing", oldPricing.path,
        ])
        #expect(fold.status == 0, "\(fold.stderr)")
        let monthly = try String(
            contentsOf: centralLedger.appendingPathComponent("rollups_monthly.csv"), encoding: .utf8)
        // The two gpt-5 events fall in different months, so each monthly row has one repriced cost.
        #expect(monthly.contains(",4.305,0,4.305\r\n"), "\(monthly)")
        #expect(monthly.contains(",5.2475,0,5.2475\r\n"), "\(monthly)")
    }

    @Test("version 1 central ledger migrates")
    func remoteMigration() throws {
        guard let server = try ReplicationTests.startServer() else { return }
        defer { server.tearDown() }
        _ = try server.query(Self.versionOneSchema)
        let harness = try Harness()
        defer { harness.cleanUp() }
        let pricing = harness.root.appendingPathComponent("pricing.json")
        try Self.writePricing(to: pricing, toolInput: "0.5", toolOutput: "1.5")
        try harness.append(ToolTokenPricingTests.line, to: "events.jsonl")
        let options = ["--spool", harness.spool.path, "--state-dir", harness.state.path, "--pricing", pricing.path]
        #expect(try harness.run(["run", "--once"] + options).status == 0)
        let target = try ReplicationTests.writeTarget(server, in: harness)

        let run = try Self.replicate(harness, target: target)
        #expect(run.contains("replication.events=1"))
        #expect(
            try server.query("SELECT string_agg(version::text, ',' ORDER BY version) FROM tokenledgerd_schema") == "1,2"
        )
        #expect(
            try server.query(
                "SELECT source_host, tool_input_tokens, tool_output_tokens, cost_nanos FROM events ORDER BY started_at")
                == "old-host|0|0|60\nhost-new|300000|50000|4155000000")
        #expect(try server.query("SELECT count(*) FROM events_2026_05") == "1")
    }

    @Test("kills during cost catch-up lose nothing")
    func killsDuringCostCatchUp() throws {
        guard let server = try ReplicationTests.startServer() else { return }
        defer { server.tearDown() }
        let harness = try Harness()
        defer { harness.cleanUp() }
        let eventCount = 4000
        try ReplicationTests.writeGeneratedSpool(
            events: eventCount, to: harness.spool.appendingPathComponent("generated.jsonl"))
        let pricing = harness.root.appendingPathComponent("pricing.json")
        try Self.writePricing(to: pricing, toolInput: "0.5", toolOutput: "1.5")
        let options = ["--spool", harness.spool.path, "--state-dir", harness.state.path, "--pricing", pricing.path]
        #expect(try harness.run(["run", "--once"] + options).status == 0)
        #expect(try harness.query("SELECT count(cost_nanos) FROM events") == String(eventCount))
        let target = try ReplicationTests.writeTarget(server, in: harness)
        let config = harness.root.appendingPathComponent("replication.conf")
        try Data("[replication]\nbatch_events = 10\nhost_id = costs\n".utf8).write(to: config)
        let arguments = ["replicate", "--to", "@" + target, "--state-dir", harness.state.path, "--config", config.path]
        let first = try harness.run(arguments)
        #expect(first.status == 0, "\(first.stderr)")

        // A higher input rate changes every cost; the replicator is killed while it sends them.
        try Self.writePricing(to: pricing, toolInput: "0.5", toolOutput: "1.5", deepseekInput: "0.31")
        let reprice = try harness.run(["reprice", "--state-dir", harness.state.path, "--pricing", pricing.path])
        #expect(reprice.status == 0, "\(reprice.stderr)")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5 {
            let process = Process()
            process.executableURL = Harness.binary
            process.arguments = arguments
            process.currentDirectoryURL = Harness.packageRoot
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 100_000...300_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let final = try harness.run(arguments)
        #expect(final.status == 0, "\(final.stderr)")

        let localCosts = try harness.query("SELECT lower(hex(event_key)) || ' ' || cost_nanos FROM events ORDER BY 1")
        let remoteCosts = try server.query(
            "SELECT encode(event_key, 'hex') || ' ' || cost_nanos FROM events ORDER BY 1")
        #expect(remoteCosts == localCosts)
        #expect(try server.query("SELECT count(*) FROM events") == String(eventCount))
        #expect(
            try harness.query("SELECT last_cost_change_seq FROM replication_watermarks")
                == harness.query("SELECT max(cost_change_seq) FROM events"))
    }
}
