import Foundation
import LedgerCore
import Testing

@Suite("Secrets stay out", .serialized)
struct SecretsTests {
    /// Every `api_key`, `source` and `client_ip` value of the usage-queue fixture.
    static func secretValues() throws -> Set<String> {
        var values: Set<String> = []
        for line in try fixtureLines("cliproxyapi/usage-queue.jsonl") {
            let record = try JSONParser.parse(line)
            for name in ["api_key", "source", "client_ip"] {
                if let value = record[name]?.stringValue, !value.isEmpty {
                    values.insert(value)
                }
            }
        }
        return values
    }

    @Test("database, logs and exports hold no secret")
    func noSecretAnywhere() throws {
        let secrets = try Self.secretValues()
        #expect(secrets.contains("sk-client-FAKE67"))
        #expect(secrets.contains("acct-1@example.invalid"))
        #expect(secrets.count > 20)

        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(FixtureTruthTests.fixtureFiles)
        // Rejected lines that still carry secrets: their quarantine samples must be redacted.
        let lines = try fixtureLines("cliproxyapi/usage-queue.jsonl").map { String(decoding: $0, as: UTF8.self) }
        let rejected = [
            lines[0].replacingOccurrences(
                of: "\"timestamp\":\"2026-11-30T17:01:06.498873-05:00\"", with: "\"timestamp\":7"),
            String(lines[2].dropLast(40)),
            "{\"api_key\":\"sk-client-FAKE20\",\"source\":\"acct-4@example.invalid\"}",
        ]
        try harness.append(rejected.joined(separator: "\n") + "\n", to: "rejected.jsonl")

        var logs = ""
        let run = try harness.runOnce()
        #expect(run.status == 0)
        logs += run.stdout + run.stderr
        let status = try harness.run(["status", "--state-dir", harness.state.path])
        logs += status.stdout + status.stderr
        let export = try harness.run(["export", "--state-dir", harness.state.path, "--out", harness.out.path])
        #expect(export.status == 0)
        logs += export.stdout + export.stderr
        #expect(try harness.query("SELECT count(*) FROM quarantine") == "3")

        var files: [URL] = []
        for directory in [harness.state, harness.out] {
            let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                if (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
                    files.append(url)
                }
            }
        }
        #expect(files.contains { $0.lastPathComponent == "tokenledgerd.sqlite3" })
        #expect(files.contains { $0.lastPathComponent == "events.jsonl" })
        for file in files {
            let bytes = try Data(contentsOf: file)
            for secret in secrets {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file.lastPathComponent) holds a secret")
            }
        }
        for secret in secrets {
            #expect(!logs.contains(secret), "logs hold a secret")
        }
        // The hashes that replace the secrets are the documented derivations.
        let hashed = try harness.query(
            "SELECT count(*) FROM events WHERE client_key_id = '\(SecretHasher.clientKeyID("sk-client-FAKE67"))'")
        #expect(Int(hashed) ?? 0 > 0)
        #expect(
            SecretHasher.clientKeyID("sk-client-FAKE67")
                == "3b7505b7a12466c8d73825d01b512ed7bf2000263f1abf524a879a42c166ee70")
    }
}
