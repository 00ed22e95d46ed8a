import Glibc
import LedgerCore
import LedgerStore

/// `tokenledgerd quarantine list|export|retry`: shows, exports and re-decodes quarantined lines.
///
/// Every output shows the redacted sample of a line, never its raw bytes.
enum QuarantineCommand {
    /// The options of `quarantine list` and `quarantine export`.
    static let selectionOptions = [
        OptionSpec("reason", value: "CODE", help: "only rows with this reason code, such as invalid_json"),
        OptionSpec("limit", value: "N", help: "at most N rows (default: all)"),
    ]

    /// Prints quarantine rows as text, or as one JSON object per line with `--json`.
    static func list(_ options: ParsedOptions, environment: [String: String]) throws -> Int32 {
        let context = try CommandContext(options, environment: environment)
        let store = try context.openStore()
        let entries = try store.quarantineEntries(reason: options.value("reason"), limit: try limit(options))
        if options.has("json") {
            for entry in entries {
                print(String(decoding: jsonLine(entry), as: UTF8.self))
            }
            return 0
        }
        if entries.isEmpty {
            print("no quarantined lines")
            return 0
        }
        for entry in entries {
            let place = "\(entry.path ?? "(no file)"):\(entry.row.lineOffset)"
            print("#\(entry.id) \(entry.row.reason) \(place) (\(entry.row.lineLength) bytes)")
            print("  detail: \(entry.row.detail)")
            print("  sample: \(entry.row.sample)")
        }
        return 0
    }

    /// Writes quarantine rows as JSON lines to `--out FILE`, or to standard output.
    static func export(_ options: ParsedOptions, environment: [String: String]) throws -> Int32 {
        let context = try CommandContext(options, environment: environment)
        let store = try context.openStore()
        let entries = try store.quarantineEntries(reason: options.value("reason"), limit: try limit(options))
        var bytes: [UInt8] = []
        for entry in entries {
            bytes += jsonLine(entry)
            bytes.append(0x0A)
        }
        if let out = options.value("out") {
            try AtomicFile.write(bytes, to: out, mode: 0o640)
            context.logger.info("exported quarantine rows", ["export.rows": "\(entries.count)", "export.file": out])
        } else {
            print(String(decoding: bytes, as: UTF8.self), terminator: "")
        }
        return 0
    }

    /// Encodes one row as a JSON object: its id, place, hash, reason, detail, sample and creation
    /// time.
    static func jsonLine(_ entry: QuarantineEntry) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.integer("id", entry.id)
        writer.string("reason", entry.row.reason)
        writer.string("file", entry.path)
        writer.integer("line_offset", entry.row.lineOffset)
        writer.integer("line_length", entry.row.lineLength)
        writer.string("line_hash", HexEncoding.encode(entry.row.lineHash))
        writer.string("detail", entry.row.detail)
        writer.string("sample", entry.row.sample)
        writer.string("created_at", Timestamp.formatRFC3339(entry.createdNanoseconds))
        writer.endObject()
        return writer.bytes
    }

    private static func limit(_ options: ParsedOptions) throws -> Int? {
        guard let text = options.value("limit") else { return nil }
        guard let limit = Int(text), limit >= 0 else {
            throw UsageError("option '--limit' has invalid value '\(text)'; use a whole number of rows")
        }
        return limit
    }

    /// Reads each quarantined line again from its spool file and decodes it with the current
    /// decoders; see ``QuarantineRetrier``.
    static func retry(_ options: ParsedOptions, environment: [String: String]) throws -> Int32 {
        let context = try CommandContext(options, environment: environment)
        let store = try context.openStore()
        let retrier = QuarantineRetrier(
            store: store, maximumLineLength: context.settings.maximumLineLength,
            maximumDocumentLength: IngestOptions().maximumDocumentLength, logger: context.logger)
        let summary = try retrier.retryAll(now: WallClock.now())
        print(
            "lines: \(summary.lines) examined, \(summary.changed) decoded differently, \(summary.unchanged) unchanged, "
                + "\(summary.unreadable) unreadable or changed on disk; events: \(summary.insertedEvents) new; "
                + "quarantine rows: \(summary.deletedRows) deleted")
        for (path, reason) in summary.problems.sorted(by: { $0.key < $1.key }) {
            context.logger.warning("cannot retry quarantined lines", ["spool.file": path, "reason": reason])
        }
        return 0
    }
}

/// Re-decodes quarantined lines and stores what they decode to now.
///
/// A line is read again by (file path, offset, length) and used only when its SHA-256 still
/// equals the stored `line_hash`. A line whose file was removed, truncated or rewritten is
/// reported and left alone. Lines whose outcome is unchanged are not touched, so a second retry changes
/// nothing. Every changed line is applied in one transaction: its new events are stored, its old
/// rows deleted, and rows for what is still rejected stored again.
struct QuarantineRetrier {
    /// The counts of one retry.
    struct Summary: Equatable {
        var lines = 0
        var changed = 0
        var unchanged = 0
        var unreadable = 0
        var insertedEvents = 0
        var deletedRows = 0
        /// Files that could not be read, by path, with the reason.
        var problems: [String: String] = [:]
    }

