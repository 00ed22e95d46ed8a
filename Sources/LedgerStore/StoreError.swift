import CSQLite

/// A failure of the SQLite store.
///
/// Messages carry the SQLite result code, SQLite's own message and the statement's SQL, never the
/// values bound to it, which may hold user data.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable {
        /// `sqlite3_open_v2` failed.
        case openFailed = "open_failed"
        /// A statement failed to compile.
        case prepareFailed = "prepare_failed"
        /// A statement failed while running.
        case stepFailed = "step_failed"
        /// The database is locked by another connection past the busy timeout.
        case busy
        /// The disk or the database is full.
        case full
        /// The database file is damaged or is not a database.
        case corrupt
        /// The schema version is newer than this build knows.
        case unsupportedSchema = "unsupported_schema"
    }

    /// The kind of failure.
    public var code: Code
    /// The primary SQLite result code, when SQLite reported one.
    public var sqliteCode: Int32?
    /// What failed, with SQLite's message.
    public var message: String
    /// The SQL that failed, when a statement failed.
    public var sql: String?

    /// Creates an error.
    public init(code: Code, sqliteCode: Int32? = nil, message: String, sql: String? = nil) {
        self.code = code
        self.sqliteCode = sqliteCode
        self.message = message
        self.sql = sql
    }

    /// Classifies an SQLite result code; `fallback` is used for codes with no special meaning.
    static func classify(_ result: Int32, fallback: Code) -> Code {
        switch result & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED: return .busy
        case SQLITE_FULL: return .full
        case SQLITE_CORRUPT, SQLITE_NOTADB: return .corrupt
        default: return fallback
        }
    }

    /// Whether a retry after a pause may succeed.
    public var isTransient: Bool {
        code == .busy || code == .full
    }

    public var description: String {
        var text = "SQLite \(code.rawValue)"
        if let sqliteCode {
            text += " (code \(sqliteCode))"
        }
        text += ": \(message)"
        if let sql {
            text += " in `\(sql.split(separator: "\n").joined(separator: " ").prefix(120))`"
        }
        return text
    }
}
