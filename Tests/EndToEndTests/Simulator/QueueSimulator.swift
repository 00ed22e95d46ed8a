import Foundation
import Glibc

/// An in-process stand-in for CLIProxyAPI's usage queue, listening on 127.0.0.1 at a random
/// port.
///
/// It follows the proxy's queue (`internal/redisqueue/queue.go`), its HTTP handler
/// (`GET /v0/management/usage-queue`) and its RESP handler on the same port:
/// - records go to every subscriber when at least one is subscribed, else into a FIFO queue;
/// - a subscriber whose 256-message buffer is full is removed and its connection closed after
///   the buffered messages, and the record it missed goes into the queue;
/// - queued records expire after ``retentionSeconds``;
/// - `count` defaults to 1, and a count that is not a positive integer is HTTP 400 or a RESP
///   error; `LPOP` with a count answers an array, without one a bulk string or nil;
/// - each subscription starts with `{"support_refresh":true}`; ``notifyRefresh()`` sends
///   `{"refresh":true}`;
/// - ``restart(downtime:)`` closes every connection, empties the queue and refuses connections
///   for a while.
///
/// It stops by itself ``lifetime`` seconds after it started, so a failed test cannot leave it
/// running.
final class QueueSimulator: @unchecked Sendable {
    // Every mutable field is guarded by `lock`; sockets are used by one thread each.

    /// The management key the simulator accepts.
    let key: String
    /// The port it listens on.
    private(set) var port: UInt16 = 0
    /// Seconds a queued record is kept.
    var retentionSeconds: Double {
        get { lock.withLock { retention } }
        set { lock.withLock { retention = newValue } }
    }
    /// When `false`, the port answers RESP commands the way an HTTP server does, as proxies
    /// without the RESP interface do.
    let speaksRESP: Bool
    /// When `false`, every management route answers 404 and RESP connections close, as a proxy
    /// without a management key does.
    let hasManagement: Bool
    /// The maximum number of seconds the simulator runs.
    let lifetime: Double

    private let lock = NSLock()
    private var retention: Double
    private var listener: Int32 = -1
    private var isStopped = false
    private var isDown = false
    private var queue: [(enqueuedAt: Double, payload: [UInt8])] = []
    private var subscribers: [Int: Subscriber] = [:]
    private var nextConnectionID = 1
    private var openSockets: Set<Int32> = []
    private var log = Log()

    /// What the simulator did, for assertions.
    struct Log {
        /// Every published payload in order.
        var published: [[UInt8]] = []
        /// Payloads removed by retention expiry or a restart, or buffered for a subscriber whose
        /// connection closed: never delivered.
        var dropped: [[UInt8]] = []
        /// Payloads handed to a connection, by connection id.
        var delivered: [Int: [[UInt8]]] = [:]
        /// `AUTH` commands and HTTP requests with a wrong or missing key.
        var rejectedAuthentications = 0
        /// HTTP requests of any kind.
        var httpRequests = 0
        /// RESP connections opened.
        var respConnections = 0
        /// Subscribers removed because they were 256 messages behind.
        var slowSubscribersDropped = 0
        /// Connection attempts refused while down.
        var connectionsWhileDown = 0
    }

    private final class Subscriber: @unchecked Sendable {
        // `buffer` and `isClosed` are guarded by `condition`.
        let connectionID: Int
        var buffer: [[UInt8]] = []
        var isClosed = false
        let condition = NSCondition()

        init(connectionID: Int) {
            self.connectionID = connectionID
        }
    }

    /// The subscriber buffer of CLIProxyAPI.
    static let subscriberBuffer = 256

    /// Starts listening.
    init(
        key: String = "sim-key-\(UUID().uuidString.prefix(8))", retentionSeconds: Double = 60,
        speaksRESP: Bool = true, hasManagement: Bool = true, lifetime: Double = 120
    ) throws {
        self.key = key
        self.retention = retentionSeconds
        self.speaksRESP = speaksRESP
        self.hasManagement = hasManagement
        self.lifetime = lifetime
        try listen()
        let deadline = Date().addingTimeInterval(lifetime)
        Thread.detachNewThread { [weak self] in
            while Date() < deadline {
                guard let self, !self.lock.withLock({ self.isStopped }) else { return }
                usleep(100_000)
            }
            self?.stop()
        }
    }

