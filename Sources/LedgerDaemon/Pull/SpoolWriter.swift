import Glibc
import LedgerCore

/// Appends queue records to the spool so that the daemon reads each exactly once.
///
/// Lines go into a hidden staging file, `.<prefix>-<UTC time>.jsonl.partial`, which the spool
/// scanner skips because its name starts with a dot. After each batch the file is flushed with
/// `fsync`, before the shipper requests more records. When the file reaches ``rotateBytes`` or
/// ``rotateNanoseconds`` of age, or the shipper stops, it is published under its final name
/// `<prefix>-<UTC time>.jsonl` by `link` and `unlink`, which never replaces an existing file,
/// and the directory is flushed. A published file is never written again. Each line is written
/// with its newline in one `write`, and a line cut short by a crash is removed from the staging
/// file before it is published.
final class SpoolWriter {
    /// The spool directory.
    let directory: String
    /// The file name prefix, such as `cliproxyapi`.
    let prefix: String
    /// A staging file is published once it contains at least this many bytes.
    let rotateBytes: Int
    /// A non-empty staging file is published once it is this old, in nanoseconds.
    let rotateNanoseconds: Int64
    private let logger: Logger
    private let clock: @Sendable () -> Int64

    private var current: (file: FileDescriptor, stagingPath: String, finalName: String, openedAt: Int64)?
    private var currentSize = 0

    /// The mode of new spool files: readable by the spool group, so the daemon can read them.
    static let fileMode: mode_t = 0o640

    /// Creates a writer; nothing is opened until the first write.
    init(
        directory: String, prefix: String = "cliproxyapi", rotateBytes: Int, rotateNanoseconds: Int64, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = WallClock.now
    ) {
        self.directory = directory
        self.prefix = prefix
        self.rotateBytes = rotateBytes
        self.rotateNanoseconds = rotateNanoseconds
        self.logger = logger
        self.clock = clock
    }

