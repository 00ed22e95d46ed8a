/// A RESP2 reply.
enum RESPValue: Equatable {
    /// `+text`
    case simple(String)
    /// `-text`
    case error(String)
    /// `:number`
    case integer(Int64)
    /// `$length` and the bytes; `nil` for the null bulk string `$-1`.
    case bulk([UInt8]?)
    /// `*count` and the elements; `nil` for the null array `*-1`.
    case array([RESPValue]?)
}

/// A RESP2 client for the proxy's Redis-compatible interface on its HTTP port.
///
/// CLIProxyAPI distinguishes the protocols by the first byte of a connection, so RESP commands
/// go to the same address as HTTP requests. The key is sent only inside `AUTH`.
final class RESPClient {
    /// The connection.
    let connection: TCPConnection
    /// The time allowed for each read or write.
    let timeoutMilliseconds: Int32
    /// The largest bulk string accepted, in bytes.
    static let maximumBulkLength = 64 << 20
    /// The largest array accepted, in elements.
    static let maximumArrayCount = 1_000_000

    /// Connects to `address`.
    /// - Throws: ``PullError`` from ``TCPConnection/init(connectingTo:timeoutMilliseconds:)``.
    init(address: ProxyAddress, timeoutMilliseconds: Int32) throws(PullError) {
        connection = try TCPConnection(connectingTo: address, timeoutMilliseconds: timeoutMilliseconds)
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// Sends one command as an array of bulk strings.
    func send(_ arguments: [[UInt8]]) throws(PullError) {
        var bytes = Array("*\(arguments.count)\r\n".utf8)
        for argument in arguments {
            bytes += Array("$\(argument.count)\r\n".utf8) + argument + [0x0D, 0x0A]
        }
        try connection.write(bytes, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Sends a command of text arguments.
    func send(_ arguments: String...) throws(PullError) {
        try send(arguments.map { Array($0.utf8) })
    }

    /// Reads one reply.
    /// - Throws: ``PullError`` with code `respUnsupported` when the port responds with HTTP,
    ///   `protocolViolation` for malformed replies, or a connection error.
    func read() throws(PullError) -> RESPValue {
        let line = try connection.readLine(maximumLength: 1 << 20, timeoutMilliseconds: timeoutMilliseconds)
        guard let kind = line.first else {
            throw PullError(.protocolViolation, "\(connection.address) sent an empty RESP line")
        }
        let rest = String(decoding: line.dropFirst(), as: UTF8.self)
        switch kind {
        case UInt8(ascii: "+"):
            return .simple(rest)
        case UInt8(ascii: "-"):
            return .error(rest)
        case UInt8(ascii: ":"):
            guard let number = Int64(rest) else { throw malformed("integer '\(rest.prefix(20))'") }
            return .integer(number)
        case UInt8(ascii: "$"):
            guard let length = Int(rest), length >= -1, length <= Self.maximumBulkLength else {
                throw malformed("bulk length '\(rest.prefix(20))'")
            }
            if length == -1 {
                return .bulk(nil)
            }
            let bytes = try connection.readExactly(length + 2, timeoutMilliseconds: timeoutMilliseconds)
            guard bytes[length] == 0x0D, bytes[length + 1] == 0x0A else { throw malformed("bulk string end") }
            return .bulk(Array(bytes[0..<length]))
        case UInt8(ascii: "*"):
            guard let count = Int(rest), count >= -1, count <= Self.maximumArrayCount else {
                throw malformed("array length '\(rest.prefix(20))'")
            }
            if count == -1 {
                return .array(nil)
            }
            var elements: [RESPValue] = []
            elements.reserveCapacity(count)
            for _ in 0..<count {
                elements.append(try read())
            }
            return .array(elements)
        default:
            if line.starts(with: Array("HTTP/".utf8)) {
                throw PullError(
                    .respUnsupported,
                    "\(connection.address) answered a RESP command with HTTP; this proxy has no RESP interface")
            }
            throw malformed("reply type '\(String(decoding: line.prefix(1), as: UTF8.self))'")
        }
    }

    /// Sends `AUTH <key>` and checks the reply.
    /// - Throws: ``PullError`` with code `unauthorized` when the proxy rejects the key.
    func authenticate(_ key: ManagementKey) throws(PullError) {
        try send([Array("AUTH".utf8), key.bytes])
        let reply: RESPValue
        do {
            reply = try read()
        } catch  where error.code == .connectionLost {
            throw PullError(
                .endpointNotFound,
                "\(connection.address) closed the connection after AUTH; the proxy's management interface is off. "
                    + "Set a management key (remote-management.secret-key) and usage-statistics-enabled: true in "
                    + "the proxy's config.yaml")
        }
        switch reply {
        case .simple("OK"):
            return
        case .error(let message):
            throw PullError(
                .unauthorized,
                "\(connection.address) rejected the management key over RESP (\(Self.clipped(message))); check the "
                    + "key file")
        default:
            throw PullError(.protocolViolation, "\(connection.address) sent an unexpected response to AUTH")
        }
    }

    /// Sends `LPOP usage <count>` and returns the records, oldest first.
    /// - Throws: ``PullError`` with code `proxyError` for a RESP error reply.
    func pop(count: Int) throws(PullError) -> [[UInt8]] {
        try send("LPOP", "usage", String(count))
        switch try read() {
        case .array(let elements):
            var records: [[UInt8]] = []
            for element in elements ?? [] {
                guard case .bulk(let bytes?) = element else { throw malformed("LPOP element") }
                records.append(bytes)
            }
            return records
        case .bulk(nil):
            return []
        case .error(let message):
            throw PullError(.proxyError, "\(connection.address) responded to LPOP with '\(Self.clipped(message))'")
        default:
            throw malformed("LPOP reply")
        }
    }

    /// Limits a proxy message to 200 characters for logs.
    static func clipped(_ message: String) -> String {
        String(message.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(200))
    }

    private func malformed(_ what: String) -> PullError {
        PullError(.protocolViolation, "\(connection.address) sent a malformed RESP \(what)")
    }
}
