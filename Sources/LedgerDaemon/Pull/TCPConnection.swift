import Glibc
import Synchronization

/// The stop request of `tokenledgerd pull`, set by its `SIGTERM` and `SIGINT` handlers.
enum PullSignals {
    /// `true` once a stop was requested; every wait of the shipper checks it.
    static let stopRequested = Atomic<Bool>(false)
}

/// A blocking TCP connection to the proxy with per-call timeouts and a read buffer.
///
/// Every wait is a `poll` on the socket and on ``WakePipe``, so `SIGTERM` ends a wait at once
/// with ``PullError/Code/interrupted``.
final class TCPConnection {
    /// The socket.
    let descriptor: Int32
    /// The address, for messages.
    let address: ProxyAddress
    private var buffer: [UInt8] = []
    private var position = 0
    private var isAtEnd = false

    /// Connects to `address` within `timeoutMilliseconds`.
    /// - Throws: ``PullError`` with code `connectionRefused`, `timedOut`, `connectionLost` or
    ///   `interrupted`.
    init(connectingTo address: ProxyAddress, timeoutMilliseconds: Int32) throws(PullError) {
        self.address = address
        let isIPv6 = address.host.contains(":")
        let family = isIPv6 ? AF_INET6 : AF_INET
        let socketType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let descriptor = socket(family, socketType, 0)
        guard descriptor >= 0 else {
            throw PullError(.connectionLost, "cannot create a socket: \(SystemError(call: "socket"))")
        }
        self.descriptor = descriptor
        var noDelay: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))

        let result: Int32
        if isIPv6 {
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = address.port.bigEndian
            inet_pton(AF_INET6, address.host, &socketAddress.sin6_addr)
            result = withUnsafePointer(to: &socketAddress) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = address.port.bigEndian
            let host = address.host == "localhost" ? "127.0.0.1" : address.host
            inet_pton(AF_INET, host, &socketAddress.sin_addr)
            result = withUnsafePointer(to: &socketAddress) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if result != 0 {
            let connectError = errno
            guard connectError == EINPROGRESS || connectError == EINTR else {
                close(descriptor)
                throw Self.connectFailure(connectError, address: address)
            }
            do {
                try Self.wait(for: descriptor, events: Int16(POLLOUT), timeoutMilliseconds: timeoutMilliseconds)
            } catch {
                close(descriptor)
                if error.code == .timedOut {
                    throw PullError(
                        .timedOut,
                        "connecting to \(address) timed out after \(timeoutMilliseconds) ms; check that the proxy is "
                            + "running and not overloaded")
                }
                throw error
            }
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &socketError, &length)
            if socketError != 0 {
                close(descriptor)
                throw Self.connectFailure(socketError, address: address)
            }
        }
    }

    deinit {
        close(descriptor)
    }

    /// Writes all of `bytes` within `timeoutMilliseconds` per wait.
    /// - Throws: ``PullError`` with code `connectionLost`, `timedOut` or `interrupted`.
    func write(_ bytes: [UInt8], timeoutMilliseconds: Int32) throws(PullError) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                send(descriptor, raw.baseAddress! + written, raw.count - written, Int32(MSG_NOSIGNAL))
            }
            if count >= 0 {
                written += count
                continue
            }
            let sendError = errno
            if sendError == EINTR {
                continue
            }
            guard sendError == EAGAIN || sendError == EWOULDBLOCK else {
                throw PullError(
                    .connectionLost,
                    "sending to \(address) failed: \(SystemError(call: "send", errno: sendError).description)")
            }
            try Self.wait(for: descriptor, events: Int16(POLLOUT), timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    /// Returns the next line without its CRLF (or LF).
    /// - Throws: ``PullError`` with code `connectionLost` when the connection closes first,
    ///   `protocolViolation` for a line longer than `maximumLength` bytes, `timedOut` or
    ///   `interrupted`.
    func readLine(maximumLength: Int = 64 << 10, timeoutMilliseconds: Int32) throws(PullError) -> [UInt8] {
        var searchFrom = position
        while true {
            if let newline = buffer[searchFrom...].firstIndex(of: 0x0A) {
                var end = newline
                if end > position, buffer[end - 1] == 0x0D {
                    end -= 1
                }
                let line = Array(buffer[position..<end])
                position = newline + 1
                return line
            }
            guard buffer.count - position <= maximumLength else {
                throw PullError(.protocolViolation, "\(address) sent a line longer than \(maximumLength) bytes")
            }
            // `fill` may move the unread bytes to the start of the buffer.
            let scanned = buffer.count - position
            guard try fill(timeoutMilliseconds: timeoutMilliseconds) else {
                throw PullError(.connectionLost, "\(address) closed the connection in the middle of a reply")
            }
            searchFrom = position + scanned
        }
    }

    /// Returns exactly `count` bytes.
    /// - Throws: ``PullError`` with code `connectionLost`, `timedOut` or `interrupted`.
    func readExactly(_ count: Int, timeoutMilliseconds: Int32) throws(PullError) -> [UInt8] {
        while buffer.count - position < count {
            guard try fill(timeoutMilliseconds: timeoutMilliseconds) else {
                throw PullError(.connectionLost, "\(address) closed the connection in the middle of a reply")
            }
        }
        let bytes = Array(buffer[position..<(position + count)])
        position += count
        return bytes
    }

    /// Returns every byte until the peer closes the connection, at most `maximumLength`.
    /// - Throws: ``PullError`` with code `protocolViolation` past the limit, `timedOut` or
    ///   `interrupted`.
    func readToEnd(maximumLength: Int, timeoutMilliseconds: Int32) throws(PullError) -> [UInt8] {
        while try fill(timeoutMilliseconds: timeoutMilliseconds) {
            guard buffer.count - position <= maximumLength else {
                throw PullError(.protocolViolation, "\(address) sent a body larger than \(maximumLength) bytes")
            }
        }
        let bytes = Array(buffer[position...])
        position = buffer.count
        return bytes
    }

    /// Whether buffered bytes wait to be read.
    var hasBufferedBytes: Bool { position < buffer.count }

    /// Waits until the socket is readable or `timeoutMilliseconds` pass; returns whether it is.
    /// - Throws: ``PullError`` with code `interrupted` when a stop is requested.
    func waitUntilReadable(timeoutMilliseconds: Int32) throws(PullError) -> Bool {
        if hasBufferedBytes {
            return true
        }
        do {
            try Self.wait(for: descriptor, events: Int16(POLLIN), timeoutMilliseconds: timeoutMilliseconds)
            return true
        } catch  where error.code == .timedOut {
            return false
        }
    }

    /// Reads more bytes into the buffer; returns `false` at end of stream.
    private func fill(timeoutMilliseconds: Int32) throws(PullError) -> Bool {
        if isAtEnd {
            return false
        }
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        } else if position > 1 << 20 {
            buffer.removeFirst(position)
            position = 0
        }
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { raw in recv(descriptor, raw.baseAddress, raw.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
                return true
            }
            if count == 0 {
                isAtEnd = true
                return false
            }
            let receiveError = errno
            if receiveError == EINTR {
                continue
            }
            guard receiveError == EAGAIN || receiveError == EWOULDBLOCK else {
                throw PullError(
                    .connectionLost,
                    "reading from \(address) failed: \(SystemError(call: "recv", errno: receiveError).description)")
            }
            do {
                try Self.wait(for: descriptor, events: Int16(POLLIN), timeoutMilliseconds: timeoutMilliseconds)
            } catch  where error.code == .timedOut {
                throw PullError(
                    .timedOut,
                    "\(address) sent nothing for \(timeoutMilliseconds) ms in the middle of a reply; the proxy is slow "
                        + "or stuck")
            }
        }
    }

    /// Polls `descriptor` for `events` together with the wake pipe.
    /// - Throws: ``PullError`` with code `timedOut` or `interrupted`.
    static func wait(for descriptor: Int32, events: Int16, timeoutMilliseconds: Int32) throws(PullError) {
        let deadline = monotonicMilliseconds() + Int64(timeoutMilliseconds)
        while true {
            if PullSignals.stopRequested.load(ordering: .relaxed) {
                throw PullError(.interrupted, "stop requested")
            }
            let remaining = max(0, deadline - monotonicMilliseconds())
            var descriptors = [pollfd(fd: descriptor, events: events, revents: 0)]
            let wakeEnd = WakePipe.readEnd.load(ordering: .relaxed)
            if wakeEnd >= 0 {
                descriptors.append(pollfd(fd: wakeEnd, events: Int16(POLLIN), revents: 0))
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), Int32(clamping: remaining))
            if ready > 0 && descriptors[0].revents != 0 {
                return
            }
            if descriptors.count > 1 && descriptors[1].revents != 0 {
                WakePipe.drain()
                continue
            }
            if remaining == 0 {
                throw PullError(.timedOut, "timed out after \(timeoutMilliseconds) ms")
            }
        }
    }

    /// Sleeps `milliseconds`, waking early only for a stop request.
    /// - Throws: ``PullError`` with code `interrupted` when a stop is requested.
    static func sleep(milliseconds: Int64) throws(PullError) {
        let deadline = monotonicMilliseconds() + milliseconds
        while true {
            if PullSignals.stopRequested.load(ordering: .relaxed) {
                throw PullError(.interrupted, "stop requested")
            }
            let remaining = deadline - monotonicMilliseconds()
            guard remaining > 0 else { return }
            let wakeEnd = WakePipe.readEnd.load(ordering: .relaxed)
            if wakeEnd >= 0 {
                var descriptors = [pollfd(fd: wakeEnd, events: Int16(POLLIN), revents: 0)]
                if poll(&descriptors, 1, Int32(clamping: remaining)) > 0 {
                    WakePipe.drain()
                }
            } else {
                usleep(useconds_t(clamping: min(remaining, 100) * 1000))
            }
        }
    }

    private static func connectFailure(_ code: Int32, address: ProxyAddress) -> PullError {
        if code == ECONNREFUSED {
            return PullError(
                .connectionRefused,
                "nothing listens at \(address) (connection refused); start the proxy or correct --from")
        }
        return PullError(
            .connectionLost,
            "connecting to \(address) failed: \(SystemError(call: "connect", errno: code).description)")
    }
}

/// `CLOCK_MONOTONIC` in milliseconds.
func monotonicMilliseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
}
