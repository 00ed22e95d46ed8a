import Glibc
import LedgerCore
import LedgerStore

/// What happens to spool files that are fully committed and rotated away.
public struct RetentionPolicy: Sendable, Equatable {
    /// The action on a finished file.
    public enum Mode: String, Sendable, CaseIterable {
        /// Keep every file (the default).
        case off
        /// Delete the file.
        case delete
        /// Move the file into ``RetentionPolicy/directory``.
        case move
    }

    /// The action.
    public var mode: Mode
    /// Where `move` puts files; must be outside the spool directories.
    public var directory: String?
    /// How long a file must be unmodified before it is removed, in seconds.
    public var minimumAge: Double

    /// Creates a policy.
    public init(mode: Mode = .off, directory: String? = nil, minimumAge: Double = 300) {
        self.mode = mode
        self.directory = directory
        self.minimumAge = minimumAge
    }
}

/// Removes spool files that are fully committed and rotated away, after a durable checkpoint.
///
/// A file qualifies when its stored identity has state `rotated` (renamed away from the path it
/// was first seen at) or its name ends in a rotation suffix (`.1`, `.2.gz`, …), its committed
/// offset equals its size, it is not compressed, and it has not been modified for the minimum
/// age. The database is checkpointed with `wal_checkpoint(FULL)` first, so that the commits
/// covering the file are on disk before the file goes.
struct Retention {
    let policy: RetentionPolicy
    let logger: Logger

    /// Applies the policy once; returns how many files were removed or moved.
    func apply(store: Store, now: Int64) throws -> Int {
        guard policy.mode != .off else { return 0 }
        let candidates = try store.files().filter { record in
            guard record.state != .vanished, record.compression == .none else { return false }
            guard record.state == .rotated || Self.hasRotationSuffix(record.path) else { return false }
            var info = stat()
            guard stat(record.path, &info) == 0, UInt64(info.st_ino) == record.inode,
                Int64(info.st_size) == record.committedOffset, record.committedOffset == record.size
            else { return false }
            let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
            return Double(now - modified) / 1e9 >= policy.minimumAge
        }
        guard !candidates.isEmpty else { return 0 }
        store.database.resetCachedStatements()
        // The first column of the result is 1 when a reader or writer kept the checkpoint from
        // finishing.
        let busy = try store.database.scalarInt("PRAGMA wal_checkpoint(FULL)")
        guard busy == 0 else {
            logger.warning("checkpoint not complete; keeping finished spool files for now")
            return 0
        }
        var removed = 0
        for record in candidates {
            switch policy.mode {
            case .off:
                break
            case .delete:
                guard unlink(record.path) == 0 else {
                    logger.warning(
                        "cannot delete finished spool file",
                        ["error": "\(SystemError(call: "unlink", path: record.path))"])
                    continue
                }
            case .move:
                guard let directory = policy.directory else { continue }
                let target = FilePath.join(directory, FilePath.name(of: record.path))
                guard rename(record.path, target) == 0 else {
                    logger.warning(
                        "cannot move finished spool file",
                        ["error": "\(SystemError(call: "rename", path: record.path))"])
                    continue
                }
            }
            removed += 1
            logger.info(
                policy.mode == .delete ? "deleted finished spool file" : "moved finished spool file",
                ["spool.file": record.path, "file.offset": "\(record.committedOffset)"])
        }
        return removed
    }

    /// Whether a file name ends in `.N` or `.N.gz`, the suffixes of rename rotation.
    static func hasRotationSuffix(_ path: String) -> Bool {
        var name = Substring(FilePath.name(of: path))
        if name.hasSuffix(".gz") {
            name = name.dropLast(3)
        }
        guard let dot = name.lastIndex(of: ".") else { return false }
        let suffix = name[name.index(after: dot)...]
        return !suffix.isEmpty && suffix.allSatisfy(\.isNumber)
    }
}
