import CSQLite
import Glibc
import LedgerCore

/// A prepared SQLite statement. Parameter and column indexes start at 0 for binding too.
public final class Statement {
    private let database: Database
    private let handle: OpaquePointer
    /// The statement's SQL, for error messages.
    public let sql: String
    /// The bytes of the parameters bound by ``bindRowText(_:at:)`` and ``bindRowKey(_:at:)``.
    private let rowBytes = RowBytes()
    /// One bit for each of the parameters 0 to 63 that is bound to `NULL`. A prepared statement
    /// starts with every parameter `NULL`, and ``reset()`` makes them `NULL` again. A bit may be
    /// clear for a `NULL` parameter, but never set for one with a value.
    private var nullParameters: UInt64 = .max
    /// One bit for each of the parameters 0 to 63 that is bound to a static text, whose start and
    /// length `staticTexts` keeps at the parameter's index.
    private var staticParameters: UInt64 = 0
    /// The start and length of the static text bound to each parameter whose bit is set in
    /// `staticParameters`. The statement allocates the 64 entries and frees them in `deinit`.
    private let staticTexts = UnsafeMutablePointer<(start: UnsafeRawPointer?, count: Int)>.allocate(capacity: 64)

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
        staticTexts.initialize(repeating: (nil, 0), count: 64)
    }

    deinit {
        sqlite3_finalize(handle)
        rowBytes.deallocate()
        staticTexts.deallocate()
    }

    /// Clears bindings and rewinds the statement.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        nullParameters = .max
        staticParameters = 0
    }

    /// Rewinds the statement and keeps its bindings, for a caller that binds every parameter
    /// again before the next step.
    public func rewind() {
        sqlite3_reset(handle)
    }

    /// Binds an integer or `NULL` to parameter `index` (0-based).
    @inline(__always)
    public func bind(_ value: Int64?, at index: Int32) {
        if let value {
            sqlite3_bind_int64(handle, index + 1, value)
            markBound(index)
        } else {
            bindNull(at: index)
        }
    }

    /// Binds an integer or `NULL` to parameter `index` (0-based).
    @inline(__always)
    public func bind(_ value: Int?, at index: Int32) {
        bind(value.map(Int64.init), at: index)
    }

    /// Binds a double or `NULL` to parameter `index` (0-based).
    public func bind(_ value: Double?, at index: Int32) {
        if let value {
            sqlite3_bind_double(handle, index + 1, value)
            markBound(index)
        } else {
            bindNull(at: index)
        }
    }

    /// Binds text or `NULL` to parameter `index` (0-based).
    ///
    /// The text is passed as its UTF-8 bytes and length, which SQLite copies. Passing the `String`
    /// as a C string instead would make Swift copy a small string into a new array first. The
    /// text ends at its first NUL character, as it did when it was passed as a C string.
    public func bind(_ value: String?, at index: Int32) {
        guard var value else {
            bindNull(at: index)
            return
        }
        markBound(index)
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
            bindNull(at: index)
            return
        }
        markBound(index)
        value.withUnsafeBytes { buffer in
            _ = sqlite3_bind_blob(handle, index + 1, buffer.baseAddress, Int32(buffer.count), csqlite_transient())
        }
    }

    /// Binds the 16 bytes of `key` as a blob, as ``EventKeyCoding`` stores them, to parameter
    /// `index` (0-based).
    public func bind(_ key: EventKey, at index: Int32) {
        markBound(index)
        EventKeyCoding.withBytes(key) { buffer in
            _ = sqlite3_bind_blob(handle, index + 1, buffer.baseAddress, Int32(buffer.count), csqlite_transient())
        }
    }

    /// Starts binding the parameters of one row with ``bindRowText(_:at:)`` and
    /// ``bindRowKey(_:at:)``, whose bytes the statement keeps until the next call.
    ///
    /// Call it before binding the first parameter of each row. The parameters that those methods
    /// bound for an earlier row then point at reused memory, so they must be bound again before
    /// the next step.
    public func beginRow() {
        rowBytes.clear()
    }

    /// Binds text or `NULL` to parameter `index` (0-based), as `bind(_:at:)` binds text, but
    /// from a copy that the statement keeps until the next ``beginRow()``.
    ///
    /// SQLite reads that copy in place (`SQLITE_STATIC`) instead of allocating a copy of its own
    /// for every value.
    @inline(__always)
    public func bindRowText(_ value: String?, at index: Int32) {
        guard let value else {
            bindNull(at: index)
            return
        }
        // A native string, small or not, gives its bytes in place. Any other string is copied.
        let isBound: Void? = value.utf8.withContiguousStorageIfAvailable { bindRowText(bytes: $0, at: index) }
        if isBound == nil {
            Array(value.utf8).withUnsafeBufferPointer { bindRowText(bytes: $0, at: index) }
        }
    }

    private func bindRowText(bytes: UnsafeBufferPointer<UInt8>, at index: Int32) {
        // The text ends at its first NUL character, as with bind(_:at:).
        var length = bytes.count
        if let base = bytes.baseAddress, let nul = memchr(base, 0, length) {
            length = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(nul))
        }
        markBound(index)
        let copy = rowBytes.append(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[..<length]))
        _ = sqlite3_bind_text(handle, index + 1, copy.assumingMemoryBound(to: CChar.self), Int32(length), nil)
    }

    /// Binds `text`, which must contain no NUL character, to parameter `index` (0-based), as
    /// `bind(_:at:)` binds text, but in place and without a copy, because a static string's bytes
    /// never move or go away.
    ///
    /// A parameter keeps its value through ``rewind()``, so binding the text that the parameter
    /// is bound to already skips the SQLite call.
    public func bindStaticText(_ text: StaticString, at index: Int32) {
        precondition(text.hasPointerRepresentation, "a static text bound in place must be a string literal")
        let start = UnsafeRawPointer(text.utf8Start)
        let bit = Self.parameterBit(index)
        if staticParameters & bit != 0, staticTexts[Int(index)] == (start, text.utf8CodeUnitCount) {
            return
        }
        markBound(index)
        _ = sqlite3_bind_text(
            handle, index + 1, start.assumingMemoryBound(to: CChar.self), Int32(text.utf8CodeUnitCount), nil)
        if bit != 0 {
            staticParameters |= bit
            staticTexts[Int(index)] = (start, text.utf8CodeUnitCount)
        }
    }

    /// Binds the 16 bytes of `key`, as `bind(_:at:)` binds a key, from a copy that the statement
    /// keeps until the next ``beginRow()``.
    public func bindRowKey(_ key: EventKey, at index: Int32) {
        markBound(index)
        EventKeyCoding.withBytes(key) { buffer in
            _ = sqlite3_bind_blob(handle, index + 1, rowBytes.append(buffer), Int32(buffer.count), nil)
        }
    }

    /// Binds `NULL` to parameter `index` (0-based) unless it is bound to `NULL` already. A
    /// parameter keeps its value through ``rewind()``, so a row that binds `NULL` where the
    /// row before it did skips the SQLite call.
    @inline(__always)
    private func bindNull(at index: Int32) {
        let bit = Self.parameterBit(index)
        if nullParameters & bit != 0 {
            return
        }
        sqlite3_bind_null(handle, index + 1)
        nullParameters |= bit
        staticParameters &= ~bit
    }

    /// Records that parameter `index` (0-based) is bound to a value other than a static text,
    /// which ``bindStaticText(_:at:)`` records after this call.
    @inline(__always)
    private func markBound(_ index: Int32) {
        let bit = Self.parameterBit(index)
        nullParameters &= ~bit
        staticParameters &= ~bit
    }

    /// Returns the bit of parameter `index` in `nullParameters` and `staticParameters`, or 0 for
    /// a parameter past 63, which is always bound.
    @inline(__always)
    private static func parameterBit(_ index: Int32) -> UInt64 {
        index >= 0 && index < 64 ? 1 << UInt64(index) : 0
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

    /// Column `index` of the current row, for a reader that reads more than one property of it.
    ///
    /// Each `sqlite3_column_*` call takes the connection's mutex and looks the column up, so a
    /// text column read with ``withTextBytes(_:_:)``, or an integer checked with ``isNull(_:)``
    /// first, pays that twice. ``ColumnValue`` reads the value that `sqlite3_column_value`
    /// returns without the mutex, which is safe while one thread uses the connection, as every
    /// ``Statement`` of it already assumes.
    func column(_ index: Int32) -> ColumnValue {
        ColumnValue(value: sqlite3_column_value(handle, index))
    }

    /// Column `index` as bytes, `nil` for `NULL`.
    public func blob(_ index: Int32) -> [UInt8]? {
        guard !isNull(index) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, index))
        guard count > 0, let pointer = sqlite3_column_blob(handle, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

/// One column of a statement's current row (see ``Statement/column(_:)``), valid until the
/// statement steps, resets or is finalized.
struct ColumnValue {
    let value: OpaquePointer?

    /// Whether the column is `NULL`.
    var isNull: Bool {
        sqlite3_value_type(value) == SQLITE_NULL
    }

    /// The column as an integer (0 for `NULL`).
    var int64: Int64 {
        sqlite3_value_int64(value)
    }

    /// The column as an integer, `nil` for `NULL`.
    var optionalInt64: Int64? {
        isNull ? nil : int64
    }

    /// Calls `body` with the column's text bytes, `nil` for `NULL`, as
    /// ``Statement/withTextBytes(_:_:)`` does.
    func withTextBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>?) -> Result) -> Result {
        guard let pointer = sqlite3_value_text(value) else { return body(nil) }
        let count = Int(sqlite3_value_bytes(value))
        return body(UnsafeBufferPointer(start: pointer, count: count))
    }
}

