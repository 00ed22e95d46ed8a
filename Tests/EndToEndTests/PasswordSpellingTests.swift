import Foundation
import Testing

/// Connection strings with a password that the password check and the redaction miss.
/// libpq allows any whitespace before `=` and decodes a percent-encoded key in a URL's query.
@Suite("Password spellings that libpq accepts")
struct PasswordSpellingTests {
    static let password = "Pw-Spelled-123"

    /// Targets with a password, the first in the spelling that the check already catches.
    static let targets = [
        "host=127.0.0.1 port=1 dbname=x user=u password=\(password)",
        "host=127.0.0.1 port=1 dbname=x user=u password\t=\(password)",
        "host=127.0.0.1 port=1 dbname=x user=u password\n=\(password)",
        "postgresql://u@127.0.0.1:1/x?pass%77ord=\(password)",
        "postgresql://u@127.0.0.1:1/x?%70assword=\(password)",
    ]

    @Test("replicate --to rejects a password however it is spelled", arguments: targets)
    func commandLineRejectsPassword(target: String) throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        #expect(try harness.runOnce().status == 0)
        let run = try harness.run([
            "replicate", "--state-dir", harness.state.path, "--to", target, "--timeout", "1",
        ])
        #expect(run.status == 2)
        #expect(run.stderr.contains("--to contains a password"))
    }

    @Test("check-config never prints a password however it is spelled", arguments: targets)
    func checkConfigRedactsPassword(target: String) throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let run = try harness.run(["check-config"], environment: ["TOKENLEDGERD_TARGET": target])
        #expect(!run.stdout.contains(Self.password))
        #expect(!run.stderr.contains(Self.password))
    }
}