    let store: Store
    let maximumLineLength: Int
    let maximumDocumentLength: Int
    let logger: Logger

    /// The maximum run of whitespace and byte-order mark before a line's content that a retry
    /// reads past, because the stored offset is the line's start but the hash covers the trimmed
    /// content.
    static let leadingSlack = 64 << 10

    /// Retries every quarantined line.
    func retryAll(now: Int64) throws -> Summary {
        var summary = Summary()
        let entries = try store.quarantineEntries()
        var groups: [[QuarantineEntry]] = []
        var index: [String: Int] = [:]
        for entry in entries {
            guard let fileID = entry.fileID else { continue }
            let place = "\(fileID):\(entry.row.lineOffset)"
            if let position = index[place] {
                groups[position].append(entry)
            } else {
                index[place] = groups.count
                groups.append([entry])
            }
        }
        var retries: [QuarantineRetry] = []
        for group in groups {
            summary.lines += 1
            let first = group[0]
            guard let path = first.path, let fileID = first.fileID else { continue }
            let outcome: LineOutcome
            do {
                guard let decoded = try decode(first, path: path, now: now) else {
                    summary.unreadable += 1
                    summary.problems[path] = "the line's bytes no longer match the stored hash"
                    continue
                }
                outcome = decoded
            } catch {
                summary.unreadable += 1
                summary.problems[path] = "\(error)"
                continue
            }
            let storedDetails = Set(group.map(\.row.detail))
            if outcome.events.isEmpty, Set(outcome.rejects.map(\.detail)) == storedDetails {
                summary.unchanged += 1
                continue
            }
            summary.changed += 1
            retries.append(
                QuarantineRetry(
                    fileID: fileID, retiredRowIDs: group.map(\.id),
                    events: outcome.events.map { PositionedEvent(event: $0, lineOffset: first.row.lineOffset) },
                    quarantine: outcome.rejects.map { reject in
                        var row = first.row
                        row.reason = reject.code.rawValue
                        row.detail = reject.detail
                        return row
                    }))
        }
        // A retried usage-queue record or accounting event counts once with its stored twin, as
        // it would have at ingestion.
        let twinFilter = StoredTwinFilter(store: store, logger: logger)
        let applied = try store.applyQuarantineRetries(retries, now: now, retaining: twinFilter.retained)
        summary.insertedEvents = applied.insertedEvents
        summary.deletedRows = applied.deletedRows
        return summary
    }

    /// Decodes the line with the current decoders; returns `nil` when the file no longer contains
    /// the bytes that were quarantined.
    private func decode(_ entry: QuarantineEntry, path: String, now: Int64) throws -> LineOutcome? {
        let row = entry.row
        let isDocument = SpoolScanner.isDocument(path)
        let limit = isDocument ? maximumDocumentLength : maximumLineLength
        guard row.lineLength <= Int64(limit) else {
            // Still over the current limit: decoding would reject it for the same reason.
            return LineOutcome(rejects: [DecodeError(.lineTooLong, row.detail)])
        }

        let file = try FileDescriptor(path: path, flags: O_RDONLY | O_NONBLOCK)
        let source: ByteSource =
            try entry.isCompressed
            ? GzipSource(file: file, skipping: row.lineOffset) : PlainSource(file: file, offset: row.lineOffset)
        let expectedLength = Int(row.lineLength) + (isDocument ? 0 : Self.leadingSlack)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(max(expectedLength, 1), 1 << 20))
        while bytes.count < expectedLength {
            let count = try chunk.withUnsafeMutableBytes { raw in try source.read(into: raw) }
            if count == 0 {
                break
            }
            bytes += chunk[0..<min(count, expectedLength - bytes.count)]
        }

        if isDocument {
            guard bytes.count == Int(row.lineLength), SHA256.hash(bytes) == row.lineHash else { return nil }
            switch DocumentDecoder.decode(bytes, now: now) {
            case .incomplete: return nil
            case .decoded(let outcome): return outcome
            }
        }
        if let newline = bytes.firstIndex(of: 0x0A) {
            bytes.removeSubrange(newline...)
        }
        return bytes.withUnsafeBufferPointer { raw -> LineOutcome? in
            let content = LineDecoder.trimmed(raw)
            guard content.count == Int(row.lineLength), SHA256.hash(content) == row.lineHash else { return nil }
            return LineDecoder(maximumLineLength: maximumLineLength).decode(content, now: now)
        }
    }
}
