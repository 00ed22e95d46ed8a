import Foundation
import LedgerDaemon
import Testing

@Suite("Configuration precedence and reload")
struct ConfigLoaderTests {
    /// A temporary directory holding one configuration file.
    private struct Workspace {
        let root: URL
        var configPath: String { root.appendingPathComponent("tokenledgerd.conf").path }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("tokenledgerd-config-\(UUID())")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        }

        func write(_ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: configPath))
        }

        func cleanUp() {
            try? FileManager.default.removeItem(at: root)
        }
    }

    private static func options(_ arguments: [String]) throws -> ParsedOptions {
        let specs = [
            OptionSpec("config", value: "FILE", help: ""), OptionSpec("state-dir", value: "DIR", help: ""),
            OptionSpec("spool", value: "DIR", repeatable: true, help: ""),
            OptionSpec("poll-interval", value: "SECONDS", help: ""), OptionSpec("log-level", value: "LEVEL", help: ""),
        ]
        return try ArgumentParser.parse(arguments, command: "test", options: specs)
    }

    private static let fileText = """
        [daemon]
        state_dir = /from/file
        spool = /file/a
        spool = /file/b
        poll_interval = 5
        log_level = warning
        [ingest]
        batch_lines = 100
        """

    @Test("file value applies when nothing overrides it")
    func fileOnly() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        try workspace.write(Self.fileText)
        let loader = ConfigLoader(options: try Self.options(["--config", workspace.configPath]), environment: [:])
        let settings = Settings.resolve(try loader.load())
        #expect(settings.stateDirectory == "/from/file")
        #expect(settings.spoolDirectories == ["/file/a", "/file/b"])
        #expect(settings.pollInterval == 5)
        #expect(settings.logLevel == .warning)
        #expect(settings.batchLines == 100)
        #expect(settings.ledgerDirectory == "/from/file/ledger")
        #expect(settings.configurationPath == workspace.configPath)
        #expect(settings.origins[.stateDirectory] == .file(path: workspace.configPath, line: 2))
        #expect(settings.origins[.spool] == .file(path: workspace.configPath, line: 3))
        #expect(settings.origins[.foldInterval] == .builtIn)
    }

    @Test("environment overrides file")
    func environmentOverridesFile() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        try workspace.write(Self.fileText)
        let environment = [
            "TOKENLEDGERD_STATE_DIR": "/from/env", "TOKENLEDGERD_SPOOL": "/env/a:/env/b:/env/c",
            "TOKENLEDGERD_POLL_INTERVAL": "2s", "TOKENLEDGERD_BATCH_LINES": "", "TOKENLEDGERD_PATTERNS": "*.a  *.b",
        ]
        let loader = ConfigLoader(
            options: try Self.options(["--config", workspace.configPath]), environment: environment)
        let settings = Settings.resolve(try loader.load())
        #expect(settings.stateDirectory == "/from/env")
        #expect(settings.spoolDirectories == ["/env/a", "/env/b", "/env/c"])
        #expect(settings.spoolPatterns == ["*.a", "*.b"])
        #expect(settings.pollInterval == 2)
        #expect(settings.logLevel == .warning)
        #expect(settings.batchLines == 100, "an empty variable counts as unset")
        #expect(settings.origins[.stateDirectory] == .environment(name: "TOKENLEDGERD_STATE_DIR"))
    }

    @Test("option overrides environment and file")
    func optionOverridesAll() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        try workspace.write(Self.fileText)
        let environment = ["TOKENLEDGERD_STATE_DIR": "/from/env", "TOKENLEDGERD_SPOOL": "/env/a"]
        let options = try Self.options([
            "--config", workspace.configPath, "--state-dir", "/from/flag", "--spool", "/flag/a", "--spool", "/flag/b",
            "--poll-interval", "0.5",
        ])
        let settings = Settings.resolve(try ConfigLoader(options: options, environment: environment).load())
        #expect(settings.stateDirectory == "/from/flag")
        #expect(settings.spoolDirectories == ["/flag/a", "/flag/b"])
        #expect(settings.pollInterval == 0.5)
        #expect(settings.logLevel == .warning)
        #expect(settings.origins[.stateDirectory] == .option(name: "state-dir"))
        #expect(settings.origins[.pollInterval] == .option(name: "poll-interval"))
    }

    @Test("STATE_DIRECTORY applies only when nothing sets state_dir")
    func systemdStateDirectory() throws {
        let systemd = ["STATE_DIRECTORY": "/var/lib/tokenledgerd:/var/lib/other"]
        let missingDefault = "/nonexistent/tokenledgerd.conf"
        let plain = try ConfigLoader(options: Self.options([]), environment: systemd, defaultPath: missingDefault)
            .load()
        #expect(Settings.resolve(plain).stateDirectory == "/var/lib/tokenledgerd")
        #expect(plain.origin(.stateDirectory) == .systemdStateDirectory)

        let overridden = try ConfigLoader(
            options: Self.options([]), environment: systemd.merging(["TOKENLEDGERD_STATE_DIR": "/x"]) { $1 },
            defaultPath: missingDefault
        ).load()
        #expect(Settings.resolve(overridden).stateDirectory == "/x")

        let defaults = try ConfigLoader(options: Self.options([]), environment: [:], defaultPath: missingDefault).load()
        #expect(Settings.resolve(defaults).stateDirectory == "./.tokenledgerd")
        #expect(defaults.filePath == nil)
    }

    @Test("default path is read only when it exists")
    func defaultPathOptional() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        let loader = ConfigLoader(options: try Self.options([]), environment: [:], defaultPath: workspace.configPath)
        #expect(try loader.load().filePath == nil)
        try workspace.write("[daemon]\nlog_level = debug\n")
        let configuration = try loader.load()
        #expect(configuration.filePath == workspace.configPath)
        #expect(configuration.level(.logLevel) == .debug)
    }

    @Test("named file must exist")
    func namedFileMissing() throws {
        let missing = "/nonexistent/tokenledgerd.conf"
        let byOption = try #require(throws: ConfigError.self) {
            try ConfigLoader(options: Self.options(["--config", missing]), environment: [:]).load()
        }
        #expect(byOption.code == .fileNotFound)
        #expect(
            byOption.description
                == "\(missing): configuration file named by --config not found; create it, or name an existing file "
                + "with --config")
        let byVariable = try #require(throws: ConfigError.self) {
            try ConfigLoader(options: Self.options([]), environment: ["TOKENLEDGERD_CONFIG": missing]).load()
        }
        #expect(
            byVariable.description
                == "\(missing): configuration file named by TOKENLEDGERD_CONFIG not found; create it, or name an "
                + "existing file with TOKENLEDGERD_CONFIG")
    }

    @Test("option beats TOKENLEDGERD_CONFIG")
    func optionNamesFile() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        try workspace.write("[daemon]\nmodels = /m.csv\n")
        let loader = ConfigLoader(
            options: try Self.options(["--config", workspace.configPath]),
            environment: ["TOKENLEDGERD_CONFIG": "/nonexistent.conf"])
        #expect(try loader.load().text(.models) == "/m.csv")
    }

    /// Each case: variable, value and the whole message.
    static let environmentErrors: [(String, String, String)] = [
        (
            "TOKENLEDGERD_POLL_INTERVAL", "0",
            "environment variable TOKENLEDGERD_POLL_INTERVAL: value '0' is out of range; give seconds from 0.001 to "
                + "86400, such as 1, 0.5 or 2min"
        ),
        (
            "TOKENLEDGERD_LOG_LEVEL", "verbose",
            "environment variable TOKENLEDGERD_LOG_LEVEL: invalid value 'verbose'; use one of critical, error, "
                + "warning, notice, info, debug, trace"
        ),
        (
            "TOKENLEDGERD_SPOOL", "/a::/b",
            "environment variable TOKENLEDGERD_SPOOL: empty path; give a directory or file path"
        ),
        (
            "TOKENLEDGERD_MAX_LINE_LENGTH", "12",
            "environment variable TOKENLEDGERD_MAX_LINE_LENGTH: invalid value '12'; give a size in bytes from 1K to "
                + "1G, optionally with a K, M or G suffix (powers of 1024)"
        ),
    ]

    @Test("environment error names the variable", arguments: environmentErrors)
    func environmentError(name: String, value: String, message: String) throws {
        let loader = ConfigLoader(
            options: try Self.options([]), environment: [name: value], defaultPath: "/nonexistent.conf")
        let error = try #require(throws: ConfigError.self) { try loader.load() }
        #expect(error.code == .invalidValue)
        #expect(error.location == .environment(name: name))
        #expect(error.description == message)
    }

    @Test("option error names the option")
    func optionError() throws {
        let loader = ConfigLoader(
            options: try Self.options(["--poll-interval", "soon"]), environment: [:], defaultPath: "/nonexistent.conf")
        let error = try #require(throws: ConfigError.self) { try loader.load() }
        #expect(error.key == "daemon.poll_interval")
        #expect(
            error.description
                == "option '--poll-interval': invalid value 'soon'; give seconds from 0.001 to 86400, such as 1, 0.5, "
                + "250ms or 2min")
    }

    @Test("unknown TOKENLEDGERD_ variables are listed")
    func unknownEnvironment() throws {
        let environment = [
            "TOKENLEDGERD_STATEDIR": "/x", "TOKENLEDGERD_CONFIG": "", "TOKENLEDGERD_SPOOL": "/s", "HOME": "/root",
            "TOKENLEDGERD_A": "1",
        ]
        let loader = ConfigLoader(
            options: try Self.options([]), environment: environment, defaultPath: "/nonexistent.conf")
        #expect(try loader.load().unknownEnvironmentNames == ["TOKENLEDGERD_A", "TOKENLEDGERD_STATEDIR"])
    }

    @Test("reload reports changed keys")
    func reloadChanges() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        try workspace.write(Self.fileText)
        let loader = ConfigLoader(
            options: try Self.options(["--config", workspace.configPath, "--poll-interval", "3"]), environment: [:])
        let first = try loader.load()
        try workspace.write(
            Self.fileText.replacingOccurrences(of: "log_level = warning", with: "log_level = debug")
                .replacingOccurrences(of: "state_dir = /from/file", with: "state_dir = /moved")
                .replacingOccurrences(of: "poll_interval = 5", with: "poll_interval = 9")
                .replacingOccurrences(of: "batch_lines = 100", with: ""))
        let change = try loader.reload(previous: first).get()
        #expect(change.changedKeys == [.stateDirectory, .ledgerDirectory, .logLevel, .batchLines])
        #expect(change.restartRequiredKeys == [.stateDirectory])
        #expect(Settings.resolve(change.current).pollInterval == 3, "options still override the file")
        #expect(Settings.resolve(change.current).logLevel == .debug)
        #expect(change.previous == first)
    }

    @Test("reload of an unchanged file changes nothing")
    func reloadUnchanged() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        try workspace.write(Self.fileText)
        let loader = ConfigLoader(options: try Self.options(["--config", workspace.configPath]), environment: [:])
        let first = try loader.load()
        #expect(try loader.reload(previous: first).get().changedKeys.isEmpty)
    }

    @Test("reload of an invalid file fails")
    func reloadInvalid() throws {
        let workspace = try Workspace()
        defer { workspace.cleanUp() }
        try workspace.write(Self.fileText)
        let loader = ConfigLoader(options: try Self.options(["--config", workspace.configPath]), environment: [:])
        let first = try loader.load()
        try workspace.write(Self.fileText + "\nbatch_lines = lots\n")
        let result = loader.reload(previous: first)
        guard case .failure(let error) = result else {
            Issue.record("reload of an invalid file succeeded")
            return
        }
        #expect(error.location == .file(path: workspace.configPath, line: 9))
        #expect(error.code == .duplicateKey)
    }
}
