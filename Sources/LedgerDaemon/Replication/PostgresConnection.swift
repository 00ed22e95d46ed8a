import CLibpq
import Glibc

/// One libpq connection to the central ledger.
///
/// Not thread-safe: a connection belongs to the thread that opened it. Every statement that runs
/// more than once is prepared once per connection; parameters travel in text format.
final class PostgresConnection {
    private let handle: OpaquePointer
    private var preparedNames: Set<String> = []

    /// Connects with `target`'s connection string, then sets `statement_timeout`.
    /// - Parameters:
    ///   - connectTimeout: seconds libpq waits for each connection attempt (libpq rounds down to
    ///     whole seconds, at least 2).
    ///   - statementTimeout: seconds the server lets one statement run.
    /// - Throws: ``PostgresError`` with code `connectionFailed`.
    init(target: ConnectionTarget, connectTimeout: Double, statementTimeout: Double) throws(PostgresError) {
        // expand_dbname = 1 parses the first `dbname` as a whole connection string (key/value or
        // URL, TLS parameters included); the later keywords override the same keys in it.
        let keywords = ["dbname", "connect_timeout", "application_name"]
        let values = [target.connectionString, String(max(2, Int(connectTimeout))), "tokenledgerd"]
        let connection = Self.withCStrings(keywords) { keywordPointers in
            Self.withCStrings(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else {
            throw PostgresError(.connectionFailed, "cannot connect to \(target.identifier): out of memory")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.trimmed(String(cString: PQerrorMessage(connection)))
            PQfinish(connection)
            throw PostgresError(.connectionFailed, "cannot connect to \(target.identifier): \(message)")
        }
        // Server notices (such as "relation already exists, skipping") would go to stderr unlogged.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        handle = connection
        try execute("SET statement_timeout = \(Int64(statementTimeout * 1000))")
    }

    deinit {
        PQfinish(handle)
    }

    /// Runs SQL that binds no values; several statements may be separated by semicolons.
    /// - Throws: ``PostgresError``.
    func execute(_ sql: String) throws(PostgresError) {
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result, expected: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
    }

    /// Runs a query that binds no values and returns its rows as text; `nil` marks SQL NULL.
    /// - Throws: ``PostgresError``.
    func query(_ sql: String) throws(PostgresError) -> [[String?]] {
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result, expected: [PGRES_TUPLES_OK])
        return Self.rows(of: result)
    }

    /// Prepares `sql` under `name` unless this connection already did, then runs it with
    /// `parameters` in text format and returns the rows.
    /// - Throws: ``PostgresError``; the message names the statement, never the values.
    @discardableResult
    func executePrepared(name: String, sql: String, parameters: [String?]) throws(PostgresError) -> [[String?]] {
        if !preparedNames.contains(name) {
            let prepared = PQprepare(handle, name, sql, Int32(parameters.count), nil)
            defer { PQclear(prepared) }
            try check(prepared, expected: [PGRES_COMMAND_OK], statement: name)
            preparedNames.insert(name)
        }
        var cStrings: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.flatMap { strdup($0) } }
        defer {
            for pointer in cStrings { free(pointer) }
        }
        let result = cStrings.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { values in
                PQexecPrepared(handle, name, Int32(parameters.count), values.baseAddress, nil, nil, 0)
            }
        }
        defer { PQclear(result) }
        try check(result, expected: [PGRES_COMMAND_OK, PGRES_TUPLES_OK], statement: name)
        return Self.rows(of: result)
    }

    /// Sends a query in libpq's single-row mode and calls `body` with each row as it arrives, so
    /// memory does not grow with the result.
    /// - Throws: ``PostgresError``, or what `body` throws after the rest of the result is drained.
    func forEachRow(_ sql: String, _ body: ([String?]) throws -> Void) throws {
        guard PQsendQuery(handle, sql) == 1 else {
            throw PostgresError(.connectionFailed, Self.trimmed(String(cString: PQerrorMessage(handle))))
        }
        PQsetSingleRowMode(handle)
        var failure: Error?
        while let result = PQgetResult(handle) {
            defer { PQclear(result) }
            let status = PQresultStatus(result)
            if status == PGRES_SINGLE_TUPLE, failure == nil {
                do {
                    for row in Self.rows(of: result) { try body(row) }
                } catch {
                    failure = error
                }
            } else if status != PGRES_SINGLE_TUPLE && status != PGRES_TUPLES_OK && failure == nil {
                do {
                    try check(result, expected: [PGRES_TUPLES_OK])
                } catch {
                    failure = error
                }
            }
        }
        if let failure { throw failure }
    }

    private func check(_ result: OpaquePointer?, expected: [ExecStatusType], statement: String? = nil)
        throws(PostgresError)
    {
        guard let result else {
            throw PostgresError(.connectionFailed, Self.trimmed(String(cString: PQerrorMessage(handle))))
        }
        let status = PQresultStatus(result)
        guard !expected.contains(status) else { return }
        let sqlState = PQresultErrorField(result, clibpq_diag_sqlstate()).map { String(cString: $0) }
        var message = Self.trimmed(String(cString: PQresultErrorMessage(result)))
        if let statement {
            message = "statement \(statement) failed: " + message
        }
        let isBroken = PQstatus(handle) != CONNECTION_OK
        throw PostgresError(isBroken ? .connectionFailed : .statementFailed, message, sqlState: sqlState)
    }

    private static func rows(of result: OpaquePointer?) -> [[String?]] {
        guard let result else { return [] }
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                values.append(
                    PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column)))
            }
            rows.append(values)
        }
        return rows
    }

    private static func trimmed(_ text: String) -> String {
        var text = text
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text.replacingNewlines()
    }

    private static func withCStrings<Result>(
        _ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> Result
    ) -> Result {
        let copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
        defer {
            for pointer in copies { free(pointer) }
        }
        return copies.map { UnsafePointer($0) }.withUnsafeBufferPointer { buffer in
            body(buffer.baseAddress!)
        }
    }
}

extension String {
    /// The text with each line break replaced by a space, so a multi-line server message stays
    /// on one log line.
    fileprivate func replacingNewlines() -> String {
        String(map { $0 == "\n" ? " " : $0 })
    }
}