    deinit {
        stop()
    }

    /// The proxy address for `--from`.
    var url: String { "http://127.0.0.1:\(port)" }

    /// A snapshot of the log.
    var snapshot: Log { lock.withLock { log } }

    /// Records currently queued.
    var queuedCount: Int { lock.withLock { queue.count } }

    /// Subscribers currently connected.
    var subscriberCount: Int { lock.withLock { subscribers.count } }

    /// Publishes one record as the proxy does after an upstream attempt.
    func publish(_ payload: [UInt8]) {
        lock.withLock {
            log.published.append(payload)
            if !subscribers.isEmpty && publishToSubscribersLocked(payload) {
                return
            }
            pruneLocked()
            queue.append((now(), payload))
        }
    }

    /// Sends `{"refresh":true}` to every subscriber, as the proxy does after a config reload.
    func notifyRefresh() {
        lock.withLock { _ = publishToSubscribersLocked(Array("{\"refresh\":true}".utf8)) }
    }

    /// Closes every subscriber's connection without delivering its buffer, like a network
    /// failure.
    func disconnectSubscribers() {
        let sockets: [Int32] = lock.withLock {
            for subscriber in subscribers.values {
                subscriber.condition.lock()
                subscriber.isClosed = true
                // Buffered records are lost with the connection, as the proxy loses them.
                log.dropped += subscriber.buffer
                subscriber.buffer.removeAll()
                subscriber.condition.broadcast()
                subscriber.condition.unlock()
            }
            subscribers.removeAll()
            return Array(openSockets)
        }
        for socket in sockets {
            shutdown(socket, Int32(SHUT_RDWR))
        }
    }

    /// Simulates a proxy restart: every connection closes, the queue is emptied (its records
    /// are lost), and connections are refused for `downtime` seconds.
    func restart(downtime: Double) throws {
        let sockets: [Int32] = lock.withLock {
            isDown = true
            log.dropped += queue.map(\.payload)
            queue.removeAll()
            for subscriber in subscribers.values {
                subscriber.condition.lock()
                subscriber.isClosed = true
                subscriber.condition.broadcast()
                subscriber.condition.unlock()
            }
            subscribers.removeAll()
            let all = Array(openSockets)
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
            listener = -1
            return all
        }
        for socket in sockets {
            shutdown(socket, Int32(SHUT_RDWR))
        }
        usleep(useconds_t(downtime * 1_000_000))
        try listen(port: port)
        lock.withLock { isDown = false }
    }

    /// Stops listening and closes every connection.
    func stop() {
        let sockets: [Int32] = lock.withLock {
            guard !isStopped else { return [] }
            isStopped = true
            for subscriber in subscribers.values {
                subscriber.condition.lock()
                subscriber.isClosed = true
                subscriber.condition.broadcast()
                subscriber.condition.unlock()
            }
            subscribers.removeAll()
            if listener >= 0 {
                shutdown(listener, Int32(SHUT_RDWR))
                close(listener)
                listener = -1
            }
            return Array(openSockets)
        }
        for socket in sockets {
            shutdown(socket, Int32(SHUT_RDWR))
        }
    }

    // MARK: - Queue

    private func now() -> Double {
        Date().timeIntervalSince1970
    }

    private func pruneLocked() {
        let cutoff = now() - retention
        while let first = queue.first, first.enqueuedAt < cutoff {
            log.dropped.append(first.payload)
            queue.removeFirst()
        }
    }

    private func popLocked(_ count: Int, connectionID: Int) -> [[UInt8]] {
        pruneLocked()
        let taken = Array(queue.prefix(count))
        queue.removeFirst(taken.count)
        log.delivered[connectionID, default: []] += taken.map(\.payload)
        return taken.map(\.payload)
    }

