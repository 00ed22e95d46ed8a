/// A failure of `tokenledgerd pull`: talking to the proxy, reading the management key or writing
/// the spool. Messages name the proxy address and the fix; they never contain the management
/// key or a record.
public struct PullError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure. ``isRetryable`` decides whether the loop backs off and tries again.
    public enum Code: String, Sendable {
        /// The `--from` address is not a plain `http://` address of this host.
        case invalidAddress = "invalid_address"
        /// The management key file is missing, unreadable or empty.
        case keyUnavailable = "key_unavailable"
        /// The proxy rejected the management key: HTTP 401 or 403, or a RESP `AUTH` error.
        case unauthorized
        /// The usage queue endpoint does not exist: HTTP 404, from a proxy that is too old or
        /// runs without a management key.
        case endpointNotFound = "endpoint_not_found"
        /// Nothing listens on the proxy's port: `ECONNREFUSED`.
        case connectionRefused = "connection_refused"
        /// The proxy did not respond within the timeout.
        case timedOut = "timed_out"
        /// The connection closed or failed while a request was in flight.
        case connectionLost = "connection_lost"
        /// The proxy sent a response this client cannot parse.
        case protocolViolation = "protocol_violation"
        /// The port responded to a RESP command with HTTP, because the proxy predates its RESP
        /// interface.
        case respUnsupported = "resp_unsupported"
        /// The proxy answered with an unexpected HTTP status or RESP error.
        case proxyError = "proxy_error"
        /// Writing the spool failed.
        case spoolWriteFailed = "spool_write_failed"
        /// `SIGTERM` or `SIGINT` arrived while waiting for the proxy.
        case interrupted
    }

    /// The kind of failure.
    public var code: Code
    /// The message: the failure, the value concerned, and the fix.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether trying again later can succeed without an operator's change. A wrong key is
    /// retried too, but slowly, because a key file can be fixed without restarting the shipper.
    public var isRetryable: Bool {
        switch code {
        case .invalidAddress, .keyUnavailable, .spoolWriteFailed, .interrupted: return false
        default: return true
        }
    }

    public var description: String { message }
}
