import CSystemShims
import Glibc
import LedgerCore
import LedgerStore

/// Reads complete lines from spool files and commits them with their offsets.
///
/// For each file: recognize it among the stored identities, read from its committed offset,
/// decode each complete line, and commit events, quarantine rows and the new offset together in
/// batches. An unterminated last line is left for a later pass.
public final class Ingestor {
    let store: Store
    private let decoder: LineDecoder
    private let decodeCache = DecodeCache()
    private let options: IngestOptions
    let logger: Logger
    private let clock: @Sendable () -> Int64
    private let pricing: IngestPricing?
    /// The recorder of the current pass; `nil` while no valid pricing file is in force.
    private var costRecorder: CostRecorder?
    /// Paths reported as unreadable or skipped, so that each is logged once until it recovers.
    private var reportedProblems: Set<String> = []
    private let twinFilter: StoredTwinFilter
    /// Queries for a stored twin run since creation, one per usage-queue record or accounting
    /// event that needed one.
    var storedTwinLookups: Int { twinFilter.lookups }
    /// Asked between files and after each commit; when it returns `true` the pass ends early,
    /// with every committed batch kept.
    public var shouldStop: () -> Bool = { false }

    /// Creates an ingestor writing to `store`. With `pricingPath`, each pass reads that pricing
    /// file and stores the events it has a price for with their cost (see ``IngestPricing``).
    public init(
        store: Store, options: IngestOptions = IngestOptions(), logger: Logger, pricingPath: String? = nil,
        clock: @escaping @Sendable () -> Int64 = WallClock.now
    ) {
        self.store = store
        self.options = options
        self.decoder = LineDecoder(maximumLineLength: options.maximumLineLength)
        self.logger = logger
        self.pricing = pricingPath.map { IngestPricing(path: $0, logger: logger) }
        self.clock = clock
        self.twinFilter = StoredTwinFilter(store: store, logger: logger)
    }

