import Glibc
import LedgerDaemon
import Synchronization
import Testing

@Suite("sd_notify messages")
struct NotifyTests {
    @Test("unset NOTIFY_SOCKET sends nothing")
    func disabledWithoutSocket() throws {
        let notifier = ServiceNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        #expect(notifier.socketAddress == nil)
        try notifier.send(["READY=1"])
        notifier.ready()
        #expect(!ServiceNotifier(environment: ["NOTIFY_SOCKET": ""]).isEnabled)
    }

    @Test("ready with status is one datagram")
    func readyDatagram() throws {
        let socket = try NotifySocket()
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": socket.address])
        notifier.ready(status: "tailing 2 files")
        #expect(socket.receive(timeout: 5) == "READY=1\nSTATUS=tailing 2 files")
        notifier.ready()
        #expect(socket.receive(timeout: 5) == "READY=1")
        #expect(socket.receive() == nil)
    }

    @Test("status replaces newlines")
    func statusDatagram() throws {
        let socket = try NotifySocket()
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": socket.address])
        notifier.status("lag 0 B\nlast commit 120 ms ago")
        #expect(socket.receive(timeout: 5) == "STATUS=lag 0 B last commit 120 ms ago")
    }

    @Test("reloading carries MONOTONIC_USEC")
    func reloadingDatagram() throws {
        let socket = try NotifySocket()
        let notifier = ServiceNotifier(
            environment: ["NOTIFY_SOCKET": socket.address], monotonicMicroseconds: { 123_456_789 })
        notifier.reloading()
        #expect(socket.receive(timeout: 5) == "RELOADING=1\nMONOTONIC_USEC=123456789")
    }

    @Test("reloading reads CLOCK_MONOTONIC")
    func reloadingClock() throws {
        let socket = try NotifySocket()
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": socket.address])
        let before = ServiceNotifier.monotonicNow()
        notifier.reloading()
        let after = ServiceNotifier.monotonicNow()
        let message = try #require(socket.receive(timeout: 5))
        let lines = message.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first == "RELOADING=1")
        let value = try #require(lines.last.flatMap { UInt64($0.dropFirst("MONOTONIC_USEC=".count)) })
        #expect(lines.last?.hasPrefix("MONOTONIC_USEC=") == true)
        #expect(value >= before)
        #expect(value <= after)
    }

    @Test("stopping with and without status")
    func stoppingDatagram() throws {
        let socket = try NotifySocket()
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": socket.address])
        notifier.stopping()
        #expect(socket.receive(timeout: 5) == "STOPPING=1")
        notifier.stopping(status: "finishing the last fold")
        #expect(socket.receive(timeout: 5) == "STOPPING=1\nSTATUS=finishing the last fold")
    }

    @Test("extend timeout datagram")
    func extendTimeoutDatagram() throws {
        let socket = try NotifySocket()
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": socket.address])
        notifier.extendTimeout(microseconds: 30_000_000)
        #expect(socket.receive(timeout: 5) == "EXTEND_TIMEOUT_USEC=30000000")
    }

    @Test("abstract socket address")
    func abstractAddress() throws {
        let socket = try NotifySocket(isAbstract: true)
        #expect(socket.address.hasPrefix("@"))
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": socket.address])
        notifier.ready(status: "abstract")
        #expect(socket.receive(timeout: 5) == "READY=1\nSTATUS=abstract")
    }

    @Test("watchdog sends only when enabled")
    func watchdogDatagram() throws {
        let socket = try NotifySocket()
        let enabled = ServiceNotifier(
            environment: ["NOTIFY_SOCKET": socket.address, "WATCHDOG_USEC": "30000000"], processID: 42)
        enabled.watchdog()
        #expect(socket.receive(timeout: 5) == "WATCHDOG=1")
        let disabled = ServiceNotifier(environment: ["NOTIFY_SOCKET": socket.address], processID: 42)
        disabled.watchdog()
        #expect(socket.receive(timeout: 0.2) == nil)
    }

    /// Each case: `WATCHDOG_USEC`, `WATCHDOG_PID` and the expected interval in microseconds.
    static let watchdogCases: [(String?, String?, Int64?)] = [
        ("30000000", nil, 15_000_000),
        ("30000000", "42", 15_000_000),
        ("30000000", "", 15_000_000),
        ("30000000", "43", nil),
        ("30000000", "forty-two", nil),
        ("1", nil, 0),
        ("0", nil, nil),
        ("-5", nil, nil),
        ("soon", nil, nil),
        (nil, "42", nil),
    ]

    @Test("watchdog interval is half of WATCHDOG_USEC", arguments: watchdogCases)
    func watchdogInterval(microseconds: String?, owner: String?, expected: Int64?) {
        var environment: [String: String] = [:]
        environment["WATCHDOG_USEC"] = microseconds
        environment["WATCHDOG_PID"] = owner
        let notifier = ServiceNotifier(environment: environment, processID: 42)
        #expect(notifier.watchdogInterval == expected.map { .microseconds($0) })
    }

    @Test("relative address is rejected")
    func relativeAddress() throws {
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": "notify.sock"])
        let error = try #require(throws: SystemError.self) { try notifier.send(["READY=1"]) }
        #expect(error.errno == EAFNOSUPPORT)
    }

    @Test("address longer than sun_path is rejected")
    func longAddress() throws {
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": "/" + String(repeating: "a", count: 108)])
        let error = try #require(throws: SystemError.self) { try notifier.send(["READY=1"]) }
        #expect(error.errno == EINVAL)
    }

    @Test("failed sends are logged, repeats counted")
    func failureLogging() throws {
        let lines = Mutex<[String]>([])
        let logger = Logger(level: .info) { line in lines.withLock { $0.append(line) } }
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/notify"], logger: logger)
        for _ in 0..<100 {
            notifier.watchdog()
            notifier.status("still running")
        }
        let logged = lines.withLock { $0 }
        #expect(logged.count == 2)
        #expect(logged.first?.hasPrefix("<4>sending a notification to systemd failed notify.message=") == true)
        #expect(logged.first?.contains("notify.failures=1 ") == true)
        #expect(logged.last?.contains("notify.failures=100 ") == true)
        #expect(logged.first?.contains("No such file or directory") == true)
    }
}
