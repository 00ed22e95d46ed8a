/// A failure talking to the central PostgreSQL ledger.
///
/// Messages carry libpq's or the server's message and SQLSTATE with every password redacted
/// (see ``ConnectionTarget/redacted(_:)``), never the values bound to a statement.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable {
        /// The connection string is missing, unreadable or invalid.
        case invalidTarget = "invalid_target"
        /// Connecting or authenticating failed, or the connection broke.
        case connectionFailed = "connection_failed"
        /// A statement failed on the server.
        case statementFailed = "statement_failed"
        /// The remote schema is newer than the newest migration of this build.
        case unsupportedSchema = "unsupported_schema"
    }

    /// The kind of failure.
    public var code: Code
    /// The SQLSTATE the server reported, such as `23505`; `nil` when there was none.
    public var sqlState: String?
    /// The failure, with libpq's message and passwords redacted.
    public var message: String

    /// Creates an error; `message` is redacted here, so no caller can leak a password through it.
    init(_ code: Code, _ message: String, sqlState: String? = nil) {
        self.code = code
        self.sqlState = sqlState
        self.message = ConnectionTarget.redacted(message)
    }

    /// Whether a retry after a pause may succeed: connection failures, and the SQLSTATE classes of
    /// connection exceptions (08), insufficient resources (53), operator intervention (57, which
    /// includes a server shutting down) and serialization or deadlock failures (40).
    public var isTransient: Bool {
        if code == .connectionFailed { return true }
        guard let sqlState else { return false }
        return ["08", "53", "57", "40"].contains(String(sqlState.prefix(2)))
    }

    public var description: String {
        "PostgreSQL \(code.rawValue)" + (sqlState.map { " (SQLSTATE \($0))" } ?? "") + ": " + message
    }
}
