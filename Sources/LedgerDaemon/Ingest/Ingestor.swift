import Glibc
import LedgerCore
import LedgerStore

/// Limits that bound the memory and transaction size of ingestion.
public struct IngestOptions: Sendable {
    /// Lines per transaction at most.
    public var batchLines = 2000
    /// Bytes of input per transaction at most.
    public var batchBytes = 4 << 20
    /// Bytes read per `pread` call.
    public var readSize = 1 << 20
    /// Lines longer than this are quarantined as `line_too_long` without being held in memory.
    public var maximumLineLength = 4 << 20
    /// How many leading bytes identify a file's content.
    public var headLength = 4096
    /// How many bytes before the committed offset must be unchanged for the offset to stay valid.
    public var tailLength = 256

    /// Creates the default limits.
    public init() {}
}

/// What one ingestion pass did.
public struct IngestSummary: Sendable, Equatable {
    /// Files examined.
    public var files = 0
    /// Complete lines read.
    public var lines = 0
    /// Events stored for the first time.
    public var insertedEvents = 0
    /// Events whose key was already stored.
    public var duplicateEvents = 0
    /// Lines or spans quarantined.
    public var quarantined = 0
    /// Bytes after the last complete line of each file, waiting for their newline.
    public var pendingBytes: Int64 = 0

    /// Creates an empty summary.
    public init() {}
}

/// Reads complete lines from spool files and commits them with their offsets.
///
/// For each file: recognize it among the stored identities, read from its committed offset,
/// decode each complete line, and commit events, quarantine rows and the new offset together in
/// batches. An unterminated last line is left for a later pass.
public final class Ingestor {
    private let store: Store
    private let decoder: LineDecoder
    private let options: IngestOptions
    private let logger: Logger
    private let clock: @Sendable () -> Int64

    /// Creates an ingestor writing to `store`.
    public init(
        store: Store, options: IngestOptions = IngestOptions(), logger: Logger,
        clock: @escaping @Sendable () -> Int64 = WallClock.now
    ) {
        self.store = store
        self.options = options
        self.decoder = LineDecoder(maximumLineLength: options.maximumLineLength)
        self.logger = logger
        self.clock = clock
    }

    /// Ingests every complete line of every file the scanner finds.
    public func ingestAll(_ scanner: SpoolScanner) throws -> IngestSummary {
        let (candidates, skipped) = scanner.scan()
        for item in skipped {
            logger.warning("skipped spool entry", ["spool.file": item.path, "reason": item.reason])
        }
        var known = try store.files()
        var seen: Set<Int64> = []
        var seenIdentities: Set<FileIdentity> = []
        var summary = IngestSummary()
        for candidate in candidates {
            do {
                let result = try ingest(candidate, known: &known, seenIdentities: &seenIdentities)
                guard let result else { continue }
                seen.insert(result.fileID)
                summary.files += 1
                summary.lines += result.summary.lines
                summary.insertedEvents += result.summary.insertedEvents
                summary.duplicateEvents += result.summary.duplicateEvents
                summary.quarantined += result.summary.quarantined
                summary.pendingBytes += result.summary.pendingBytes
            } catch let error as SystemError {
                logger.warning(
                    "cannot read spool file; will retry", ["spool.file": candidate.path, "error": "\(error)"])
            }
        }
        let now = clock()
        for var record in known where record.state != .vanished && !seen.contains(record.fileID) {
            record.state = .vanished
            try store.save(record, now: now)
            logger.debug("spool file vanished", ["spool.file": record.path])
        }
        return summary
    }

