import Glibc
import LedgerCore
import LedgerStore

/// Opens the store for the daemon, moving a damaged database aside instead of failing forever.
///
/// A database that SQLite cannot open, or whose `PRAGMA quick_check` is not `ok`, is renamed
/// with a UTC timestamp (its `-wal` and `-shm` files too) and a new one is created. The spool
/// files still present are then read again from the start, and event keys keep the totals exact.
///
/// The check reads the whole database, so on a store larger than ``alwaysCheckedSize`` it runs
/// only after an unclean stop: a graceful stop leaves a marker file that the next start removes.
/// Damage found later, while running, makes a statement fail with `SQLITE_CORRUPT`; the process
/// then exits with status 1 and the next start checks.
enum StoreRecovery {
    /// The marker a graceful stop leaves in the state directory.
    static let cleanStopMarker = "clean-stop"
    /// Stores up to this size are checked at every start: 256 MiB, which `quick_check` reads in
    /// well under a second from the page cache.
    static let alwaysCheckedSize: Int64 = 256 << 20

    /// Opens the store, checking and if needed replacing it.
    /// - Parameter beforeCheck: called before a schema migration or a full check starts, for
    ///   example to extend a service manager's start timeout.
    static func open(path: String, logger: Logger, beforeCheck: () -> Void = {}) throws -> Store {
        let marker = FilePath.join(FilePath.directory(of: path), cleanStopMarker)
        let wasCleanStop = access(marker, F_OK) == 0
        unlink(marker)
        var info = stat()
        let size = stat(path, &info) == 0 ? Int64(info.st_size) : 0
        do {
            let notice = migrationNotice(logger, path: path)
            let store = try Store(path: path) { from, to in
                beforeCheck()
                notice(from, to)
            }
            if !wasCleanStop || size <= alwaysCheckedSize {
                beforeCheck()
                let check = try store.database.scalarText("PRAGMA quick_check") ?? "no result"
                guard check == "ok" else {
                    throw StoreError(code: .corrupt, message: "quick_check reported: \(check.prefix(200))")
                }
            }
            return store
        } catch let error as StoreError where error.code == .corrupt {
            let suffix = ".corrupt-" + Timestamp.formatRFC3339(WallClock.now()).replacingColons()
            for extra in ["", "-wal", "-shm"] where access(path + extra, F_OK) == 0 {
                guard rename(path + extra, path + extra + suffix) == 0 else {
                    throw SystemError(call: "rename", path: path + extra)
                }
            }
            logger.error(
                "database is damaged; moved it aside and rebuilding from the spool",
                ["db.file": path, "db.moved_to": path + suffix, "error": "\(error)"])
            return try Store(path: path)
        }
    }
}

extension StoreRecovery {
    /// Returns a `beforeMigrating` handler for ``Store/init(path:beforeMigrating:)`` that logs the
    /// migration about to run.
    static func migrationNotice(_ logger: Logger, path: String) -> (Int, Int) -> Void {
        { from, to in
            logger.notice(
                "migrating the store to a new schema; a large store takes a while",
                ["db.file": path, "schema.from": "\(from)", "schema.to": "\(to)"])
        }
    }

    /// Leaves the marker that lets the next start skip the full check.
    static func markCleanStop(path: String) {
        let marker = FilePath.join(FilePath.directory(of: path), cleanStopMarker)
        try? AtomicFile.write("", to: marker)
    }
}

extension String {
    /// The string with `:` replaced by `-`, for file names.
    fileprivate func replacingColons() -> String {
        String(map { $0 == ":" ? "-" : $0 })
    }
}
