import Foundation
import Glibc
import LedgerCore
import LedgerStore
import Testing

@testable import LedgerDaemon

/// Watchdog and timeout extension messages sent from inside long steps of the run loop.
@Suite("Service keep-alive", .serialized)
struct ServiceKeepAliveTests {
    static let second: Int64 = 1_000_000_000

    /// Returns every datagram waiting on `socket`.
    static func drain(_ socket: NotifySocket) -> [String] {
        var messages: [String] = []
        while let message = socket.receive(timeout: 0.2) {
            messages.append(message)
        }
        return messages
    }

    @Test("ticks send what is due")
    func tickSchedule() throws {
        let socket = try NotifySocket()
        let notifier = ServiceNotifier(
            environment: ["NOTIFY_SOCKET": socket.address, "WATCHDOG_USEC": "2000000"], processID: getpid())
        var clock: Int64 = 100 * Self.second
        var stopping = false
        let keepAlive = ServiceKeepAlive(notifier: notifier, isStopRequested: { stopping }, now: { clock })
        #expect(keepAlive.watchdogInterval == Self.second)

        // Starting: the first tick feeds the watchdog and extends the start timeout.
        keepAlive.tick()
        #expect(Self.drain(socket) == ["WATCHDOG=1", "EXTEND_TIMEOUT_USEC=30000000"])
        clock += Self.second / 2
        keepAlive.tick()
        #expect(Self.drain(socket).isEmpty)
        clock += Self.second / 2
        keepAlive.tick()
        #expect(Self.drain(socket) == ["WATCHDOG=1"])
        clock += 9 * Self.second
        keepAlive.tick()
        #expect(Self.drain(socket) == ["WATCHDOG=1", "EXTEND_TIMEOUT_USEC=30000000"])

        // Running: only the watchdog.
        keepAlive.isReady = true
        clock += 20 * Self.second
        keepAlive.tick()
        #expect(Self.drain(socket) == ["WATCHDOG=1"])

        // Stopping: the stop timeout is extended again.
        stopping = true
        clock += Self.second
        keepAlive.tick()
        #expect(Self.drain(socket) == ["WATCHDOG=1", "EXTEND_TIMEOUT_USEC=30000000"])
    }

    @Test("fold reports progress")
    func foldProgress() throws {
        let (harness, store, settings) = try IncrementalFoldTests.setup(zone: "UTC", window: "1d")
        defer { harness.cleanUp() }
        try IncrementalFoldTests.ingestStep(
            0, lines: try IncrementalFoldTests.shuffledLines(), harness: harness, store: store)
        let events = try IncrementalFoldTests.eventCount(store)
        let inWindow = try Int(
            store.database.scalarInt(
                """
                SELECT count(*) FROM events WHERE started_at_ns > (SELECT max(started_at_ns) FROM events
                    WHERE shape != 'gap_marker') - 86400000000000
                """))
        var calls = 0
        var folder = Folder(settings: settings, logger: IncrementalFoldTests.logger, retainingSums: true)
        folder.progressInterval = 16
        folder.progress = { calls += 1 }
        _ = try folder.compute(
            store: store, inputs: try LedgerInputs.load(settings: settings, logger: IncrementalFoldTests.logger))
        // Every event for the sums, then the window's events for the runtime metrics.
        #expect(events > 150)
        #expect(calls == events / 16 + inWindow / 16)
    }

    @Test("daemon keeps systemd informed before it is ready")
    func daemonStart() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(["cliproxyapi/usage-queue.jsonl"])
        let socket = try NotifySocket()
        let process = try socket.startDaemon(
            ["run", "--spool", harness.spool.path, "--state-dir", harness.state.path], watchdogMicroseconds: 30_000_000)
        defer {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
            }
        }
        var messages: [String] = []
        while let message = socket.receive(timeout: 20) {
            messages.append(message)
            if message.hasPrefix("READY=1") { break }
        }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        // The first commit ticks, so the watchdog and the start timeout are renewed before the
        // first fold ends and READY=1 is sent.
        let ready = try #require(messages.firstIndex { $0.hasPrefix("READY=1") })
        #expect(messages[..<ready].contains("WATCHDOG=1"))
        #expect(messages[..<ready].contains("EXTEND_TIMEOUT_USEC=30000000"))
    }
}