    /// Returns whether every subscriber accepted the payload; a full subscriber is removed.
    private func publishToSubscribersLocked(_ payload: [UInt8]) -> Bool {
        var allDelivered = true
        for (id, subscriber) in subscribers {
            subscriber.condition.lock()
            if subscriber.buffer.count < Self.subscriberBuffer {
                subscriber.buffer.append(payload)
                subscriber.condition.signal()
            } else {
                allDelivered = false
                subscriber.isClosed = true
                subscriber.condition.broadcast()
                subscribers[id] = nil
                log.slowSubscribersDropped += 1
            }
            subscriber.condition.unlock()
        }
        return allDelivered
    }

    // MARK: - Sockets

    private func listen(port requested: UInt16 = 0) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError(message: "socket failed") }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = requested.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, Glibc.listen(descriptor, 64) == 0 else {
            close(descriptor)
            throw HarnessError(message: "bind to 127.0.0.1:\(requested) failed: errno \(errno)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        lock.withLock {
            listener = descriptor
            port = UInt16(bigEndian: actual.sin_port)
        }
        Thread.detachNewThread { [weak self] in
            self?.acceptLoop(descriptor)
        }
    }

    private func acceptLoop(_ descriptor: Int32) {
        while true {
            let client = accept(descriptor, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                return
            }
            let id: Int? = lock.withLock {
                guard !isStopped, listener == descriptor else { return nil }
                openSockets.insert(client)
                defer { nextConnectionID += 1 }
                return nextConnectionID
            }
            guard let id else {
                close(client)
                return
            }
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            Thread.detachNewThread { [weak self] in
                self?.serve(client, id: id)
                _ = self?.lock.withLock { self?.openSockets.remove(client) }
                close(client)
            }
        }
    }

    private func serve(_ socket: Int32, id: Int) {
        let reader = SocketReader(socket: socket)
        guard let first = reader.peek() else { return }
        if [UInt8(ascii: "*"), UInt8(ascii: "$"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":")]
            .contains(first)
        {
            guard speaksRESP else {
                send(socket, Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
                return
            }
            guard hasManagement else { return }
            lock.withLock { log.respConnections += 1 }
            serveRESP(socket, reader: reader, id: id)
        } else {
            serveHTTP(socket, reader: reader, id: id)
        }
    }

    // MARK: - HTTP

    private func serveHTTP(_ socket: Int32, reader: SocketReader, id: Int) {
        guard let requestLine = reader.line() else { return }
        var headers: [String: String] = [:]
        while let line = reader.line(), !line.isEmpty {
            let text = String(decoding: line, as: UTF8.self)
            if let colon = text.firstIndex(of: ":") {
                headers[text[..<colon].lowercased()] = text[text.index(after: colon)...]
                    .trimmingCharacters(in: .whitespaces)
            }
        }
        lock.withLock { log.httpRequests += 1 }
        let parts = String(decoding: requestLine, as: UTF8.self).split(separator: " ")
        guard parts.count == 3, parts[0] == "GET" else {
            respond(socket, status: 400, body: Array("{\"error\":\"bad request\"}".utf8))
            return
        }
        let target = String(parts[1])
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        guard hasManagement, path == "/v0/management/usage-queue" else {
            respond(socket, status: 404, body: Array("404 page not found".utf8))
            return
        }
        var provided = headers["x-management-key"] ?? ""
        if let authorization = headers["authorization"], authorization.lowercased().hasPrefix("bearer ") {
            provided = String(authorization.dropFirst("bearer ".count))
        }
        guard provided == key else {
            lock.withLock { log.rejectedAuthentications += 1 }
            let message = provided.isEmpty ? "missing management key" : "invalid management key"
            respond(socket, status: 401, body: Array("{\"error\":\"\(message)\"}".utf8))
            return
        }
        var countText = ""
        if let query = target.split(separator: "?", maxSplits: 1).dropFirst().first {
            for pair in query.split(separator: "&") where pair.hasPrefix("count=") {
                countText = String(pair.dropFirst("count=".count))
            }
        }
        let count: Int
        if countText.isEmpty {
            count = 1
        } else if let parsed = Int(countText), parsed > 0 {
            count = parsed
        } else {
            respond(socket, status: 400, body: Array("{\"error\":\"count must be a positive integer\"}".utf8))
            return
        }
        let records = lock.withLock { popLocked(count, connectionID: id) }
        var body = Array("[".utf8)
        for (index, record) in records.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body += record
        }
        body.append(UInt8(ascii: "]"))
        respond(socket, status: 200, body: body)
    }

    /// Writes a response the way Go's net/http does: `Content-Length` for small bodies, chunked
    /// transfer coding past 2048 bytes.
    private func respond(_ socket: Int32, status: Int, body: [UInt8]) {
        let reason = [200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"][status] ?? "Error"
        var head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/json; charset=utf-8\r\n"
        if body.count <= 2048 {
            head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            send(socket, Array(head.utf8) + body)
            return
        }
        head += "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        var offset = 0
        while offset < body.count {
            let size = min(4096, body.count - offset)
            bytes += Array((String(size, radix: 16) + "\r\n").utf8) + body[offset..<(offset + size)] + [13, 10]
            offset += size
        }
        bytes += Array("0\r\n\r\n".utf8)
        send(socket, bytes)
    }

    // MARK: - RESP

    private func serveRESP(_ socket: Int32, reader: SocketReader, id: Int) {
        var isAuthenticated = false
        while let command = reader.respCommand() {
            guard let name = command.first.map({ String(decoding: $0, as: UTF8.self).uppercased() }) else {
                send(socket, Array("-ERR empty command\r\n".utf8))
                continue
            }
            if name != "AUTH" && !isAuthenticated {
                send(socket, Array("-NOAUTH Authentication required.\r\n".utf8))
                continue
            }
            switch name {
            case "AUTH":
                guard command.count == 2 || command.count == 3 else {
                    send(socket, Array("-ERR wrong number of arguments for 'auth' command\r\n".utf8))
                    continue
                }
                if String(decoding: command[command.count - 1], as: UTF8.self) == key {
                    isAuthenticated = true
                    send(socket, Array("+OK\r\n".utf8))
                } else {
                    lock.withLock { log.rejectedAuthentications += 1 }
                    send(socket, Array("-ERR invalid management key\r\n".utf8))
                }
            case "LPOP", "RPOP":
                guard command.count == 2 || command.count == 3 else {
                    send(socket, Array("-ERR wrong number of arguments for '\(name.lowercased())' command\r\n".utf8))
                    continue
                }
                let count = command.count == 3 ? Int(String(decoding: command[2], as: UTF8.self)) ?? 0 : 1
                guard count > 0 else {
                    send(socket, Array("-ERR value is not an integer or out of range\r\n".utf8))
                    continue
                }
                let records = lock.withLock { popLocked(count, connectionID: id) }
                if command.count == 3 {
                    var bytes = Array("*\(records.count)\r\n".utf8)
                    for record in records {
                        bytes += Array("$\(record.count)\r\n".utf8) + record + [13, 10]
                    }
                    send(socket, bytes)
                } else if let record = records.first {
                    send(socket, Array("$\(record.count)\r\n".utf8) + record + [13, 10])
                } else {
                    send(socket, Array("$-1\r\n".utf8))
                }
            case "SUBSCRIBE":
                guard command.count == 2 else {
                    send(socket, Array("-ERR wrong number of arguments for 'subscribe' command\r\n".utf8))
                    continue
                }
                let channel = String(decoding: command[1], as: UTF8.self)
                guard channel.lowercased() == "usage" else {
                    send(socket, Array("-ERR unsupported channel '\(channel)'\r\n".utf8))
                    continue
                }
                stream(socket, reader: reader, id: id)
                return
            default:
                send(socket, Array("-ERR unknown command '\(name.lowercased())'\r\n".utf8))
            }
        }
    }

    /// Streams a subscription: the subscribe confirmation, the support_refresh object, then
    /// every published record; answers PING and stops on UNSUBSCRIBE or QUIT.
    private func stream(_ socket: Int32, reader: SocketReader, id: Int) {
        let subscriber = Subscriber(connectionID: id)
        subscriber.buffer.append(Array("{\"support_refresh\":true}".utf8))
        lock.withLock { subscribers[id] = subscriber }
        send(socket, Array("*3\r\n$9\r\nsubscribe\r\n$5\r\nusage\r\n:1\r\n".utf8))
        Thread.detachNewThread {
            while let command = reader.respCommand() {
                let name = command.first.map { String(decoding: $0, as: UTF8.self).uppercased() } ?? ""
                subscriber.condition.lock()
                let isClosed = subscriber.isClosed
                subscriber.condition.unlock()
                if isClosed { return }
                if name == "PING" {
                    self.send(socket, Array("*2\r\n$4\r\npong\r\n$0\r\n\r\n".utf8))
                } else if name == "UNSUBSCRIBE" || name == "QUIT" {
                    break
                }
            }
            self.lock.withLock { self.subscribers[id] = nil }
            subscriber.condition.lock()
            subscriber.isClosed = true
            let lost = subscriber.buffer
            subscriber.buffer.removeAll()
            subscriber.condition.broadcast()
            subscriber.condition.unlock()
            // Records buffered for a client that went away are lost, as the proxy loses them.
            // The log is written after the subscriber's lock is released: publishing takes the
            // simulator's lock before a subscriber's.
            self.lock.withLock { self.log.dropped += lost }
        }
        while true {
            subscriber.condition.lock()
            while subscriber.buffer.isEmpty && !subscriber.isClosed {
                subscriber.condition.wait()
            }
            // A closed subscriber still delivers what it buffered, as a closed Go channel does.
            guard !subscriber.buffer.isEmpty else {
                subscriber.condition.unlock()
                break
            }
            let payload = subscriber.buffer.removeFirst()
            subscriber.condition.unlock()
            lock.withLock { log.delivered[id, default: []].append(payload) }
            let message =
                Array("*3\r\n$7\r\nmessage\r\n$5\r\nusage\r\n$\(payload.count)\r\n".utf8) + payload + [13, 10]
            guard send(socket, message) else { break }
        }
        lock.withLock { subscribers[id] = nil }
        shutdown(socket, Int32(SHUT_RDWR))
    }

    @discardableResult
    private func send(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                Glibc.send(socket, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }
}

/// A blocking reader of lines and RESP commands from a socket, for the simulator.
final class SocketReader: @unchecked Sendable {
    // Used by one thread at a time: the connection's thread, or the subscription's reader.
    private let socket: Int32
    private var buffer: [UInt8] = []

    init(socket: Int32) {
        self.socket = socket
    }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            buffer += chunk[0..<count]
            return true
        }
    }

    /// The next byte without consuming it.
    func peek() -> UInt8? {
        if buffer.isEmpty && !fill() { return nil }
        return buffer.first
    }

    /// The next line without CRLF.
    func line() -> [UInt8]? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                if line.last == 0x0D { line.removeLast() }
                return line
            }
            guard fill() else { return nil }
        }
    }

    /// Exactly `count` bytes.
    func bytes(_ count: Int) -> [UInt8]? {
        while buffer.count < count {
            guard fill() else { return nil }
        }
        let result = Array(buffer[..<count])
        buffer.removeFirst(count)
        return result
    }

    /// A RESP array of bulk strings.
    func respCommand() -> [[UInt8]]? {
        guard let header = line(), header.first == UInt8(ascii: "*"),
            let count = Int(String(decoding: header.dropFirst(), as: UTF8.self)), count >= 0
        else { return nil }
        var arguments: [[UInt8]] = []
        for _ in 0..<count {
            guard let lengthLine = line(), lengthLine.first == UInt8(ascii: "$"),
                let length = Int(String(decoding: lengthLine.dropFirst(), as: UTF8.self)), length >= 0,
                let value = bytes(length + 2)
            else { return nil }
            arguments.append(Array(value[..<length]))
        }
        return arguments
    }
}