    /// Publishes staging files that a previous run left behind, and returns the last instant
    /// that run is known to have written: the newest modification time of this writer's files,
    /// or `nil` when there are none.
    /// - Throws: ``PullError`` with code `spoolWriteFailed`.
    func recover() throws(PullError) -> Int64? {
        var newest: Int64?
        guard let stream = opendir(directory) else {
            throw PullError(
                .spoolWriteFailed,
                "cannot open the spool directory: \(SystemError(call: "opendir", path: directory)); create it or fix "
                    + "--spool")
        }
        var stagingNames: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            let isStaging = name.hasPrefix(".\(prefix)-") && name.hasSuffix(".jsonl.partial")
            let isFinal = name.hasPrefix("\(prefix)-") && name.hasSuffix(".jsonl")
            guard isStaging || isFinal else { continue }
            var info = stat()
            if stat(FilePath.join(directory, name), &info) == 0 {
                let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
                newest = max(newest ?? modified, modified)
            }
            if isStaging {
                stagingNames.append(name)
            }
        }
        closedir(stream)
        for name in stagingNames.sorted() {
            try recoverStaging(name)
        }
        return newest
    }

    /// Appends `lines`, each followed by a newline, and flushes the file to disk.
    /// - Throws: ``PullError`` with code `spoolWriteFailed`; the caller must not request more
    ///   records, because these may not be on disk.
    func append(_ lines: [[UInt8]]) throws(PullError) {
        guard !lines.isEmpty else { return }
        let file = try currentFile()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lines.reduce(0) { $0 + $1.count + 1 })
        for line in lines {
            bytes += line
            bytes.append(0x0A)
        }
        do {
            try bytes.withUnsafeBytes { raw in try file.write(raw) }
            try file.sync()
        } catch {
            throw PullError(.spoolWriteFailed, "writing the spool failed: \(error); check free space and permissions")
        }
        currentSize += bytes.count
    }

    /// Publishes the staging file when it is due by size or age.
    func rotateIfDue() throws(PullError) {
        guard let current, currentSize > 0 else { return }
        if currentSize >= rotateBytes || clock() - current.openedAt >= rotateNanoseconds {
            try publish()
        }
    }

    /// Publishes the staging file unless it is empty, and removes an empty one.
    func publish() throws(PullError) {
        guard let current else { return }
        self.current = nil
        defer { currentSize = 0 }
        guard currentSize > 0 else {
            unlink(current.stagingPath)
            return
        }
        try publish(stagingPath: current.stagingPath, finalName: current.finalName)
    }

    private func currentFile() throws(PullError) -> FileDescriptor {
        if let current {
            return current.file
        }
        let now = clock()
        let stamp = Self.fileStamp(now)
        let finalName = "\(prefix)-\(stamp).jsonl"
        let stagingPath = FilePath.join(directory, ".\(finalName).partial")
        do {
            let file = try FileDescriptor(
                path: stagingPath, flags: O_WRONLY | O_CREAT | O_EXCL | O_APPEND, mode: Self.fileMode)
            current = (file, stagingPath, finalName, now)
            currentSize = 0
            logger.debug("spool file started", ["spool.file": stagingPath])
            return file
        } catch {
            throw PullError(.spoolWriteFailed, "cannot create a spool file: \(error); check the spool directory")
        }
    }

    /// Truncates a leftover staging file after its last complete line and publishes it.
    private func recoverStaging(_ name: String) throws(PullError) {
        let stagingPath = FilePath.join(directory, name)
        let finalName = String(name.dropFirst().dropLast(".partial".count))
        let finalPath = FilePath.join(directory, finalName)
        var stagingInfo = stat()
        var finalInfo = stat()
        if stat(finalPath, &finalInfo) == 0, stat(stagingPath, &stagingInfo) == 0,
            finalInfo.st_ino == stagingInfo.st_ino, finalInfo.st_dev == stagingInfo.st_dev
        {
            // A crash came between link and unlink: the file is already published.
            unlink(stagingPath)
            return
        }
        do {
            let file = try FileDescriptor(path: stagingPath, flags: O_RDWR)
            let size = Int64(try file.status().st_size)
            var end = size
            var cut = false
            while end > 0 {
                let start = max(0, end - 65_536)
                let chunk = try file.readBytes(count: Int(end - start), at: start)
                if let newline = chunk.lastIndex(of: 0x0A) {
                    cut = start + Int64(newline) + 1 < size
                    end = start + Int64(newline) + 1
                    break
                }
                end = start
                cut = true
            }
            if cut {
                guard ftruncate(file.rawValue, off_t(end)) == 0 else {
                    throw SystemError(call: "ftruncate", path: stagingPath)
                }
                try file.sync()
                logger.warning(
                    "removed a line cut short by a crash from the last spool file",
                    ["spool.file": stagingPath, "spool.bytes_removed": "\(size - end)"])
            }
            if end == 0 {
                unlink(stagingPath)
                return
            }
        } catch let error as PullError {
            throw error
        } catch {
            throw PullError(.spoolWriteFailed, "cannot recover the spool file '\(stagingPath)': \(error)")
        }
        try publish(stagingPath: stagingPath, finalName: finalName)
    }

    private func publish(stagingPath: String, finalName: String) throws(PullError) {
        var name = finalName
        var attempt = 0
        while link(stagingPath, FilePath.join(directory, name)) != 0 {
            let linkError = errno
            guard linkError == EEXIST, attempt < 100 else {
                throw PullError(
                    .spoolWriteFailed,
                    "cannot publish the spool file: \(SystemError(call: "link", path: stagingPath, errno: linkError))")
            }
            attempt += 1
            name = String(finalName.dropLast(".jsonl".count)) + "-\(attempt).jsonl"
        }
        unlink(stagingPath)
        if let handle = try? FileDescriptor(path: directory, flags: O_RDONLY | O_DIRECTORY) {
            try? handle.sync()
        }
        logger.debug("spool file published", ["spool.file": FilePath.join(directory, name)])
    }

    /// `20261130T220106.498873000Z`: sortable, so file names sort by creation time.
    static func fileStamp(_ nanoseconds: Int64) -> String {
        let text = Timestamp.formatRFC3339(nanoseconds - nanoseconds % 1_000_000_000)
        let digits = String(nanoseconds % 1_000_000_000)
        let fraction = String(repeating: "0", count: 9 - digits.count) + digits
        let compact = text.dropLast().replacingOccurrences("-", "").replacingOccurrences(":", "")
        return compact + "." + fraction + "Z"
    }
}

extension StringProtocol {
    /// Returns the text with every `target` replaced by `replacement`, without Foundation.
    func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target {
                result += replacement
            } else {
                result.append(character)
            }
        }
        return result
    }
}