    private struct FileIdentity: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    private func ingest(
        _ candidate: SpoolScanner.Candidate, known: inout [FileRecord], seenIdentities: inout Set<FileIdentity>
    ) throws -> (fileID: Int64, summary: IngestSummary)? {
        let file = try FileDescriptor(path: candidate.resolvedPath, flags: O_RDONLY | O_NONBLOCK)
        let info = try file.status()
        let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        // Hard links and in-spool symlinks name one file twice; it is read once per pass.
        guard seenIdentities.insert(identity).inserted else { return nil }
        let size = Int64(info.st_size)
        let head = try file.readBytes(count: Int(min(size, Int64(options.headLength))), at: 0)
        let now = clock()

        var record: FileRecord
        if let index = known.firstIndex(where: {
            $0.device == identity.device && $0.inode == identity.inode && $0.state != .vanished
        }) {
            let stored = known[index]
            if try isSameContent(stored, file: file, size: size, head: head) {
                record = stored
                record.path = candidate.path
            } else {
                logger.notice(
                    "spool file content replaced; reading it from the start",
                    ["spool.file": candidate.path, "file.offset": "\(stored.committedOffset)", "file.size": "\(size)"])
                var retired = stored
                retired.state = .vanished
                try store.save(retired, now: now)
                known[index] = retired
                record = newRecord(candidate.path, identity: identity, size: size, head: head)
            }
        } else {
            record = newRecord(candidate.path, identity: identity, size: size, head: head)
        }
        record.headLength = Int64(head.count)
        record.headHash = SHA256.hash(head)

        let summary = try readLines(from: file, record: &record)
        if let index = known.firstIndex(where: { $0.fileID == record.fileID }) {
            known[index] = record
        } else {
            known.append(record)
        }
        return (record.fileID, summary)
    }

    private func newRecord(_ path: String, identity: FileIdentity, size: Int64, head: [UInt8]) -> FileRecord {
        FileRecord(
            path: path, device: identity.device, inode: identity.inode, size: size, committedOffset: 0,
            headLength: Int64(head.count), headHash: SHA256.hash(head), tailHash: nil, state: .active)
    }

    /// Whether a file with a stored identity still holds the content that was read: its head and
    /// the bytes before the committed offset are unchanged, and it is not shorter than the offset.
    private func isSameContent(_ stored: FileRecord, file: FileDescriptor, size: Int64, head: [UInt8]) throws -> Bool {
        guard size >= stored.committedOffset, Int64(head.count) >= stored.headLength else { return false }
        guard SHA256.hash(head.prefix(Int(stored.headLength))) == stored.headHash else { return false }
        guard stored.committedOffset > 0 else { return true }
        return try tailHash(of: file, before: stored.committedOffset) == stored.tailHash
    }

    private func tailHash(of file: FileDescriptor, before offset: Int64) throws -> [UInt8] {
        let start = max(0, offset - Int64(options.tailLength))
        return SHA256.hash(try file.readBytes(count: Int(offset - start), at: start))
    }

    private struct PendingBatch {
        var events: [PositionedEvent] = []
        var quarantine: [QuarantineRow] = []
        var lines = 0
        var bytes = 0
        var endOffset: Int64
    }

