import Foundation
import LedgerCore
import Testing

/// `tokenledgerd import` on the synthetic legacy statistics export.
@Suite("Legacy export import end to end", .serialized)
struct ImportTests {
    static let fixture = Harness.fixture("cliproxyapi/legacy-export.json").path

    @Test("import is idempotent")
    func importTwice() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let first = try harness.run(["import", Self.fixture, "--state-dir", harness.state.path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "import: 5 events read, 5 new, 0 already stored; 0 details rejected\n")
        let second = try harness.run(["import", "--state-dir", harness.state.path, "--file", Self.fixture])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout == "import: 5 events read, 0 new, 5 already stored; 0 details rejected\n")
        #expect(try harness.eventCount() == 5)
        #expect(
            try harness.query(
                "SELECT sum(input_uncached + cache_read + cache_write + output + unclassified) FROM events")
                == "13935")
        #expect(try harness.query("SELECT DISTINCT shape FROM events") == "cliproxyapi.legacy_export")
    }

    @Test("raw group key is never stored")
    func groupKeyHashed() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        #expect(try harness.run(["import", Self.fixture, "--state-dir", harness.state.path]).status == 0)
        let dump = try harness.query(".dump")
        #expect(!dump.contains("sk-legacy-FAKE-0001"))
        #expect(!dump.contains("example.invalid"))
        #expect(dump.contains(SecretHasher.clientKeyID("sk-legacy-FAKE-0001")))
        _ = try harness.exportEvents()
        let exported = try Data(contentsOf: harness.out.appendingPathComponent("events.jsonl"))
        #expect(!String(decoding: exported, as: UTF8.self).contains("sk-legacy-FAKE-0001"))
    }

    @Test("provider option applies token rules")
    func providerOption() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let run = try harness.run(["import", Self.fixture, "--provider", "codex", "--state-dir", harness.state.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            try harness.query(
                "SELECT input_uncached, cache_read, output, reasoning FROM events WHERE model = 'gpt-5' "
                    + "AND usage_state = 'present'") == "400|800|300|100")
    }

    @Test("other documents are refused")
    func notAnExport() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let path = harness.root.appendingPathComponent("other.json").path
        try Data("{\"resourceSpans\":[]}".utf8).write(to: URL(fileURLWithPath: path))
        let run = try harness.run(["import", path, "--state-dir", harness.state.path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("is not a CLIProxyAPI statistics export"))
        let unknown = try harness.run(["import", Self.fixture, "--provider", "nope", "--state-dir", harness.state.path])
        #expect(unknown.status == 2)
    }
}