/// The memory that keeps the bytes of one row's parameters while SQLite reads them in place.
///
/// Bytes never move once appended, so every pointer handed out stays valid until ``clear()``.
/// A value that does not fit goes to a new block, and the next ``clear()`` replaces the blocks
/// with one block large enough for the whole row. It is a class, so that a statement changes it
/// without the run-time exclusivity checks of a mutable stored property.
private final class RowBytes {
    private var block: UnsafeMutableRawPointer?
    private var capacity = 0
    private var used = 0
    /// Full blocks of the current row, freed by the next ``clear()``.
    private var retired: [UnsafeMutableRawPointer] = []
    /// Whether `retired` is not empty. ``clear()`` reads this flag, because a read of `retired`
    /// made the compiler check exclusive access at run time on every row.
    private var hasRetired = false
    /// The bytes that the current row needed, for sizing the block after ``clear()``.
    private var needed = 0

    /// Copies `bytes` and returns where the copy sits; never a null pointer, even for no bytes.
    @inline(__always)
    func append(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawPointer {
        needed += bytes.count
        if block == nil || used + bytes.count > capacity {
            if let block {
                retired.append(block)
                hasRetired = true
            }
            capacity = max(4096, 2 * bytes.count)
            block = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
            used = 0
        }
        let target = block! + used
        if let base = bytes.baseAddress, !bytes.isEmpty {
            target.copyMemory(from: base, byteCount: bytes.count)
        }
        used += bytes.count
        return UnsafeRawPointer(target)
    }

    /// Forgets the current row's bytes.
    func clear() {
        if hasRetired {
            hasRetired = false
            for old in retired {
                old.deallocate()
            }
            retired.removeAll()
            block?.deallocate()
            capacity = max(4096, 2 * needed)
            block = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        }
        used = 0
        needed = 0
    }

    /// Frees the memory; the value must not be used afterwards.
    func deallocate() {
        for old in retired {
            old.deallocate()
        }
        block?.deallocate()
    }
}
