import CSQLite
import LedgerCore

/// A prepared SQLite statement. Parameter and column indexes start at 0 for binding too.
public final class Statement {
    private let database: Database
    private let handle: OpaquePointer
    /// The statement's SQL, for error messages.
    public let sql: String

    init(database: Database, sql: String) throws(StoreError) {
        var handle: OpaquePointer?
        let result = sqlite3_prepare_v2(database.handle, sql, -1, &handle, nil)
        guard result == SQLITE_OK, let handle else {
            throw StoreError(
                code: StoreError.classify(result, fallback: .prepareFailed), sqliteCode: result,
                message: database.lastErrorMessage, sql: sql)
        }
        self.database = database
        self.handle = handle
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Clears bindings and rewinds the statement.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Rewinds the statement and keeps its bindings, for a caller that binds every parameter
    /// again before the next step.
    public func rewind() {
        sqlite3_reset(handle)
    }

    /// Binds an integer or `NULL` to parameter `index` (0-based).
    public func bind(_ value: Int64?, at index: Int32) {
        if let value {
            sqlite3_bind_int64(handle, index + 1, value)
        } else {
            sqlite3_bind_null(handle, index + 1)
        }
    }

    /// Binds an integer or `NULL` to parameter `index` (0-based).
    public func bind(_ value: Int?, at index: Int32) {
        bind(value.map(Int64.init), at: index)
    }

    /// Binds a double or `NULL` to parameter `index` (0-based).
    public func bind(_ value: Double?, at index: Int32) {
        if let value {
            sqlite3_bind_double(handle, index + 1, value)
        } else {
            sqlite3_bind_null(handle, index + 1)
        }
    }

    /// Binds text or `NULL` to parameter `index` (0-based).
    ///
    /// The text is passed as its UTF-8 bytes and length, which SQLite copies. Passing the `String`
    /// as a C string instead would make Swift copy a small string into a new array first. The
    /// text ends at its first NUL character, as it did when it was passed as a C string.
    public func bind(_ value: String?, at index: Int32) {
        guard var value else {
            sqlite3_bind_null(handle, index + 1)
            return
        }
        value.withUTF8 { bytes in
            let length = bytes.firstIndex(of: 0) ?? bytes.count
            // A null pointer would bind NULL, so empty text gets a pointer to an empty C string.
            guard let base = bytes.baseAddress, length > 0 else {
                _ = sqlite3_bind_text(handle, index + 1, "", 0, csqlite_transient())
                return
            }
            _ = base.withMemoryRebound(to: CChar.self, capacity: length) { text in
                sqlite3_bind_text(handle, index + 1, text, Int32(length), csqlite_transient())
            }
        }
    }

    /// Binds a blob or `NULL` to parameter `index` (0-based).
    public func bind(_ value: [UInt8]?, at index: Int32) {
        guard let value else {
            sqlite3_bind_null(handle, index + 1)
            return
        }
        value.withUnsafeBytes { buffer in
            _ = sqlite3_bind_blob(handle, index + 1, buffer.baseAddress, Int32(buffer.count), csqlite_transient())
        }
    }

    /// Binds the 16 bytes of `key` as a blob, as ``EventKeyCoding`` stores them, to parameter
    /// `index` (0-based).
    public func bind(_ key: EventKey, at index: Int32) {
        EventKeyCoding.withBytes(key) { buffer in
            _ = sqlite3_bind_blob(handle, index + 1, buffer.baseAddress, Int32(buffer.count), csqlite_transient())
        }
    }

    /// Advances to the next row; `false` when the statement is done.
    /// - Throws: ``StoreError`` with the SQLite code; `busy` and `full` are transient.
    @discardableResult
    public func step() throws(StoreError) -> Bool {
        let result = sqlite3_step(handle)
        switch result {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let message = database.lastErrorMessage
            sqlite3_reset(handle)
            throw StoreError(
                code: StoreError.classify(result, fallback: .stepFailed), sqliteCode: result, message: message,
                sql: sql)
        }
    }

    /// Runs the statement to completion.
    public func run() throws(StoreError) {
        while try step() {}
    }

    /// Whether column `index` is `NULL`.
    public func isNull(_ index: Int32) -> Bool {
        sqlite3_column_type(handle, index) == SQLITE_NULL
    }

    /// Column `index` as an integer (0 for `NULL`).
    public func int64(_ index: Int32) -> Int64 {
        sqlite3_column_int64(handle, index)
    }

    /// Column `index` as an integer, `nil` for `NULL`.
    public func optionalInt64(_ index: Int32) -> Int64? {
        isNull(index) ? nil : int64(index)
    }

    /// Column `index` as a double, `nil` for `NULL`.
    public func optionalDouble(_ index: Int32) -> Double? {
        isNull(index) ? nil : sqlite3_column_double(handle, index)
    }

    /// Column `index` as text, `nil` for `NULL`.
    public func text(_ index: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, index) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Calls `body` with the bytes of text column `index`, `nil` for `NULL`.
    ///
    /// The buffer belongs to SQLite and is valid only until the next step, reset or column read of
    /// this statement, so `body` must not let it escape.
    func withTextBytes<Result>(_ index: Int32, _ body: (UnsafeBufferPointer<UInt8>?) -> Result) -> Result {
        guard let pointer = sqlite3_column_text(handle, index) else { return body(nil) }
        let count = Int(sqlite3_column_bytes(handle, index))
        return body(UnsafeBufferPointer(start: pointer, count: count))
    }

    /// Column `index` as bytes, `nil` for `NULL`.
    public func blob(_ index: Int32) -> [UInt8]? {
        guard !isNull(index) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, index))
        guard count > 0, let pointer = sqlite3_column_blob(handle, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
