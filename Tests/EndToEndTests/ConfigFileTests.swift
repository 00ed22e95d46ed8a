import LedgerDaemon
import Testing

@Suite("Configuration file syntax")
struct ConfigFileTests {
    private static let path = "/etc/tokenledgerd/test.conf"

    private static func parse(_ text: String) throws -> ConfigFile {
        try ConfigFile.parse(Array(text.utf8), path: path)
    }

    @Test("sections, comments, whitespace and lists")
    func parsesAllForms() throws {
        let text = """
            # a comment
            ; another comment

            [daemon]
              state_dir   =   /var/lib/tokenledgerd\u{20}\u{20}
            spool = /srv/spool/a
            spool=/srv/spool/b
            patterns = *.jsonl\t*.ndjson
            patterns = *.jsonl.[0-9]*
            poll_interval = 250ms
            fold_interval = 2min
            log_level = DEBUG
            [ingest]\r
            batch_lines = 500\r
            batch_bytes = 8M
            max_line_length = 64KiB
            [daemon]
            ledger_dir = /var/lib/tokenledgerd/ledger
            """
        let file = try Self.parse(text)
        let values = file.entries.map { "\($0.line) \($0.key.qualifiedName) \($0.value)" }
        #expect(
            values == [
                "5 daemon.state_dir text(\"/var/lib/tokenledgerd\")",
                "6 daemon.spool list([\"/srv/spool/a\"])",
                "7 daemon.spool list([\"/srv/spool/b\"])",
                "8 daemon.patterns list([\"*.jsonl\", \"*.ndjson\"])",
                "9 daemon.patterns list([\"*.jsonl.[0-9]*\"])",
                "10 daemon.poll_interval seconds(0.25)",
                "11 daemon.fold_interval seconds(120.0)",
                "12 daemon.log_level level(LedgerDaemon.Logger.Level.debug)",
                "14 ingest.batch_lines integer(500)",
                "15 ingest.batch_bytes integer(8388608)",
                "16 ingest.max_line_length integer(65536)",
                "18 daemon.ledger_dir text(\"/var/lib/tokenledgerd/ledger\")",
            ])
    }

    @Test("empty file has no entries")
    func emptyFile() throws {
        #expect(try Self.parse("").entries.isEmpty)
        #expect(try Self.parse("\n# only a comment\n\n").entries.isEmpty)
    }

    /// Each case: file text, the expected code and the whole message.
    static let errorCases: [(String, ConfigError.Code, String)] = [
        (
            "[daemon]\n[spool]\n", .unknownSection,
            "\(path):2: unknown section [spool]; use [daemon], [ingest], [ledger], [pull] or [replication] (section names are lowercase)"
        ),
        (
            "[Daemon]\n", .unknownSection,
            "\(path):1: unknown section [Daemon]; use [daemon], [ingest], [ledger], [pull] or [replication] (section names are lowercase)"
        ),
        (
            "[daemon\n", .invalidSyntax,
            "\(path):1: section header '[daemon' has no closing ']'; write it as [daemon], [ingest], [ledger], [pull] or [replication]"
        ),
        (
            "[daemon]\nstat_dir = /x\n", .unknownKey,
            "\(path):2: unknown key 'stat_dir' in [daemon]; use one of state_dir, spool, patterns, ledger_dir, "
                + "pricing, models, poll_interval, fold_interval, log_level, or delete the line"
        ),
        (
            "[ingest]\n\n# limits\nbatch_size = 10\n", .unknownKey,
            "\(path):4: unknown key 'batch_size' in [ingest]; use one of batch_lines, batch_bytes, max_line_length, "
                + "retention, retention_dir, retention_min_age, or delete the line"
        ),
        (
            "[daemon]\nbatch_lines = 10\n", .unknownKey,
            "\(path):2: key 'batch_lines' does not belong in [daemon]; move it under [ingest]"
        ),
        (
            "state_dir = /x\n", .unknownKey,
            "\(path):1: key 'state_dir' appears before any section header; put it under a [daemon] header"
        ),
        (
            "colour = blue\n", .unknownKey,
            "\(path):1: key 'colour' appears before any section header; put keys under a [daemon], [ingest], [ledger], [pull] or [replication] header"
        ),
        (
            "[daemon]\nstate_dir\n", .invalidSyntax,
            "\(path):2: expected 'key = value', '[section]' or a comment; write 'key = value' under a [daemon], "
                + "[ingest], [ledger], [pull] or [replication] header, or start the line with '#'"
        ),
        (
            "[daemon]\nstate_dir = /a\nstate_dir = /b\n", .duplicateKey,
            "\(path):3: key 'state_dir' is already set on line 2; keep one of the two lines"
        ),
        (
            "[daemon]\npricing =\n", .invalidValue,
            "\(path):2: key 'pricing' has an empty value; give a value, or delete the line to use the default"
        ),
        (
            "[daemon]\npoll_interval = fast\n", .invalidValue,
            "\(path):2: key 'poll_interval': invalid value 'fast'; give seconds from 0.001 to 86400, such as 1, "
                + "0.5, 250ms or 2min"
        ),
        (
            "[daemon]\nfold_interval = 2d\n", .invalidValue,
            "\(path):2: key 'fold_interval': invalid value '2d'; give seconds from 0.001 to 86400, such as 1, "
                + "0.5, 250ms or 2min"
        ),
        (
            "[daemon]\nfold_interval = 86401\n", .invalidValue,
            "\(path):2: key 'fold_interval': value '86401' is out of range; give seconds from 0.001 to 86400, "
                + "such as 1, 0.5 or 2min"
        ),
        (
            "[daemon]\nlog_level = loud\n", .invalidValue,
            "\(path):2: key 'log_level': invalid value 'loud'; use one of critical, error, warning, notice, info, "
                + "debug, trace"
        ),
        (
            "[daemon]\npatterns = logs/*.jsonl\n", .invalidValue,
            "\(path):2: key 'patterns': pattern 'logs/*.jsonl' contains '/'; patterns match file names inside "
                + "each spool directory, so give a name pattern such as '*.jsonl'"
        ),
        (
            "[ingest]\nbatch_lines = 0\n", .invalidValue,
            "\(path):2: key 'batch_lines': invalid value '0'; give a whole number from 1 to 1000000"
        ),
        (
            "[ingest]\nbatch_lines = -5\n", .invalidValue,
            "\(path):2: key 'batch_lines': invalid value '-5'; give a whole number from 1 to 1000000"
        ),
        (
            "[ingest]\nbatch_bytes = 4X\n", .invalidValue,
            "\(path):2: key 'batch_bytes': invalid value '4X'; give a size in bytes from 1K to 1G, optionally "
                + "with a K, M or G suffix (powers of 1024)"
        ),
        (
            "[ingest]\nmax_line_length = 2G\n", .invalidValue,
            "\(path):2: key 'max_line_length': invalid value '2G'; give a size in bytes from 1K to 1G, optionally "
                + "with a K, M or G suffix (powers of 1024)"
        ),
        (
            "[ingest]\nbatch_bytes = 99999999999999999999K\n", .invalidValue,
            "\(path):2: key 'batch_bytes': invalid value '99999999999999999999K'; give a size in bytes from 1K "
                + "to 1G, optionally with a K, M or G suffix (powers of 1024)"
        ),
    ]

    @Test("error names file, line, key and fix", arguments: errorCases)
    func errorMessage(text: String, code: ConfigError.Code, message: String) {
        #expect(throws: ConfigError.self) { try Self.parse(text) }
        do {
            _ = try Self.parse(text)
        } catch let error as ConfigError {
            #expect(error.code == code)
            #expect(error.description == message)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("error carries the qualified key")
    func errorKey() throws {
        let error = try #require(throws: ConfigError.self) {
            try Self.parse("[ingest]\nbatch_lines = many\n")
        }
        #expect(error.key == "ingest.batch_lines")
        #expect(error.location == .file(path: Self.path, line: 2))
    }

    @Test("invalid UTF-8 is rejected with its line")
    func invalidUTF8() throws {
        var bytes = Array("[daemon]\nspool = /a\n".utf8)
        bytes += [0x73, 0x70, 0x6F, 0x6F, 0x6C, 0x20, 0x3D, 0x20, 0xFF, 0xFE, 0x0A]
        let error = try #require(throws: ConfigError.self) {
            try ConfigFile.parse(bytes, path: Self.path)
        }
        #expect(error.code == .unreadableFile)
        #expect(error.description == "\(Self.path):3: line is not valid UTF-8; save the file as UTF-8")
    }
}
