import CSQLite

/// One SQLite connection.
///
/// Not thread-safe: a connection belongs to the one task that opened it.
public final class Database {
    /// The underlying handle.
    let handle: OpaquePointer
    /// The file the connection opened.
    public let path: String
    private var statementCache: [String: Statement] = [:]

    /// Opens or creates the database at `path`.
    /// - Throws: ``StoreError`` with code `openFailed`.
    public init(path: String, readOnly: Bool = false) throws(StoreError) {
        _ = Self.libraryConfiguration
        var handle: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let result = sqlite3_open_v2(path, &handle, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard result == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw StoreError(
                code: StoreError.classify(result, fallback: .openFailed), sqliteCode: result,
                message: "cannot open \(path): \(message)")
        }
        self.handle = handle
        self.path = path
        sqlite3_extended_result_codes(handle, 1)
    }

    /// The SQLite result code of configuring the library, once, before the first connection opens.
    ///
    /// The configuration turns off SQLite's memory statistics, which lock a mutex on every
    /// allocation. No code of this package reads them. `sqlite3_config` must not run while another
    /// thread uses SQLite, so it runs in a lazy static initializer, which other callers wait for.
    /// When SQLite was initialized before (by other code in the process), the result is
    /// `SQLITE_MISUSE` and the statistics stay on, which costs speed but changes no result.
    static let libraryConfiguration: Int32 = csqlite_disable_memory_statistics()

    deinit {
        statementCache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that bind no values.
    public func execute(_ sql: String) throws(StoreError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        guard result == SQLITE_OK else {
            let message = errorMessage.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(errorMessage)
            throw StoreError(
                code: StoreError.classify(result, fallback: .stepFailed), sqliteCode: result, message: message,
                sql: sql)
        }
    }

    /// A prepared statement for `sql`, compiled once per connection and reused.
    public func cachedStatement(_ sql: String) throws(StoreError) -> Statement {
        if let statement = statementCache[sql] {
            statement.reset()
            return statement
        }
        let statement = try Statement(database: self, sql: sql)
        statementCache[sql] = statement
        return statement
    }

    /// Rewinds every cached statement, so that none holds a read transaction open; a checkpoint
    /// cannot finish while one does.
    public func resetCachedStatements() {
        for statement in statementCache.values {
            statement.reset()
        }
    }

    /// A new prepared statement for `sql`, finalized when released.
    public func makeStatement(_ sql: String) throws(StoreError) -> Statement {
        try Statement(database: self, sql: sql)
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolling back when it throws.
    ///
    /// A cached statement stepped and not yet reset keeps its read snapshot open. Once another
    /// connection commits, `BEGIN IMMEDIATE` on that old snapshot fails with `SQLITE_BUSY_SNAPSHOT`
    /// on every retry, so the cached statements are reset first.
    public func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        if !isInTransaction {
            resetCachedStatements()
        }
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` inside one read transaction (`BEGIN … COMMIT`), so that every statement it
    /// steps reads the same snapshot of the database. Writers of other connections go on; their
    /// commits become visible after it. Rolls back when `body` throws.
    public func readTransaction<T>(_ body: () throws -> T) throws -> T {
        resetCachedStatements()
        try execute("BEGIN DEFERRED")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Whether a transaction is open on this connection.
    public var isInTransaction: Bool {
        sqlite3_get_autocommit(handle) == 0
    }

    /// The number of rows the last statement changed.
    public var changes: Int {
        Int(sqlite3_changes(handle))
    }

    /// Reads one integer, such as a `PRAGMA` result.
    public func scalarInt(_ sql: String) throws(StoreError) -> Int64 {
        let statement = try makeStatement(sql)
        guard try statement.step() else { return 0 }
        return statement.int64(0)
    }

    /// Reads one text value, such as a `PRAGMA` result.
    public func scalarText(_ sql: String) throws(StoreError) -> String? {
        let statement = try makeStatement(sql)
        guard try statement.step() else { return nil }
        return statement.text(0)
    }

    var lastErrorMessage: String {
        String(cString: sqlite3_errmsg(handle))
    }
}
