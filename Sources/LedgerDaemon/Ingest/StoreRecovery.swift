import Glibc
import LedgerCore
import LedgerStore

/// Opens the store for the daemon, moving a damaged database aside instead of failing forever.
///
/// A database that SQLite cannot open, or whose `PRAGMA quick_check` is not `ok`, is renamed
/// with a UTC timestamp (its `-wal` and `-shm` files too) and a new one is created. The spool
/// files still present are then read again from the start, and event keys keep the totals exact.
enum StoreRecovery {
    static func open(path: String, logger: Logger) throws -> Store {
        do {
            let store = try Store(path: path)
            let check = try store.database.scalarText("PRAGMA quick_check") ?? "no result"
            guard check == "ok" else {
                throw StoreError(code: .corrupt, message: "quick_check reported: \(check.prefix(200))")
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

extension String {
    /// The string with `:` replaced by `-`, for file names.
    fileprivate func replacingColons() -> String {
        String(map { $0 == ":" ? "-" : $0 })
    }
}
