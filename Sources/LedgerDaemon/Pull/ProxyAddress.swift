/// The proxy's address from `--from`: a plain `http://` URL of this host.
///
/// Only loopback hosts are accepted (`127.0.0.0/8`, `::1`, `localhost`), because the management
/// key travels in clear text over `http://` and over RESP. A proxy on another machine is reached
/// by running the shipper on that machine.
public struct ProxyAddress: Sendable, Equatable, CustomStringConvertible {
    /// The host as written, without brackets: `127.0.0.1`, `::1` or `localhost`.
    public var host: String
    /// The TCP port; 80 when the URL names none.
    public var port: UInt16
    /// The path prefix before `/v0/management/…`, without a trailing `/`; empty for the root.
    public var basePath: String

    /// Parses `text`, such as `http://127.0.0.1:8317`.
    /// - Throws: ``PullError`` with code `invalidAddress` for `https://`, another scheme, a
    ///   host that is not a loopback address, user information, a query or an invalid port.
    public init(parsing text: String) throws(PullError) {
        if text.lowercased().hasPrefix("https://") {
            throw PullError(
                .invalidAddress,
                "'\(text)' uses https, which tokenledgerd pull does not speak; point --from at the proxy's plain "
                    + "http port on this host, or put a local TLS terminator such as stunnel in front of a remote "
                    + "proxy and point --from at its loopback port")
        }
        guard text.lowercased().hasPrefix("http://") else {
            throw PullError(
                .invalidAddress,
                "'\(text)' is not an http:// URL; give the proxy's address, such as http://127.0.0.1:8317")
        }
        var rest = Substring(text.dropFirst("http://".count))
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        }
        guard !path.contains("?"), !path.contains("#") else {
            throw PullError(.invalidAddress, "'\(text)' has a query or fragment; give only scheme, host, port and path")
        }
        while path.hasSuffix("/") {
            path.removeLast()
        }
        guard !rest.contains("@") else {
            throw PullError(
                .invalidAddress,
                "'\(text)' contains user information; remove it and give the management key in a file instead")
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                throw PullError(.invalidAddress, "'\(text)' has an IPv6 address without a closing ']'")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else if !after.isEmpty {
                throw PullError(.invalidAddress, "'\(text)' has characters after the IPv6 address")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        var port: UInt16 = 80
        if let portText {
            guard let value = UInt16(portText), value > 0 else {
                throw PullError(.invalidAddress, "'\(text)' has an invalid port; give a number from 1 to 65535")
            }
            port = value
        }
        let lowered = host.lowercased()
        guard Self.isLoopback(lowered) else {
            throw PullError(
                .invalidAddress,
                "'\(text)' is not a loopback address; the management key would cross the network in clear text, so "
                    + "run tokenledgerd pull on the proxy's host and use http://127.0.0.1:<port>")
        }
        self.host = lowered
        self.port = port
        self.basePath = path
    }

    /// The URL without a trailing `/`, for messages and gap markers; it contains no secret.
    public var description: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        return "http://\(hostText):\(port)\(basePath)"
    }

    /// The value of the HTTP `Host` header.
    var hostHeader: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? hostText : "\(hostText):\(port)"
    }

    private static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" {
            return true
        }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isNumber) && (Int(part) ?? 256) <= 255
        }
    }
}