    private func readLines(from file: FileDescriptor, record: inout FileRecord) throws -> IngestSummary {
        var summary = IngestSummary()
        var buffer: [UInt8] = []
        var bufferStart = record.committedOffset
        var batch = PendingBatch(endOffset: record.committedOffset)
        var oversizedLine: (start: Int64, hasher: SHA256, prefix: [UInt8])?
        var chunk = [UInt8](repeating: 0, count: options.readSize)
        var endOfFile = false
        // A fresh file row is committed even when it holds no complete line yet, so that its
        // identity is known on the next pass.
        var mustCommit = record.fileID == 0

        while !endOfFile {
            let readOffset = bufferStart + Int64(buffer.count)
            let count = try chunk.withUnsafeMutableBytes { raw in try file.read(into: raw, at: readOffset) }
            if count == 0 {
                endOfFile = true
                break
            }
            var scanFrom = buffer.count
            buffer.append(contentsOf: chunk[0..<count])
            var lineStart = 0
            while let newline = buffer[scanFrom...].firstIndex(of: 0x0A) {
                let lineOffset = bufferStart + Int64(lineStart)
                if var oversized = oversizedLine {
                    oversized.hasher.update(buffer[lineStart..<newline])
                    let length = lineOffset + Int64(newline - lineStart) - oversized.start
                    batch.quarantine.append(
                        makeOversizedRow(
                            start: oversized.start, length: length, hash: oversized.hasher.finalize(),
                            prefix: oversized.prefix))
                    oversizedLine = nil
                } else {
                    buffer.withUnsafeBufferPointer { all in
                        let line = UnsafeBufferPointer(rebasing: all[lineStart..<newline])
                        decodeLine(line, offset: lineOffset, into: &batch)
                    }
                }
                batch.lines += 1
                batch.bytes += newline + 1 - lineStart
                batch.endOffset = bufferStart + Int64(newline + 1)
                lineStart = newline + 1
                scanFrom = lineStart
                if batch.lines >= options.batchLines || batch.bytes >= options.batchBytes {
                    try commit(&batch, record: &record, file: file, summary: &summary)
                    mustCommit = false
                }
            }
            buffer.removeFirst(lineStart)
            bufferStart += Int64(lineStart)
            if oversizedLine == nil, buffer.count > options.maximumLineLength {
                oversizedLine = (bufferStart, SHA256(), Array(buffer.prefix(Redactor.window)))
            }
            if var oversized = oversizedLine {
                // Keep hashing the line but drop its bytes, so memory stays bounded.
                oversized.hasher.update(buffer)
                oversizedLine = oversized
                bufferStart += Int64(buffer.count)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if batch.lines > 0 || mustCommit {
            try commit(&batch, record: &record, file: file, summary: &summary)
        }
        let size = (try? file.status()).map { Int64($0.st_size) } ?? record.size
        summary.pendingBytes = max(0, size - record.committedOffset)
        if summary.pendingBytes > 0 {
            logger.debug(
                "unterminated last line waits for its newline",
                [
                    "spool.file": record.path, "file.offset": "\(record.committedOffset)",
                    "bytes.pending": "\(summary.pendingBytes)",
                ])
        }
        return summary
    }

    private func decodeLine(_ line: UnsafeBufferPointer<UInt8>, offset: Int64, into batch: inout PendingBatch) {
        // A blank line or a Windows line ending's lone carriage return is not a record.
        var content = line
        if let last = content.last, last == 0x0D {
            content = UnsafeBufferPointer(rebasing: content.dropLast())
        }
        if content.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
            return
        }
        let outcome = decoder.decode(content, now: clock())
        for event in outcome.events {
            batch.events.append(PositionedEvent(event: event, lineOffset: offset))
        }
        if !outcome.rejects.isEmpty {
            let hash = SHA256.hash(content)
            let sample = Redactor.sample(content)
            for reject in outcome.rejects {
                batch.quarantine.append(
                    QuarantineRow(
                        lineOffset: offset, lineLength: Int64(content.count), lineHash: hash,
                        reason: reject.code.rawValue, detail: reject.detail, sample: sample))
            }
        }
    }

    private func makeOversizedRow(start: Int64, length: Int64, hash: [UInt8], prefix: [UInt8]) -> QuarantineRow {
        let sample = prefix.withUnsafeBufferPointer { Redactor.sample($0) }
        return QuarantineRow(
            lineOffset: start, lineLength: length, lineHash: hash, reason: DecodeError.Code.lineTooLong.rawValue,
            detail: "line of \(length) bytes exceeds the limit of \(options.maximumLineLength)", sample: sample)
    }

    private func commit(
        _ batch: inout PendingBatch, record: inout FileRecord, file: FileDescriptor, summary: inout IngestSummary
    ) throws {
        var updated = record
        updated.committedOffset = batch.endOffset
        updated.size = max(updated.size, batch.endOffset)
        if let status = try? file.status() {
            updated.size = Int64(status.st_size)
        }
        updated.tailHash = batch.endOffset > 0 ? try tailHash(of: file, before: batch.endOffset) : nil
        let result = try store.commit(
            IngestBatch(file: updated, events: batch.events, quarantine: batch.quarantine, now: clock()))
        record = result.file
        summary.lines += batch.lines
        summary.insertedEvents += result.insertedEvents
        summary.duplicateEvents += batch.events.count - result.insertedEvents
        summary.quarantined += batch.quarantine.count
        if !batch.quarantine.isEmpty {
            let reasons = Dictionary(grouping: batch.quarantine, by: \.reason)
                .map { "\($0.key)=\($0.value.count)" }.sorted().joined(separator: ",")
            logger.warning(
                "quarantined rejected lines",
                [
                    "spool.file": record.path, "quarantine.rows": "\(batch.quarantine.count)",
                    "quarantine.reasons": reasons,
                ])
        }
        logger.log(
            .debug, "committed batch",
            [
                "spool.file": record.path, "file.offset": "\(record.committedOffset)",
                "db.rows": "\(result.insertedEvents)",
            ])
        batch = PendingBatch(endOffset: batch.endOffset)
    }
}
