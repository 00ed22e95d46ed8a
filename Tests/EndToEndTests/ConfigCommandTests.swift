import Foundation
import Testing

@Suite("Configuration on the command line", .serialized)
struct ConfigCommandTests {
    private static func writeConfig(_ text: String, in harness: Harness, name: String = "tokenledgerd.conf") throws
        -> String
    {
        let url = harness.root.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// Returns the lines of `check-config` output that are not comments or blank.
    private static func settingLines(_ output: String) -> [String] {
        output.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
    }

    @Test("check-config prints effective settings")
    func checkConfigValid() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let path = try Self.writeConfig(
            "[daemon]\nstate_dir = /srv/state\nspool = /srv/a\nspool = /srv/b\n[ingest]\nbatch_bytes = 1048576\n",
            in: harness)
        let run = try harness.run(
            ["check-config", "--config", path], environment: ["TOKENLEDGERD_FOLD_INTERVAL": "90"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("# Configuration file: \(path)\n"))
        #expect(run.stdout.contains("# from \(path):2\nstate_dir = /srv/state\n"))
        #expect(run.stdout.contains("# from \(path):3\nspool = /srv/a\nspool = /srv/b\n"))
        #expect(run.stdout.contains("# default: <state_dir>/ledger\nledger_dir = /srv/state/ledger\n"))
        #expect(run.stdout.contains("# from environment variable TOKENLEDGERD_FOLD_INTERVAL\nfold_interval = 90\n"))
        #expect(run.stdout.contains("# from \(path):6\nbatch_bytes = 1M\n"))
        #expect(run.stdout.contains("# default\nlog_level = info\n"))
    }

    @Test("check-config output parses back")
    func checkConfigRoundTrip() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let path = try Self.writeConfig(
            "[daemon]\npatterns = *.jsonl *.gz\npoll_interval = 250ms\nlog_level = trace\n"
                + "[ingest]\nmax_line_length = 100000\nbatch_lines = 7\n",
            in: harness)
        let first = try harness.run(["check-config", "--config", path])
        #expect(first.status == 0, "\(first.stderr)")
        let copy = try Self.writeConfig(first.stdout, in: harness, name: "effective.conf")
        let second = try harness.run(["check-config", "--config", copy])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(Self.settingLines(second.stdout) == Self.settingLines(first.stdout))
        #expect(Self.settingLines(first.stdout).contains("max_line_length = 100000"))
        #expect(Self.settingLines(first.stdout).contains("poll_interval = 0.25"))
    }

