import Glibc
import LedgerCore
import LedgerStore

/// `tokenledgerd import FILE`: stores the attempts of a legacy CLIProxyAPI statistics export.
///
/// The export (`GET /v0/management/usage/export`, v6.9 and older) is one JSON document, not JSON
/// lines, so it is read by this one-shot command instead of the spool. Its events are keyed so
/// that importing the same file again adds nothing; see ``LegacyExportDecoder``.
enum ImportCommand {
    /// The largest export read, in bytes.
    static let maximumFileLength = 1 << 30

    /// The command's own options.
    static let options = [
        OptionSpec(
            "file", value: "FILE", help: "the statistics export to import (required; may be given without --file)"),
        OptionSpec(
            "provider", value: "NAME",
            help: "CLIProxyAPI provider id whose token rules apply under client-key groups, such as codex; "
                + "without it their usage is stored as unclassified"),
    ]

    /// Reads, decodes and stores the export named by `--file`.
    static func run(_ options: ParsedOptions, environment: [String: String]) throws -> Int32 {
        guard let path = options.value("file") else {
            throw UsageError("import: a FILE to import is required")
        }
        let provider = options.value("provider")
        if let provider, UpstreamClass(provider: provider, executorType: nil) == .unknown {
            throw UsageError(
                "import: option '--provider' has unknown value '\(provider)'; use a CLIProxyAPI provider id such as "
                    + "claude, codex or gemini")
        }

        let context = try CommandContext(options, environment: environment)
        let bytes = try readFile(path)
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw UsageError("import: \(path) is not valid JSON (\(error))")
        }
        guard let object = document.objectValue, LegacyExportDecoder.matches(object) else {
            throw UsageError(
                "import: \(path) is not a CLIProxyAPI statistics export (no usage.apis object); "
                    + "put other shapes in the spool instead")
        }

        let outcome = LegacyExportDecoder.decode(object, defaultProvider: provider, now: WallClock.now())
        try FilePath.makeDirectories(context.settings.stateDirectory, mode: 0o750)
        let store = try Store(
            path: context.settings.databasePath,
            beforeMigrating: StoreRecovery.migrationNotice(context.logger, path: context.settings.databasePath))
        let inserted = try store.insertUnfiledEvents(outcome.events)
        for reject in outcome.rejects.prefix(20) {
            context.logger.warning("rejected export detail", ["reason": reject.code.rawValue, "detail": reject.detail])
        }
        print(
            "import: \(outcome.events.count) events read, \(inserted) new, "
                + "\(outcome.events.count - inserted) already stored; \(outcome.rejects.count) details rejected")
        return outcome.rejects.isEmpty ? 0 : 1
    }

    private static func readFile(_ path: String) throws -> [UInt8] {
        let file = try FileDescriptor(path: path, flags: O_RDONLY)
        let size = try file.status().st_size
        guard size <= maximumFileLength else {
            throw UsageError("import: \(path) is \(size) bytes, over the limit of \(maximumFileLength)")
        }
        return try file.readBytes(count: Int(size), at: 0)
    }
}