    /// Ingests every complete line of every file the scanner finds.
    ///
    /// A file that cannot be opened or read is reported once and retried on the next pass.
    /// - Throws: ``StoreError`` when a commit fails; nothing of the failed batch is stored, so
    ///   the caller may retry the whole pass after a pause.
    public func ingestAll(_ scanner: SpoolScanner) throws -> IngestSummary {
        let (candidates, skipped) = scanner.scan()
        costRecorder = pricing?.recorder()
        for item in skipped where reportedProblems.insert(item.path).inserted {
            logger.warning("skipped spool entry", ["spool.file": item.path, "reason": item.reason])
        }
        var known = try store.files()
        var seen: Set<Int64> = []
        var seenIdentities: Set<SpoolFileIdentity> = []
        var summary = IngestSummary()
        for candidate in candidates {
            if shouldStop() {
                return summary
            }
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
                if reportedProblems.remove(candidate.path) != nil {
                    logger.notice("spool file readable again", ["spool.file": candidate.path])
                }
            } catch let error as SystemError {
                if error.errno == ENOENT {
                    continue
                }
                if reportedProblems.insert(candidate.path).inserted {
                    logger.warning(
                        "cannot read spool file; retrying on every pass",
                        ["spool.file": candidate.path, "error": "\(error)"])
                }
            } catch let error as SpoolError {
                if reportedProblems.insert(candidate.path).inserted {
                    logger.error("cannot decode spool file; skipping it until it changes", ["error": "\(error)"])
                }
            }
        }
        let now = clock()
        for var record in known where record.state != .vanished && !seen.contains(record.fileID) {
            // A file still on disk that this pass could not read keeps its identity.
            guard !reportedProblems.contains(record.path) else { continue }
            record.state = .vanished
            try store.save(record, now: now)
            logger.debug("spool file vanished", ["spool.file": record.path])
        }
        return summary
    }

    private func open(_ candidate: SpoolScanner.Candidate) throws -> OpenedSpoolFile {
        let file = try FileDescriptor(path: candidate.resolvedPath, flags: O_RDONLY | O_NONBLOCK)
        let info = try file.status()
        var seconds: Int64 = 0
        var nanoseconds: UInt32 = 0
        let birth =
            csystem_birth_time(file.rawValue, &seconds, &nanoseconds) == 0
            ? seconds * 1_000_000_000 + Int64(nanoseconds) : nil
        let magic = try file.readBytes(count: 2, at: 0)
        return OpenedSpoolFile(
            file: file, identity: SpoolFileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)),
            birthNanoseconds: birth,
            modifiedNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            size: Int64(info.st_size), compression: magic == [0x1F, 0x8B] ? .gzip : .none)
    }

    private func ingest(
        _ candidate: SpoolScanner.Candidate, known: inout [FileRecord], seenIdentities: inout Set<SpoolFileIdentity>
    ) throws -> (fileID: Int64, summary: IngestSummary)? {
        let opened = try open(candidate)
        // Hard links and in-spool symlinks name one file twice; it is read once per pass.
        guard seenIdentities.insert(opened.identity).inserted else { return nil }
        let now = clock()

        var record: FileRecord
        var probe: ContentProbe
        if let index = known.firstIndex(where: {
            $0.device == opened.identity.device && $0.inode == opened.identity.inode && $0.state != .vanished
        }) {
            let stored = known[index]
            if stored.size == opened.size, stored.modifiedNanoseconds == opened.modifiedNanoseconds,
                stored.birthNanoseconds == opened.birthNanoseconds, stored.compression == opened.compression
            {
                // Unchanged since the last pass: nothing to read, nothing to write.
                if stored.path != candidate.path {
                    var renamed = stored
                    renamed.path = candidate.path
                    renamed.state = .rotated
                    known[index] = try store.save(renamed, now: now)
                    logger.debug("spool file renamed", ["spool.file": candidate.path, "spool.old": stored.path])
                }
                var unchanged = IngestSummary()
                unchanged.pendingBytes = pendingBytes(known[index], size: opened.size)
                return (stored.fileID, unchanged)
            }
            probe = try ContentProbe(opened: opened, offset: stored.committedOffset, options: options)
            if isSameContent(stored, opened: opened, probe: probe) {
                record = stored
                if record.path != candidate.path {
                    logger.debug("spool file renamed", ["spool.file": candidate.path, "spool.old": record.path])
                    record.path = candidate.path
                    record.state = .rotated
                }
            } else {
                logger.notice(
                    "spool file content replaced; reading it from the start",
                    [
                        "spool.file": candidate.path, "file.offset": "\(stored.committedOffset)",
                        "file.size": "\(opened.size)",
                    ])
                var retired = stored
                retired.state = .vanished
                known[index] = try store.save(retired, now: now)
                record = newRecord(candidate.path, opened: opened)
                probe = try ContentProbe(opened: opened, offset: 0, options: options)
            }
        } else {
            record = newRecord(candidate.path, opened: opened)
            probe = try ContentProbe(opened: opened, offset: 0, options: options)
        }
        // Size and modification time are stored only once a pass has read the file to its end
        // (below), never with an intermediate batch. Otherwise a crash after that batch would
        // leave a row claiming the file was read through, and the next pass would skip the rest.
        record.birthNanoseconds = opened.birthNanoseconds
        record.compression = opened.compression

        var summary: IngestSummary
        if SpoolScanner.isDocument(candidate.path) {
            summary = try readDocument(opened, probe: probe, record: &record)
        } else {
            let source: ByteSource
            switch opened.compression {
            case .none: source = PlainSource(file: opened.file, offset: record.committedOffset)
            case .gzip: source = try GzipSource(file: opened.file, skipping: record.committedOffset)
            }
            summary = try readLines(from: source, probe: probe, record: &record)
        }
        if !shouldStop(), record.size != opened.size || record.modifiedNanoseconds != opened.modifiedNanoseconds {
            record.size = opened.size
            record.modifiedNanoseconds = opened.modifiedNanoseconds
            record = try store.save(record, now: clock())
        }
        summary.pendingBytes = pendingBytes(record, size: opened.size)
        if summary.pendingBytes > 0 {
            logger.debug(
                "unterminated last line waits for its newline",
                [
                    "spool.file": record.path, "file.offset": "\(record.committedOffset)",
                    "bytes.pending": "\(summary.pendingBytes)",
                ])
        }
        if let index = known.firstIndex(where: { $0.fileID == record.fileID }) {
            known[index] = record
        } else {
            known.append(record)
        }
        return (record.fileID, summary)
    }

    private func newRecord(_ path: String, opened: OpenedSpoolFile) -> FileRecord {
        FileRecord(
            path: path, device: opened.identity.device, inode: opened.identity.inode,
            birthNanoseconds: opened.birthNanoseconds, modifiedNanoseconds: 0,
            compression: opened.compression, size: -1, committedOffset: 0, headLength: 0,
            headHash: SHA256.hash([]), tailHash: nil, state: .active)
    }

    private func pendingBytes(_ record: FileRecord, size: Int64) -> Int64 {
        record.compression == .none ? max(0, size - record.committedOffset) : 0
    }

    /// Whether a file with a stored identity still contains the content that was read: same birth
    /// time, its head and the bytes before the committed offset unchanged, not shorter than the
    /// offset.
    private func isSameContent(_ stored: FileRecord, opened: OpenedSpoolFile, probe: ContentProbe) -> Bool {
        if let storedBirth = stored.birthNanoseconds, let birth = opened.birthNanoseconds, storedBirth != birth {
            return false
        }
        guard stored.compression == opened.compression, probe.length >= stored.committedOffset,
            Int64(probe.head.count) >= stored.headLength,
            SHA256.hash(probe.head.prefix(Int(stored.headLength))) == stored.headHash
        else { return false }
        guard stored.committedOffset > 0 else { return true }
        return SHA256.hash(probe.tail) == stored.tailHash
    }

    private struct PendingBatch {
        var events: [PositionedEvent] = []
        var quarantine: [QuarantineRow] = []
        var lines = 0
        var bytes = 0
        var endOffset: Int64
    }

    private func readLines(from source: ByteSource, probe: ContentProbe, record: inout FileRecord) throws
        -> IngestSummary
    {
        var summary = IngestSummary()
        // Bytes 0..<filled are the file's bytes from `bufferStart`, and the rest is room that reads
        // fill in place, so that no chunk is copied from a read buffer into this one.
        var buffer: [UInt8] = []
        var filled = 0
        var bufferStart = record.committedOffset
        var batch = PendingBatch(endOffset: record.committedOffset)
        // Reserved once: the array keeps its capacity from one batch to the next (see commit).
        batch.events.reserveCapacity(options.batchLines)
        var oversizedLine: (start: Int64, hasher: SHA256, prefix: [UInt8])?
        // The last bytes before `bufferStart`, so that every commit can hash the bytes before
        // its offset without reading them again.
        var tailWindow = probe.tail
        // A new identity, or one whose head grew, is committed even when it contains no complete
        // line yet, so that the next pass recognizes it.
        var mustCommit = record.fileID == 0 || probe.isChanged(from: record)
        record.headLength = Int64(probe.head.count)
        record.headHash = SHA256.hash(probe.head)

        while true {
            if buffer.count - filled < options.readSize {
                buffer.append(contentsOf: repeatElement(0, count: options.readSize - (buffer.count - filled)))
            }
            let count = try buffer.withUnsafeMutableBytes { raw in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled..<filled + options.readSize]))
            }
            if count == 0 {
                break
            }
            var scanFrom = filled
            filled += count
            var lineStart = 0
            while let newline = Self.firstNewline(in: buffer, from: scanFrom, to: filled) {
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
                    let tail = Self.lastBytes(tailWindow, buffer[0..<lineStart], count: options.tailLength)
                    try commit(&batch, tail: tail, record: &record, summary: &summary)
                    mustCommit = false
                    if shouldStop() {
                        return summary
                    }
                }
            }
            tailWindow = Self.lastBytes(tailWindow, buffer[0..<lineStart], count: options.tailLength)
            if lineStart > 0 {
                buffer.withUnsafeMutableBufferPointer { all in
                    guard let base = all.baseAddress else { return }
                    memmove(base, base + lineStart, filled - lineStart)
                }
                filled -= lineStart
            }
            bufferStart += Int64(lineStart)
            if oversizedLine == nil, filled > options.maximumLineLength {
                oversizedLine = (bufferStart, SHA256(), Array(buffer[0..<min(filled, Redactor.prefixLength)]))
            }
            if var oversized = oversizedLine {
                // Keep hashing the line but drop its bytes, so memory stays bounded.
                oversized.hasher.update(buffer[0..<filled])
                oversizedLine = oversized
                tailWindow = Self.lastBytes(tailWindow, buffer[0..<filled], count: options.tailLength)
                bufferStart += Int64(filled)
                filled = 0
            }
        }
        if batch.lines > 0 || mustCommit {
            let tail = Self.lastBytes(tailWindow, [], count: options.tailLength)
            try commit(
                &batch, tail: batch.lines > 0 || record.committedOffset > 0 ? tail : nil, record: &record,
                summary: &summary)
        }
        return summary
    }

    /// The bytes of a whole-document file: all of them up to the document limit, else a prefix
    /// for the sample. The hash, length and tail always cover the whole file.
    private struct DocumentBytes {
        var bytes: [UInt8] = []
        var hasher = SHA256()
        var length: Int64 = 0
        var tail: [UInt8] = []
    }

    /// Reads a whole-document file from its start and commits its events with the offset at its
    /// end. A document that does not parse yet because it ends early is left for a later pass.
    /// A changed document is read again whole, and its event keys keep the events it gave before.
    private func readDocument(_ opened: OpenedSpoolFile, probe: ContentProbe, record: inout FileRecord) throws
        -> IngestSummary
    {
        var document = try readWholeDocument(opened)
        var batch = PendingBatch(endOffset: document.length)
        batch.lines = 1
        batch.bytes = Int(clamping: document.length)

        if document.length > Int64(options.maximumDocumentLength) {
            let sample = document.bytes.withUnsafeBufferPointer { Redactor.sample($0) }
            batch.quarantine.append(
                QuarantineRow(
                    lineOffset: 0, lineLength: document.length, lineHash: document.hasher.finalize(),
                    reason: DecodeError.Code.lineTooLong.rawValue,
                    detail:
                        "document of \(document.length) bytes exceeds the limit of \(options.maximumDocumentLength)",
                    sample: sample))
        } else {
            let outcome = document.bytes.withUnsafeBufferPointer { DocumentDecoder.decode($0, now: clock()) }
            guard case .decoded(let decoded) = outcome else {
                logger.debug(
                    "spool document is not complete JSON yet",
                    ["spool.file": record.path, "file.size": "\(document.length)"])
                return IngestSummary()
            }
            batch.events = decoded.events.map { PositionedEvent(event: $0, lineOffset: 0) }
            if !decoded.rejects.isEmpty {
                let hash = document.hasher.finalize()
                let sample = document.bytes.withUnsafeBufferPointer { Redactor.sample(LineDecoder.trimmed($0)) }
                batch.quarantine = decoded.rejects.map { reject in
                    QuarantineRow(
                        lineOffset: 0, lineLength: document.length, lineHash: hash, reason: reject.code.rawValue,
                        detail: reject.detail, sample: sample)
                }
            }
        }

        record.headLength = Int64(probe.head.count)
        record.headHash = SHA256.hash(probe.head)
        var summary = IngestSummary()
        try commit(&batch, tail: document.tail, record: &record, summary: &summary)
        return summary
    }

    private func readWholeDocument(_ opened: OpenedSpoolFile) throws -> DocumentBytes {
        let source: ByteSource
        switch opened.compression {
        case .none: source = PlainSource(file: opened.file, offset: 0)
        case .gzip: source = try GzipSource(file: opened.file, skipping: 0)
        }
        var document = DocumentBytes()
        var chunk = [UInt8](repeating: 0, count: options.readSize)
        while true {
            let count = try chunk.withUnsafeMutableBytes { raw in try source.read(into: raw) }
            if count == 0 {
                break
            }
            let piece = chunk[0..<count]
            document.hasher.update(piece)
            document.length += Int64(count)
            document.tail = Self.lastBytes(document.tail, piece, count: options.tailLength)
            if document.length <= Int64(options.maximumDocumentLength) {
                document.bytes.append(contentsOf: piece)
            } else if document.bytes.count > Redactor.prefixLength {
                // Too long to decode: only a prefix is kept for the sample, and hashing goes on.
                document.bytes.removeSubrange(Redactor.prefixLength...)
            } else {
                // The read that passed the limit may also hold the start of the prefix.
                document.bytes.append(contentsOf: piece.prefix(Redactor.prefixLength - document.bytes.count))
            }
        }
        return document
    }

    /// Returns the index of the first `\n` in `buffer[start..<end]`, found with `memchr`, which
    /// compares many bytes per instruction where a loop over the array compares one.
    private static func firstNewline(in buffer: [UInt8], from start: Int, to end: Int) -> Int? {
        buffer.withUnsafeBufferPointer { all in
            guard start < end, end <= all.count, let base = all.baseAddress,
                let found = memchr(base + start, 0x0A, end - start)
            else { return nil }
            return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// The last `count` bytes of `earlier` followed by `later`.
    private static func lastBytes(_ earlier: [UInt8], _ later: ArraySlice<UInt8>, count: Int) -> [UInt8] {
        if later.count >= count {
            return Array(later.suffix(count))
        }
        return Array(earlier.suffix(count - later.count)) + later
    }

    private func decodeLine(_ line: UnsafeBufferPointer<UInt8>, offset: Int64, into batch: inout PendingBatch) {
        // A blank line, or one holding only a CRLF line end's carriage return, is not a record.
        let content = LineDecoder.trimmed(line)
        if content.isEmpty {
            return
        }
        let outcome = decoder.decodeLine(
            content, now: clock(), cache: decodeCache,
            scannedEvent: { event in batch.events.append(PositionedEvent(event: event, lineOffset: offset)) })
        guard let outcome else { return }
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
        _ batch: inout PendingBatch, tail: [UInt8]?, record: inout FileRecord, summary: inout IngestSummary
    ) throws {
        var updated = record
        updated.committedOffset = batch.endOffset
        updated.tailHash = batch.endOffset > 0 ? tail.map { SHA256.hash($0) } : nil
        let now = clock()
        let pricing = costRecorder.map { $0.price(&batch.events, now: now) }
        // The fold's pass tries each unpriced event once per pricing file. When it has nothing
        // left to try before this batch, the batch's unpriced events, tried just above with the
        // same file, need no second try, and the checkpoint moves past them.
        var isEveryUnpricedEventTried = false
        let result = try store.commit(
            IngestBatch(file: updated, events: batch.events, quarantine: batch.quarantine, now: now),
            retaining: { (events) throws(StoreError) in
                isEveryUnpricedEventTried = try costRecorder?.isEveryUnpricedEventTried(store: store) ?? false
                return try twinFilter.retained(events)
            },
            afterInserts: { () throws(StoreError) in
                if isEveryUnpricedEventTried, let costRecorder {
                    try costRecorder.recordEveryEventTried(store: store)
                }
            })
        if let pricing, pricing.rejected > 0 {
            logger.warning(
                "events left unpriced because their token counts cannot be billed",
                ["spool.file": record.path, "pricing.rejected": "\(pricing.rejected)"])
        }
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
        // Emptied in place, so that the next batch reuses the events array's storage.
        batch.events.removeAll(keepingCapacity: true)
        batch.quarantine.removeAll()
        batch.lines = 0
        batch.bytes = 0
    }
}
