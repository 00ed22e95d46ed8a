import Glibc
import Synchronization

/// Sends service state notifications to systemd, as `sd_notify(3)` does, without libsystemd.
///
/// Each message is one datagram of newline-separated `KEY=VALUE` assignments sent to the
/// `AF_UNIX` socket named by `$NOTIFY_SOCKET`: a path, or an abstract address written with a
/// leading `@`. Without `$NOTIFY_SOCKET` every method does nothing, so the daemon runs the same
/// outside systemd. The environment is passed in, so tests can point the notifier at a socket
/// they bind themselves.
///
/// The convenience methods never throw: a failed send is logged at warning, the first time
/// and then every 100th time, because the daemon keeps working while notifications fail.
public final class ServiceNotifier: Sendable {
    /// The socket address from `$NOTIFY_SOCKET`; `nil` when unset or empty.
    public let socketAddress: String?
    /// How often ``watchdog()`` must be called: half of `$WATCHDOG_USEC`. `nil` when the
    /// watchdog is off, or when `$WATCHDOG_PID` names another process.
    public let watchdogInterval: Duration?

    private let logger: Logger?
    private let monotonicMicroseconds: @Sendable () -> UInt64
    private let failures = Atomic<Int>(0)

    /// Creates a notifier from the process environment.
    /// - Parameters:
    ///   - environment: The variables `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` are read.
    ///   - processID: This process's id, compared with `$WATCHDOG_PID`.
    ///   - logger: Where failed sends are reported; `nil` drops them.
    ///   - monotonicMicroseconds: The `CLOCK_MONOTONIC` reading sent with `RELOADING=1`.
    public init(
        environment: [String: String], processID: pid_t = getpid(), logger: Logger? = nil,
        monotonicMicroseconds: @escaping @Sendable () -> UInt64 = ServiceNotifier.monotonicNow
    ) {
        let socket = environment["NOTIFY_SOCKET"] ?? ""
        socketAddress = socket.isEmpty ? nil : socket
        watchdogInterval = Self.watchdogInterval(environment: environment, processID: processID)
        self.logger = logger
        self.monotonicMicroseconds = monotonicMicroseconds
    }

    /// Whether notifications are sent at all.
    public var isEnabled: Bool { socketAddress != nil }

    /// Sends `READY=1`, with a `STATUS=` line when `status` is given: startup or a reload has
    /// finished.
    public func ready(status: String? = nil) {
        notify(["READY=1"] + statusLine(status))
    }

    /// Sends `STATUS=`: free text that `systemctl status` shows. Newlines become spaces.
    public func status(_ text: String) {
        notify(statusLine(text))
    }

    /// Sends `WATCHDOG=1` when the watchdog is on; does nothing otherwise.
    public func watchdog() {
        guard watchdogInterval != nil else { return }
        notify(["WATCHDOG=1"])
    }

    /// Sends `RELOADING=1` with `MONOTONIC_USEC=` set to the current `CLOCK_MONOTONIC` time in
    /// microseconds: a reload has started. Send ``ready(status:)`` when it is done.
    public func reloading() {
        notify(["RELOADING=1", "MONOTONIC_USEC=\(monotonicMicroseconds())"])
    }

    /// Sends `STOPPING=1`, with a `STATUS=` line when `status` is given: shutdown has started.
    public func stopping(status: String? = nil) {
        notify(["STOPPING=1"] + statusLine(status))
    }

    /// Sends `EXTEND_TIMEOUT_USEC=`, which requests that systemd wait `microseconds` longer for the current
    /// start, reload or stop to finish, as during a long recovery.
    public func extendTimeout(microseconds: UInt64) {
        notify(["EXTEND_TIMEOUT_USEC=\(microseconds)"])
    }

    /// Sends `assignments` as one datagram, joined with newlines; does nothing without a socket.
    /// - Throws: ``SystemError`` when the address is invalid or `socket` or `sendto` fails.
    public func send(_ assignments: [String]) throws(SystemError) {
        guard let socketAddress else { return }
        let message = Array(assignments.joined(separator: "\n").utf8)
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SystemError(call: "socket", path: socketAddress) }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let length = try Self.fill(&address, with: socketAddress)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketPointer in
                message.withUnsafeBytes { bytes in
                    retryingOnInterrupt {
                        sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), socketPointer, length)
                    }
                }
            }
        }
        guard sent >= 0 else { throw SystemError(call: "sendto", path: socketAddress) }
    }

    /// Reads `CLOCK_MONOTONIC` in microseconds, the clock that systemd compares
    /// `MONOTONIC_USEC=` with.
    public static func monotonicNow() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1000
    }

    private func notify(_ assignments: [String]) {
        do {
            try send(assignments)
        } catch {
            let count = failures.add(1, ordering: .relaxed).newValue
            if count == 1 || count % 100 == 0 {
                logger?.warning(
                    "sending a notification to systemd failed",
                    [
                        "notify.message": assignments.first ?? "", "notify.failures": "\(count)",
                        "error": "\(error)",
                    ])
            }
        }
    }

    private func statusLine(_ text: String?) -> [String] {
        guard let text else { return [] }
        let line = String(text.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
        return ["STATUS=" + line]
    }

    /// Copies `text` into `address.sun_path` and returns the address length to pass to
    /// `sendto`. A leading `@` makes an abstract address: a NUL byte, then the name, with no
    /// terminating NUL counted. A path must be absolute and its length counts the terminating NUL.
    private static func fill(_ address: inout sockaddr_un, with text: String) throws(SystemError) -> socklen_t {
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        var bytes = Array(text.utf8)
        let isAbstract = bytes.first == UInt8(ascii: "@")
        guard isAbstract || bytes.first == UInt8(ascii: "/") else {
            throw SystemError(call: "connect", path: text, errno: EAFNOSUPPORT)
        }
        if isAbstract {
            bytes[0] = 0
        } else {
            bytes.append(0)
        }
        guard bytes.count <= capacity, bytes.count > 1 else {
            throw SystemError(call: "connect", path: text, errno: EINVAL)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            path.copyBytes(from: bytes)
        }
        return socklen_t(pathOffset + bytes.count)
    }

    private static func watchdogInterval(environment: [String: String], processID: pid_t) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0 else {
            return nil
        }
        if let owner = environment["WATCHDOG_PID"], !owner.isEmpty {
            guard let owner = pid_t(owner), owner == processID else { return nil }
        }
        return .microseconds(Int64(clamping: microseconds / 2))
    }
}
