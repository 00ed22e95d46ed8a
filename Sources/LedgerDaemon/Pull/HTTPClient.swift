/// A response of the proxy's HTTP interface.
struct HTTPResponse {
    /// The status code, such as 200.
    var status: Int
    /// The header fields in order, names lowercased.
    var headers: [(name: String, value: String)]
    /// The body, with any chunked transfer coding removed.
    var body: [UInt8]

    /// Returns the value of the first header named `name` (lowercase).
    func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value
    }
}

/// A minimal HTTP/1.1 client for the proxy's management API: one `GET` per connection.
///
/// It sends `Connection: close`, and reads bodies delimited by `Content-Length`, by chunked
/// transfer coding or by the end of the connection. The management key goes only into the
/// `Authorization` header, never into a message.
struct HTTPClient {
    /// The proxy.
    var address: ProxyAddress
    /// The time allowed to connect and, separately, for each read or write.
    var timeoutMilliseconds: Int32
    /// The largest body accepted, in bytes.
    var maximumBodyLength = 256 << 20

    /// Sends `GET <basePath><path>` with `Authorization: Bearer <key>` and returns the response.
    /// - Throws: ``PullError`` for connection failures, timeouts and malformed responses.
    func get(_ path: String, key: ManagementKey) throws(PullError) -> HTTPResponse {
        let connection = try TCPConnection(connectingTo: address, timeoutMilliseconds: timeoutMilliseconds)
        var request = Array("GET \(address.basePath)\(path) HTTP/1.1\r\nHost: \(address.hostHeader)\r\n".utf8)
        request += Array("Authorization: Bearer ".utf8) + key.bytes + [0x0D, 0x0A]
        request += Array(
            "Accept: application/json\r\nUser-Agent: tokenledgerd/\(Commands.version)\r\nConnection: close\r\n\r\n".utf8
        )
        try connection.write(request, timeoutMilliseconds: timeoutMilliseconds)
        return try readResponse(from: connection)
    }

    private func readResponse(from connection: TCPConnection) throws(PullError) -> HTTPResponse {
        let statusLine = String(
            decoding: try connection.readLine(timeoutMilliseconds: timeoutMilliseconds), as: UTF8.self)
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (100...599).contains(status)
        else {
            throw PullError(
                .protocolViolation,
                "\(address) did not answer with HTTP (status line '\(String(statusLine.prefix(40)))'); check that "
                    + "--from names the proxy's port")
        }
        var headers: [(name: String, value: String)] = []
        while true {
            let line = try connection.readLine(timeoutMilliseconds: timeoutMilliseconds)
            if line.isEmpty {
                break
            }
            guard headers.count < 200, let colon = line.firstIndex(of: 0x3A) else {
                throw PullError(.protocolViolation, "\(address) sent a malformed or too long HTTP header block")
            }
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingSpaces()
            headers.append((name, value))
        }
        var response = HTTPResponse(status: status, headers: headers, body: [])
        if response.header("transfer-encoding")?.lowercased().contains("chunked") == true {
            response.body = try readChunkedBody(from: connection)
        } else if let lengthText = response.header("content-length") {
            guard let length = Int(lengthText), length >= 0, length <= maximumBodyLength else {
                throw PullError(
                    .protocolViolation, "\(address) sent an invalid or too large Content-Length '\(lengthText)'")
            }
            response.body = try connection.readExactly(length, timeoutMilliseconds: timeoutMilliseconds)
        } else {
            response.body = try connection.readToEnd(
                maximumLength: maximumBodyLength, timeoutMilliseconds: timeoutMilliseconds)
        }
        return response
    }

    private func readChunkedBody(from connection: TCPConnection) throws(PullError) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeLine = String(
                decoding: try connection.readLine(timeoutMilliseconds: timeoutMilliseconds), as: UTF8.self)
            let sizeText = sizeLine.split(separator: ";", maxSplits: 1).first.map(String.init)?.trimmingSpaces() ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0, body.count + size <= maximumBodyLength else {
                throw PullError(
                    .protocolViolation, "\(address) sent an invalid chunk size '\(String(sizeLine.prefix(20)))'")
            }
            if size == 0 {
                // Trailer fields, if any, end with an empty line.
                while !(try connection.readLine(timeoutMilliseconds: timeoutMilliseconds)).isEmpty {}
                return body
            }
            body += try connection.readExactly(size, timeoutMilliseconds: timeoutMilliseconds)
            guard try connection.readLine(timeoutMilliseconds: timeoutMilliseconds).isEmpty else {
                throw PullError(.protocolViolation, "\(address) sent a chunk without its closing CRLF")
            }
        }
    }
}

extension String {
    /// Returns the string without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return String(self[start...end])
    }
}