    @Test("check-config rejects unknown key with exit 2")
    func checkConfigUnknownKey() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let path = try Self.writeConfig("# test\n[daemon]\nspool_dir = /srv/spool\n", in: harness)
        let run = try harness.run(["check-config", "--config", path])
        #expect(run.status == 2)
        #expect(run.stdout.isEmpty)
        #expect(
            run.stderr
                == "tokenledgerd check-config: \(path):3: unknown key 'spool_dir' in [daemon]; use one of state_dir, "
                + "spool, patterns, ledger_dir, pricing, models, poll_interval, fold_interval, log_level, or delete "
                + "the line\n")
    }

    @Test("check-config rejects unknown section with exit 2")
    func checkConfigUnknownSection() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let path = try Self.writeConfig("[daemon]\nspool = /srv/spool\n\n[export]\n", in: harness)
        let run = try harness.run(["check-config", "--config", path])
        #expect(run.status == 2)
        #expect(
            run.stderr
                == "tokenledgerd check-config: \(path):4: unknown section [export]; use [daemon], [ingest], [ledger], [pull] or [replication] "
                + "(section names are lowercase)\n")
    }

    @Test("check-config rejects bad value with exit 2")
    func checkConfigBadValue() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let path = try Self.writeConfig("[ingest]\nbatch_lines = 2k\n", in: harness)
        let run = try harness.run(["check-config", "--config", path])
        #expect(run.status == 2)
        #expect(
            run.stderr
                == "tokenledgerd check-config: \(path):2: key 'batch_lines': invalid value '2k'; give a whole number "
                + "from 1 to 1000000\n")
    }

    @Test("check-config rejects bad environment value")
    func checkConfigBadEnvironment() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let path = try Self.writeConfig("", in: harness)
        let run = try harness.run(
            ["check-config", "--config", path], environment: ["TOKENLEDGERD_BATCH_BYTES": "lots"])
        #expect(run.status == 2)
        #expect(run.stderr.hasPrefix("tokenledgerd check-config: environment variable TOKENLEDGERD_BATCH_BYTES: "))
    }

    @Test("check-config warns about unknown variables")
    func checkConfigUnknownVariable() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let path = try Self.writeConfig("", in: harness)
        let run = try harness.run(["check-config", "--config", path], environment: ["TOKENLEDGERD_SPOOLS": "/x"])
        #expect(run.status == 0)
        #expect(
            run.stderr.contains(
                "tokenledgerd check-config: ignoring unknown environment variable TOKENLEDGERD_SPOOLS\n"))
    }

    @Test(
        "missing --config file exits 2 for every command",
        arguments: ["run", "fold", "export", "status", "check-config"])
    func missingConfig(command: String) throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let missing = harness.root.appendingPathComponent("absent.conf").path
        var arguments = [command, "--config", missing]
        if command == "export" {
            arguments += ["--out", harness.out.path]
        }
        let run = try harness.run(arguments)
        #expect(run.status == 2)
        #expect(
            run.stderr
                == "tokenledgerd \(command): \(missing): configuration file named by --config not found; create it, "
                + "or name an existing file with --config\n")
    }

    @Test("run uses file, then environment, then option")
    func runPrecedence() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(["cliproxyapi/usage-queue.jsonl"])
        let fromFile = harness.root.appendingPathComponent("state-file").path
        let fromEnvironment = harness.root.appendingPathComponent("state-env").path
        let fromOption = harness.root.appendingPathComponent("state-flag").path
        let path = try Self.writeConfig(
            "[daemon]\nstate_dir = \(fromFile)\nspool = \(harness.spool.path)\n", in: harness)
        let database = "tokenledgerd.sqlite3"

        let fileRun = try harness.run(["run", "--once", "--config", path])
        #expect(fileRun.status == 0, "\(fileRun.stderr)")
        #expect(FileManager.default.fileExists(atPath: fromFile + "/" + database))

        let environmentRun = try harness.run(
            ["run", "--once", "--config", path], environment: ["TOKENLEDGERD_STATE_DIR": fromEnvironment])
        #expect(environmentRun.status == 0, "\(environmentRun.stderr)")
        #expect(FileManager.default.fileExists(atPath: fromEnvironment + "/" + database))

        let optionRun = try harness.run(
            ["run", "--once", "--config", path, "--state-dir", fromOption],
            environment: ["TOKENLEDGERD_STATE_DIR": fromEnvironment])
        #expect(optionRun.status == 0, "\(optionRun.stderr)")
        #expect(FileManager.default.fileExists(atPath: fromOption + "/" + database))
    }

    @Test("TOKENLEDGERD_CONFIG names the file")
    func configVariable() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let path = try Self.writeConfig("[daemon]\nlog_level = error\n", in: harness)
        let run = try harness.run(["check-config"], environment: ["TOKENLEDGERD_CONFIG": path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("# from \(path):2\nlog_level = error\n"))
    }

    @Test("--config appears in every command's help", arguments: ["run", "fold", "export", "status", "check-config"])
    func helpListsConfig(command: String) throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let run = try harness.run([command, "--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("  --config FILE"))
    }

    @Test("example configuration is valid")
    func exampleConfiguration() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let example = Harness.packageRoot.appendingPathComponent("systemd/tokenledgerd.conf").path
        let run = try harness.run(["check-config", "--config", example])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("# from \(example):11\nspool = /var/spool/tokenledgerd\n"))
        #expect(run.stdout.contains("pricing = /usr/local/share/tokenledgerd/pricing.json\n"))
    }

    @Test("docs/configuration.md documents every key")
    func everyKeyDocumented() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let path = try Self.writeConfig("", in: harness)
        let run = try harness.run(["check-config", "--config", path])
        let keys = Set(
            Self.settingLines(run.stdout).compactMap { line -> String? in
                guard let equals = line.firstIndex(of: "=") else { return nil }
                return line[..<equals].trimmingCharacters(in: .whitespaces)
            })
        #expect(keys.count == 28)
        let docs = try String(
            contentsOf: Harness.packageRoot.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        for key in keys.sorted() {
            #expect(docs.contains("### `\(key)`"), "docs/configuration.md has no section for \(key)")
            #expect(
                docs.contains("`TOKENLEDGERD_\(key.uppercased())`"),
                "docs/configuration.md misses the variable of \(key)")
        }
    }
}
